#include "xml/hashchain.h"

#include <initializer_list>
#include <map>
#include <set>

#include "crypto/crypto.h"
#include "xml/dom.h"

namespace roadside::xml {
namespace {

constexpr std::string_view kHashChainNs = "http://cyber.ee/hashchain";
constexpr std::size_t kMaxSteps = 100'000;

Error bad(errc e, std::string detail) { return Error(make_error_code(e), std::move(detail)); }

void der_length(std::string& out, std::size_t n) {
  if (n < 128) {
    out += static_cast<char>(n);
    return;
  }
  std::string bytes;
  for (; n; n >>= 8) bytes.insert(bytes.begin(), static_cast<char>(n & 0xff));
  out += static_cast<char>(0x80 | bytes.size());
  out += bytes;
}

std::string tlv(unsigned char tag, std::string_view value) {
  std::string out(1, static_cast<char>(tag));
  der_length(out, value.size());
  out += value;
  return out;
}

std::optional<std::string> digest_method_of(const Element& e) {
  auto m = e.child("DigestMethod");
  if (!m) return std::nullopt;
  return m->attribute("Algorithm");
}

Result<std::string> digest_value(const Element& e, std::string_view where) {
  auto v = e.child_text("DigestValue");
  if (!v) return bad(errc::invalid_hash_chain, std::string(where) + " has no DigestValue");
  auto bytes = crypto::base64_decode(*v);
  if (!bytes.ok()) return bad(errc::invalid_hash_chain, std::string(where) + " DigestValue is not base64");
  return std::move(bytes).value();
}

std::string fragment(std::string_view uri) {
  const auto hash = uri.find('#');
  return hash == std::string_view::npos ? std::string() : std::string(uri.substr(hash + 1));
}

struct Chain {
  std::string default_method;
  std::map<std::string, Element> steps;
  std::map<std::string, std::string> computed;  // memo
  std::set<std::string> in_progress;            // cycle detection
  std::set<std::string> referenced_inputs;
  const HashChainCheck* check = nullptr;

