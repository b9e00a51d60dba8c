#include "servicedesc/document.h"

#include <exception>
#include <istream>
#include <map>
#include <streambuf>

#include <nlohmann/json.hpp>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "base/errors.h"

namespace roadside::servicedesc {

const Node* Node::get(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) return v.get();
  }
  return nullptr;
}

namespace {

// The reason a document is refused, thrown out of yaml-cpp's parser (which calls the
// builder) and caught in parse_document; it never leaves this file.
struct Refused : std::exception {
  explicit Refused(std::string w) : why(std::move(w)) {}
  std::string why;
};

// JSON pointer form of a key, for messages ("/paths/~1test/get").
std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key.substr(0, 200)) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// Builds the tree from either parser's events. Each open collection is a frame; a mapping
// frame alternates between expecting a key and expecting that key's value.
class Builder {
 public:
  explicit Builder(const DocumentLimits& limits) : limits_(limits) {}

  void scalar(std::string text, std::size_t anchor = 0) {
    if (expecting_key()) {
      key(std::move(text));
      return;
    }
    auto n = std::make_shared<Node>();
    n->kind = Node::Kind::scalar;
    n->text = std::move(text);
    leaf(std::move(n), anchor);
  }
  void null(std::size_t anchor = 0) {
    if (expecting_key()) refuse("a mapping key that is null");
    leaf(std::make_shared<Node>(), anchor);
  }
  void alias(std::size_t anchor) {
    const auto it = anchors_.find(anchor);
    if (it == anchors_.end()) refuse("an alias to an unknown anchor");
    if (!it->second.node) refuse("an alias to a node that contains it");
    if (expecting_key()) {
      if (!it->second.node->is_scalar()) refuse("a mapping key that is not a scalar");
      key(it->second.node->text);
      return;
    }
    count(it->second.size);
    attach(it->second.node);
  }
  void start(Node::Kind kind, std::size_t anchor = 0) {
    if (expecting_key()) refuse("a mapping key that is not a scalar");
    if (frames_.size() >= limits_.max_depth) refuse("nesting deeper than " + std::to_string(limits_.max_depth));
    count(1);
    auto n = std::make_shared<Node>();
    n->kind = kind;
    if (anchor) anchors_[anchor] = {};  // known, not finished: an alias to it now is a cycle
    frames_.push_back({std::move(n), anchor, nodes_, {}, false});
  }
  void end() {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    if (f.anchor) anchors_[f.anchor] = {f.node, nodes_ - f.nodes_before + 1};
    attach(std::move(f.node));
  }
  // JSON's explicit key event.
  void key(std::string text) {
    Frame& f = frames_.back();
    for (const auto& [k, v] : f.node->entries) {
      if (k == text) refuse("the key \"" + text.substr(0, 200) + "\" twice in one mapping");
    }
    count(1);
    f.key = std::move(text);
    f.has_key = true;
  }

  std::shared_ptr<const Node> root() const { return root_; }
  bool done() const { return root_ != nullptr && frames_.empty(); }

  [[noreturn]] void refuse(const std::string& why) const {
    std::string where;
    for (const auto& f : frames_) {
      if (f.node->is_mapping() && f.has_key) {
        where += "/" + pointer_token(f.key);
      } else if (f.node->kind == Node::Kind::sequence) {
        where += "/" + std::to_string(f.node->items.size());
      }
    }
    throw Refused(where.empty() ? why : why + " at " + where);
  }

 private:
  struct Frame {
    std::shared_ptr<Node> node;
    std::size_t anchor;
    std::size_t nodes_before;
    std::string key;
    bool has_key;
  };
  struct Anchored {
    std::shared_ptr<const Node> node;  // nullptr while its collection is open
    std::size_t size = 0;              // nodes it stands for
  };

  bool expecting_key() const {
    return !frames_.empty() && frames_.back().node->is_mapping() && !frames_.back().has_key;
  }

  void count(std::size_t n) {
    nodes_ += n;
    if (nodes_ > limits_.max_nodes)
      refuse("more than " + std::to_string(limits_.max_nodes) + " nodes (aliases expanded)");
  }

  void leaf(std::shared_ptr<const Node> n, std::size_t anchor) {
    count(1);
    if (anchor) anchors_[anchor] = {n, 1};
    attach(std::move(n));
  }

  void attach(std::shared_ptr<const Node> n) {
    if (frames_.empty()) {
      if (!root_) root_ = std::move(n);
      return;
    }
    Frame& f = frames_.back();
    if (f.node->is_mapping()) {
      f.node->entries.emplace_back(std::move(f.key), std::move(n));
      f.key.clear();
      f.has_key = false;
    } else {
      f.node->items.push_back(std::move(n));
    }
  }

  const DocumentLimits& limits_;
  std::vector<Frame> frames_;
  std::map<std::size_t, Anchored> anchors_;
  std::shared_ptr<const Node> root_;
  std::size_t nodes_ = 0;
};

class YamlEvents : public YAML::EventHandler {
 public:
  explicit YamlEvents(Builder& b) : b_(b) {}
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { b_.null(anchor); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t anchor) override { b_.alias(anchor); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t anchor, const std::string& value) override {
    b_.scalar(value, anchor);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    b_.start(Node::Kind::sequence, anchor);
  }
  void OnSequenceEnd() override { b_.end(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    b_.start(Node::Kind::mapping, anchor);
  }
  void OnMapEnd() override { b_.end(); }

 private:
  Builder& b_;
};

// nlohmann's SAX events; returning false stops the parser.
class JsonEvents {
 public:
  using json = nlohmann::json;
  explicit JsonEvents(Builder& b) : b_(b) {}
  bool null() {
    return run([&] { b_.null(); });
  }
  bool boolean(bool v) {
    return run([&] { b_.scalar(v ? "true" : "false"); });
  }
  bool number_integer(json::number_integer_t v) {
    return run([&] { b_.scalar(std::to_string(v)); });
  }
  bool number_unsigned(json::number_unsigned_t v) {
    return run([&] { b_.scalar(std::to_string(v)); });
  }
  bool number_float(json::number_float_t, const json::string_t& text) {
    return run([&] { b_.scalar(text); });
  }
  bool string(json::string_t& v) {
    return run([&] { b_.scalar(std::move(v)); });
  }
  bool binary(json::binary_t&) { return false; }
  bool start_object(std::size_t) {
    return run([&] { b_.start(Node::Kind::mapping); });
  }
  bool key(json::string_t& k) {
    return run([&] { b_.key(std::move(k)); });
  }
  bool end_object() {
    return run([&] { b_.end(); });
  }
  bool start_array(std::size_t) {
    return run([&] { b_.start(Node::Kind::sequence); });
  }
  bool end_array() {
    return run([&] { b_.end(); });
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    syntax_error = "not well-formed JSON at byte " + std::to_string(position);
    return false;
  }

  std::string refused;       // the builder's reason, when it stopped the parser
  std::string syntax_error;  // the parser's

 private:
  template <typename F>
  bool run(F&& f) {
    try {
      f();
      return true;
    } catch (const Refused& r) {
      refused = r.why;
      return false;
    }
  }
  Builder& b_;
};

// A read-only std::streambuf over the caller's bytes, so yaml-cpp reads them without a copy.
class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(std::string_view bytes) {
    char* p = const_cast<char*>(bytes.data());  // only read, never written
    setg(p, p, p + bytes.size());
  }
};

Error refused(const std::string& why) {
  return make_error(base::errc::invalid_argument, why);
}

bool looks_like_json(std::string_view bytes) {
  for (char c : bytes) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    return c == '{' || c == '[';
  }
  return false;
}

}  // namespace

Result<std::shared_ptr<const Node>> parse_document(std::string_view bytes, const DocumentLimits& limits) {
  std::string json_error;
  if (looks_like_json(bytes)) {
    Builder b(limits);
    JsonEvents events(b);
    bool ok = false;
    try {
      ok = nlohmann::json::sax_parse(bytes.begin(), bytes.end(), &events);
    } catch (const std::exception& e) {
      events.syntax_error = std::string("not well-formed JSON: ") + e.what();
    }
    if (ok && b.done()) return b.root();
    if (!events.refused.empty()) return refused(events.refused);
    // Not JSON, but perhaps YAML's flow style ({openapi: 3.0.0, ...}): read it as X-Road does,
    // and if it is not YAML either, say what was wrong with it as JSON.
    json_error = events.syntax_error.empty() ? std::string("not well-formed JSON") : events.syntax_error;
  }
  auto failed = [&](const std::string& why) { return refused(json_error.empty() ? why : json_error); };
  Builder b(limits);
  YamlEvents events(b);
  ViewBuf buf(bytes);
  std::istream in(&buf);
  try {
    YAML::Parser parser(in);
    if (!parser.HandleNextDocument(events) || !b.done()) return failed("no document");
    // One document only: readers that take the first or the last of several would each see
    // another description in the same bytes. The rest is read within the same limits.
    Builder rest(limits);
    YamlEvents rest_events(rest);
    if (parser.HandleNextDocument(rest_events)) return failed("more than one document");
  } catch (const Refused& r) {
    return failed(r.why);
  } catch (const YAML::Exception& e) {
    return failed("not well-formed YAML: " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ")");
  } catch (const std::exception& e) {
    return failed(std::string("not well-formed YAML: ") + e.what());
  }
  return b.root();
}

}  // namespace roadside::servicedesc