  Result<std::string> step_value(const std::string& id, int depth) {
    if (auto it = computed.find(id); it != computed.end()) return it->second;
    auto s = steps.find(id);
    if (s == steps.end()) return bad(errc::invalid_hash_chain_ref, "hash chain has no step \"" + id + "\"");
    if (depth > 1000 || in_progress.count(id)) return bad(errc::invalid_hash_chain, "hash chain step " + id + " is cyclic");
    in_progress.insert(id);
    std::vector<std::pair<std::string, std::string>> items;
    for (const auto& item : s->second.children()) {
      const std::string method = digest_method_of(item).value_or(default_method);
      if (method.empty()) return bad(errc::invalid_hash_chain, "hash chain step " + id + " has no digest method");
      if (item.name() == "HashValue") {
        ROADSIDE_TRY(std::string d, digest_value(item, "HashValue in " + id));
        items.emplace_back(std::move(d), method);
      } else if (item.name() == "StepRef") {
        const auto uri = item.attribute("URI").value_or("");
        if (uri.empty() || uri[0] != '#') {
          return bad(errc::invalid_hash_chain_ref, "StepRef \"" + uri + "\" in " + id + " is not a local reference");
        }
        ROADSIDE_TRY(std::string d, step_value(uri.substr(1), depth + 1));
        items.emplace_back(std::move(d), method);
      } else if (item.name() == "DataRef") {
        const auto uri = item.attribute("URI").value_or("");
        ROADSIDE_TRY(std::string d, digest_value(item, "DataRef " + uri));
        if (check && (check->resolve || check->digest)) {
          std::optional<Result<std::string>> actual;
          if (check->digest) {
            actual = check->digest(uri, method);
          } else if (auto data = check->resolve(uri)) {
            actual = crypto::digest(method, *data);
          }
          if (!actual && check->allow_missing_parts) {
            items.emplace_back(std::move(d), method);
            continue;
          }
          if (!actual) return bad(errc::invalid_hash_chain_ref, "DataRef \"" + uri + "\" refers to no part");
          if (!actual->ok()) return bad(errc::invalid_hash_chain, actual->error().detail());
          if (**actual != d) return bad(errc::invalid_hash_chain_ref, "the digest of " + uri + " does not match its DataRef");
          referenced_inputs.insert(uri);
        }
        items.emplace_back(std::move(d), method);
      } else {
        return bad(errc::invalid_hash_chain, "unexpected <" + std::string(item.name()) + "> in hash step " + id);
      }
    }
    ROADSIDE_TRY(std::string value, hash_step(items, default_method.empty() ? items.front().second : default_method));
    in_progress.erase(id);
    computed[id] = value;
    return value;
  }
};

}  // namespace

Result<std::string> hash_step(const std::vector<std::pair<std::string, std::string>>& items, std::string_view method) {
  if (items.empty()) return bad(errc::invalid_hash_chain, "empty hash step");
  std::string seq;
  for (const auto& [digest, uri] : items) {
    seq += tlv(0x30, tlv(0x04, digest) + tlv(0x0c, uri) + tlv(0x30, ""));
  }
  auto d = crypto::digest(method, tlv(0x30, seq));
  if (!d.ok()) return bad(errc::invalid_hash_chain, d.error().detail());
  return d;
}

Result<HashChainResult> HashChainResult::parse(std::string_view xml) {
  auto doc = Document::parse(xml, 1024 * 1024);
  if (!doc.ok()) return bad(errc::invalid_hash_chain, "hash chain result: " + doc.error().detail());
  const Element root = doc->root();
  if (root.name() != "HashChainResult" || root.ns() != kHashChainNs) {
    return bad(errc::invalid_hash_chain, "not a HashChainResult document");
  }
  HashChainResult r;
  r.uri = root.attribute("URI").value_or("");
  if (r.uri.empty()) return bad(errc::invalid_hash_chain, "HashChainResult has no URI");
  auto method = digest_method_of(root);
  if (!method) return bad(errc::invalid_hash_chain, "HashChainResult has no DigestMethod");
  r.digest_method = *method;
  ROADSIDE_TRY(r.digest, digest_value(root, "HashChainResult"));
  return r;
}

Status verify_hash_chain(std::string_view result_xml, std::string_view chain_xml, const HashChainCheck& check) {
  ROADSIDE_TRY(HashChainResult result, HashChainResult::parse(result_xml));
  auto doc = Document::parse(chain_xml, 16 * 1024 * 1024);
  if (!doc.ok()) return bad(errc::invalid_hash_chain, "hash chain: " + doc.error().detail());
  const Element root = doc->root();
  if (root.name() != "HashChain" || root.ns() != kHashChainNs) return bad(errc::invalid_hash_chain, "not a HashChain document");
  Chain chain;
  chain.check = &check;
  if (auto d = root.child("DefaultDigestMethod")) chain.default_method = d->attribute("Algorithm").value_or("");
  for (const auto& s : root.children("HashStep")) {
    if (chain.steps.size() >= kMaxSteps) return bad(errc::invalid_hash_chain, "hash chain has too many steps");
    const auto id = s.attribute("id").value_or("");
    if (id.empty() || !chain.steps.emplace(id, s).second) {
      return bad(errc::invalid_hash_chain, "hash step without a unique id (\"" + id + "\")");
    }
  }
  const std::string top = fragment(result.uri);
  if (top.empty()) return bad(errc::invalid_hash_chain_ref, "HashChainResult URI \"" + result.uri + "\" names no step");
  if (chain.default_method.empty()) chain.default_method = result.digest_method;
  ROADSIDE_TRY(std::string value, chain.step_value(top, 0));
  if (value != result.digest) {
    return bad(errc::invalid_hash_chain, "the hash chain's top (" + crypto::base64_encode(value) +
                                             ") differs from the HashChainResult (" + crypto::base64_encode(result.digest) + ")");
  }
  for (const auto& input : check.all_inputs) {
    if (!chain.referenced_inputs.count(input)) {
      return bad(errc::hash_chain_unused_inputs, "no DataRef of the hash chain covers " + input);
    }
  }
  return {};
}

}  // namespace roadside::xml

namespace roadside::xml {

namespace {

std::string b64(std::string_view bytes) { return crypto::base64_encode(bytes); }

constexpr std::string_view kXmlHead = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
constexpr std::string_view kChainNs = "xmlns=\"http://www.w3.org/2000/09/xmldsig#\" xmlns:ns2=\"http://cyber.ee/hashchain\"";

// The HashChainResult document naming step 0 of `chain_uri` with `value`.
std::string result_document(std::string_view chain_uri, std::string_view method, std::string_view value) {
  return std::string(kXmlHead) + "<ns2:HashChainResult URI=\"" + std::string(chain_uri) + "#STEP0\" " +
         std::string(kChainNs) + ">\n    <DigestMethod Algorithm=\"" + std::string(method) + "\"/>\n    <DigestValue>" +
         b64(value) + "</DigestValue>\n</ns2:HashChainResult>\n";
}

bool usable_uri(const std::string& uri) { return !uri.empty() && uri.find_first_of("<>&\"") == std::string::npos; }

}  // namespace

Result<BuiltHashTree> build_hash_tree(const std::vector<HashTreeInput>& inputs, std::string_view digest_method,
                                      std::string_view chain_uri) {
  std::vector<HashTreeInput> digests;
  for (const auto& input : inputs) {
    HashTreeInput d;
    for (const auto& [uri, data] : input) {
      ROADSIDE_TRY(std::string digest, crypto::digest(digest_method, data));
      d.emplace_back(uri, std::move(digest));
    }
    digests.push_back(std::move(d));
  }
  return build_hash_tree_from_digests(digests, digest_method, chain_uri);
}

Result<BuiltHashTree> build_hash_tree_from_digests(const std::vector<HashTreeInput>& inputs, std::string_view digest_method,
                                                   std::string_view chain_uri) {
  ROADSIDE_TRY(HashTree tree, HashTree::build(inputs, digest_method, chain_uri));
  BuiltHashTree out{tree.result(), {}};
  out.chains.reserve(tree.size());
  for (std::size_t i = 0; i < tree.size(); ++i) out.chains.push_back(tree.chain(i));
  return out;
}

Result<HashTree> HashTree::build(const std::vector<HashTreeInput>& inputs, std::string_view digest_method,
                                 std::string_view chain_uri) {
  if (inputs.empty()) return bad(errc::invalid_hash_chain, "a hash tree needs at least one input");
  HashTree t;
  t.method_ = std::string(digest_method);
  auto& nodes = t.nodes_;
  nodes.reserve(2 * inputs.size() + 1);
  for (const auto& input : inputs) {
    if (input.empty()) return bad(errc::invalid_hash_chain, "a hash tree input without parts");
    Node n;
    for (const auto& [uri, digest] : input) {
      if (!usable_uri(uri)) return bad(errc::invalid_hash_chain_ref, "unusable part URI \"" + uri + "\"");
      n.data_refs.emplace_back(uri, digest);
    }
    if (n.data_refs.size() == 1) {
      n.uri = n.data_refs[0].first;
      n.value = n.data_refs[0].second;
      n.data_refs.clear();
    } else {
      std::vector<std::pair<std::string, std::string>> items;
      for (const auto& r : n.data_refs) items.emplace_back(r.second, t.method_);
      ROADSIDE_TRY(n.value, hash_step(items, t.method_));
    }
    t.leaves_.push_back(nodes.size());
    nodes.push_back(std::move(n));
  }
  auto make_step = [&](std::vector<std::size_t> children) -> Result<std::size_t> {
    std::vector<std::pair<std::string, std::string>> items;
    for (auto c : children) items.emplace_back(nodes[c].value, t.method_);
    Node n;
    ROADSIDE_TRY(n.value, hash_step(items, t.method_));
    for (auto c : children) nodes[c].parent = nodes.size();
    n.children = std::move(children);
    nodes.push_back(std::move(n));
    return nodes.size() - 1;
  };
  std::vector<std::size_t> level = t.leaves_;
  while (level.size() > 1) {
    std::vector<std::size_t> up;
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
      ROADSIDE_TRY(std::size_t step, make_step({level[i], level[i + 1]}));
      up.push_back(step);
    }
    if (level.size() % 2) up.push_back(level.back());
    level = std::move(up);
  }
  std::size_t root = level.front();
  if (!nodes[root].is_step()) {
    ROADSIDE_TRY(root, make_step({root}));
  }
  t.result_ = result_document(chain_uri, t.method_, nodes[root].value);
  return t;
}

Result<std::string> hash_tree_result(std::string_view digests, std::size_t digest_size, std::string_view digest_method,
                                     std::string_view chain_uri) {
  if (digest_size == 0 || digests.empty() || digests.size() % digest_size != 0) {
    return bad(errc::invalid_hash_chain, "hash tree digests of " + std::to_string(digests.size()) +
                                             " bytes are not a whole number of " + std::to_string(digest_size));
  }
  const std::string method(digest_method);
  auto step = [&](std::initializer_list<std::string_view> values) -> Result<std::string> {
    std::vector<std::pair<std::string, std::string>> items;
    for (auto v : values) items.emplace_back(v, method);
    ROADSIDE_TRY(std::string value, hash_step(items, method));
    if (value.size() != digest_size) {
      return bad(errc::invalid_hash_chain, "digests of " + std::to_string(digest_size) + " bytes are not by " + method);
    }
    return value;
  };
  auto at = [&](std::string_view level, std::size_t i) { return level.substr(i * digest_size, digest_size); };
  std::string above;  // the level being read, once it is not `digests`
  std::string_view level = digests;
  std::size_t count = level.size() / digest_size;
  // One input is a DataRef in a step of its own, as HashTree::build makes it.
  if (count == 1) {
    ROADSIDE_TRY(above, step({level}));
    level = above;
  }
  while (count > 1) {  // the same pairing as HashTree::build, an odd digest moving up as it is
    std::string up;
    up.reserve((count + 1) / 2 * digest_size);
    for (std::size_t i = 0; i + 1 < count; i += 2) {
      ROADSIDE_TRY(std::string value, step({at(level, i), at(level, i + 1)}));
      up += value;
    }
    if (count % 2) up += at(level, count - 1);
    above = std::move(up);
    level = above;
    count = (count + 1) / 2;
  }
  return result_document(chain_uri, method, level);
}

std::string HashTree::chain(std::size_t index) const {
  std::vector<std::size_t> path;  // root first, down to the leaf's own node
  for (std::size_t n = leaves_.at(index); n != SIZE_MAX; n = nodes_[n].parent) path.insert(path.begin(), n);
  std::string steps;
  int step_no = 0;
  for (std::size_t k = 0; k < path.size(); ++k) {
    const Node& n = nodes_[path[k]];
    if (!n.is_step()) break;  // a single-part leaf is a DataRef in the step above
    std::string items;
    for (const auto& [uri, d] : n.data_refs) {
      items += "        <ns2:DataRef URI=\"" + uri + "\">\n            <DigestValue>" + b64(d) +
               "</DigestValue>\n        </ns2:DataRef>\n";
    }
    for (auto c : n.children) {
      const Node& child = nodes_[c];
      if (k + 1 < path.size() && c == path[k + 1]) {
        items += child.is_step() ? "        <ns2:StepRef URI=\"#STEP" + std::to_string(step_no + 1) + "\"/>\n"
                                 : "        <ns2:DataRef URI=\"" + child.uri + "\">\n            <DigestValue>" +
                                       b64(child.value) + "</DigestValue>\n        </ns2:DataRef>\n";
      } else {
        items += "        <ns2:HashValue>\n            <DigestValue>" + b64(child.value) +
                 "</DigestValue>\n        </ns2:HashValue>\n";
      }
    }
    steps += "    <ns2:HashStep id=\"STEP" + std::to_string(step_no++) + "\">\n" + items + "    </ns2:HashStep>\n";
  }
  return std::string(kXmlHead) + "<ns2:HashChain " + std::string(kChainNs) + ">\n    <ns2:DefaultDigestMethod Algorithm=\"" +
         method_ + "\"/>\n" + steps + "</ns2:HashChain>\n";
}

}  // namespace roadside::xml
