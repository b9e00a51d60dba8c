#include "xml/hashchain.h"

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "support/test_support.h"

namespace roadside::xml {
namespace {

using roadside::testing::read_file;

constexpr const char* kSha256 = "http://www.w3.org/2001/04/xmlenc#sha256";

TEST(HashChain, ReproducesTheTopOfXRoadsChain) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "xroad" / "hashchain";
  auto st = verify_hash_chain(read_file(dir / "hc-verifier2-hashchainresult.xml"), read_file(dir / "hc-verifier2-hashchain.xml"));
  EXPECT_TRUE(st.ok()) << st.error().to_string();

  // Any changed digest changes the top.
  std::string chain = read_file(dir / "hc-verifier2-hashchain.xml");
  chain.replace(chain.find("DA=="), 4, "Dw==");  // 0x0c -> 0x0f
  auto bad = verify_hash_chain(read_file(dir / "hc-verifier2-hashchainresult.xml"), chain);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().fault_code(), "malformed_signature.invalid_hash_chain");
}

// A two-part message chained as X-Road does: one step over the parts' digests.
std::pair<std::string, std::string> make_chain(const std::string& message, const std::string& attachment) {
  const std::string dm = crypto::sha256(message), da = crypto::sha256(attachment);
  const std::string top = *hash_step({{dm, kSha256}, {da, kSha256}}, kSha256);
  const std::string result = std::string("<h:HashChainResult xmlns:h=\"http://cyber.ee/hashchain\" ") +
                             "xmlns=\"http://www.w3.org/2000/09/xmldsig#\" URI=\"/sig-hashchain.xml#STEP0\">" +
                             "<DigestMethod Algorithm=\"" + kSha256 + "\"/><DigestValue>" + crypto::base64_encode(top) +
                             "</DigestValue></h:HashChainResult>";
  const std::string chain = std::string("<h:HashChain xmlns:h=\"http://cyber.ee/hashchain\" ") +
                            "xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><h:DefaultDigestMethod Algorithm=\"" + kSha256 +
                            "\"/><h:HashStep id=\"STEP0\"><h:DataRef URI=\"/message.xml\"><DigestValue>" +
                            crypto::base64_encode(dm) + "</DigestValue></h:DataRef><h:DataRef URI=\"/attachment1\">" +
                            "<DigestValue>" + crypto::base64_encode(da) + "</DigestValue></h:DataRef></h:HashStep></h:HashChain>";
  return {result, chain};
}

TEST(HashChain, ChecksDataReferencesAgainstTheParts) {
  const auto [result, chain] = make_chain("<soap/>", "attachment bytes");
  std::map<std::string, std::string> parts = {{"/message.xml", "<soap/>"}, {"/attachment1", "attachment bytes"}};
  HashChainCheck check;
  check.resolve = [&](std::string_view uri) -> std::optional<std::string> {
    auto it = parts.find(std::string(uri));
    return it == parts.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  check.all_inputs = {"/message.xml", "/attachment1"};
  EXPECT_TRUE(verify_hash_chain(result, chain, check).ok());

  parts["/attachment1"] = "tampered bytes";
  auto tampered = verify_hash_chain(result, chain, check);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.error().fault_code(), "malformed_signature.invalid_hash_chain_ref");

  parts["/attachment1"] = "attachment bytes";
  check.all_inputs.push_back("/attachment2");
  auto unused = verify_hash_chain(result, chain, check);
  ASSERT_FALSE(unused.ok());
  EXPECT_EQ(unused.error().fault_code(), "malformed_signature.hashchain_unused_inputs");

  parts.erase("/attachment1");
  check.all_inputs.pop_back();
  auto missing = verify_hash_chain(result, chain, check);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().fault_code(), "malformed_signature.invalid_hash_chain_ref");
}

TEST(HashChain, PartsGivenByTheirDigestsVerifyLikeBytes) {
  const auto [result, chain] = make_chain("<soap/>", "attachment bytes");
  std::map<std::string, std::string> parts = {{"/message.xml", "<soap/>"}, {"/attachment1", "attachment bytes"}};
  HashChainCheck check;
  std::vector<std::string> asked;
  check.digest = [&](std::string_view uri, std::string_view method) -> std::optional<Result<std::string>> {
    asked.emplace_back(uri);
    auto it = parts.find(std::string(uri));
    if (it == parts.end()) return std::nullopt;
    return crypto::digest(method, it->second);
  };
  check.all_inputs = {"/message.xml", "/attachment1"};
  EXPECT_TRUE(verify_hash_chain(result, chain, check).ok());
  EXPECT_EQ(asked.size(), 2u);
  parts["/attachment1"] = "tampered bytes";
  auto tampered = verify_hash_chain(result, chain, check);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.error().fault_code(), "malformed_signature.invalid_hash_chain_ref");
  parts.erase("/attachment1");
  EXPECT_FALSE(verify_hash_chain(result, chain, check).ok());

  // A tree built from digests is the tree built from the bytes.
  const std::vector<HashTreeInput> bytes = {{{"/message.xml", "<a/>"}, {"/attachment1", "body"}}, {{"/message.xml", "<b/>"}}};
  std::vector<HashTreeInput> digests;
  for (const auto& in : bytes) {
    HashTreeInput d;
    for (const auto& [uri, data] : in) d.emplace_back(uri, *crypto::digest(crypto::kSha512Uri, data));
    digests.push_back(d);
  }
  auto from_bytes = build_hash_tree(bytes, crypto::kSha512Uri, "/sig-hashchain.xml");
  auto from_digests = build_hash_tree_from_digests(digests, crypto::kSha512Uri, "/sig-hashchain.xml");
  ASSERT_TRUE(from_bytes.ok() && from_digests.ok());
  EXPECT_EQ(from_bytes->result, from_digests->result);
  EXPECT_EQ(from_bytes->chains, from_digests->chains);
}

TEST(HashChain, MalformedChains) {
  const std::string ns = "xmlns:h=\"http://cyber.ee/hashchain\" xmlns=\"http://www.w3.org/2000/09/xmldsig#\"";
  const std::string result = "<h:HashChainResult " + ns + " URI=\"/c.xml#S0\"><DigestMethod Algorithm=\"" + kSha256 +
                             "\"/><DigestValue>AA==</DigestValue></h:HashChainResult>";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"<h:HashChain " + ns + "/>", "no step \"S0\""},
      {"<h:HashChain " + ns + "><h:HashStep id=\"S0\"><h:StepRef URI=\"#S0\"/></h:HashStep></h:HashChain>", "cyclic"},
      {"<h:HashChain " + ns + "><h:HashStep id=\"S0\"><h:StepRef URI=\"other.xml#S1\"/></h:HashStep></h:HashChain>",
       "not a local reference"},
      {"<h:HashChain " + ns + "><h:HashStep id=\"S0\"><h:Bogus/></h:HashStep></h:HashChain>", "unexpected <Bogus>"},
      {"<h:HashChain " + ns + "><h:HashStep id=\"S0\"/><h:HashStep id=\"S0\"/></h:HashChain>", "unique id"},
      {"<other/>", "not a HashChain"},
      {"<", "not well-formed"},
  };
  for (const auto& [chain, expect] : cases) {
    auto st = verify_hash_chain(result, chain);
    ASSERT_FALSE(st.ok()) << chain;
    EXPECT_NE(st.error().detail().find(expect), std::string::npos) << st.error().detail();
  }
  EXPECT_FALSE(verify_hash_chain("<x/>", "<y/>").ok());
}

TEST(HashChain, TheResultAloneIsTheTreesResult) {
  // Every shape of pairing up to 33 inputs, odd ones moving up at different levels, and one large batch.
  for (std::size_t n : {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 1000}) {
    SCOPED_TRACE(n);
    std::vector<HashTreeInput> inputs;
    std::string digests;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string d = crypto::sha512("record " + std::to_string(i));
      inputs.push_back({{"/META-INF/signatures.xml", d}});
      digests += d;
    }
    auto tree = HashTree::build(inputs, crypto::kSha512Uri, "/ts-hashchain.xml");
    ASSERT_TRUE(tree.ok()) << tree.error().to_string();
    auto alone = hash_tree_result(digests, 64, crypto::kSha512Uri, "/ts-hashchain.xml");
    ASSERT_TRUE(alone.ok()) << alone.error().to_string();
    EXPECT_EQ(alone.value(), tree->result());
  }
  const std::string two = crypto::sha512("a") + crypto::sha512("b");
  EXPECT_EQ(hash_tree_result("", 64, crypto::kSha512Uri, "/x").error().code(),
            make_error_code(errc::invalid_hash_chain));
  EXPECT_EQ(hash_tree_result(two.substr(1), 64, crypto::kSha512Uri, "/x").error().code(),
            make_error_code(errc::invalid_hash_chain));
  EXPECT_EQ(hash_tree_result(two, 0, crypto::kSha512Uri, "/x").error().code(),
            make_error_code(errc::invalid_hash_chain));
  // Digests of one size under a method of another would mix sizes level by level: refused.
  EXPECT_EQ(hash_tree_result(two, 64, kSha256, "/x").error().code(), make_error_code(errc::invalid_hash_chain));
  EXPECT_EQ(hash_tree_result(two, 64, "urn:no-such-method", "/x").error().code(),
            make_error_code(errc::invalid_hash_chain));
}

}  // namespace
}  // namespace roadside::xml

namespace roadside::xml {
namespace {

TEST(HashChain, BuiltChainsVerifyAndCoverEveryPart) {
  const std::vector<std::pair<std::string, std::string>> parts = {
      {"/message.xml", "<Envelope/>"}, {"/attachment1", "one"}, {"/attachment2", std::string("\0two", 4)}};
  // One message with several parts: a tree of one input.
  auto tree = build_hash_tree({parts}, crypto::kSha512Uri, "/sig-hashchain.xml");
  ASSERT_TRUE(tree.ok()) << tree.error().to_string();
  const BuiltHashTree* built = &*tree;
  EXPECT_NE(built->result.find("URI=\"/sig-hashchain.xml#STEP0\""), std::string::npos);
  HashChainCheck check;
  check.resolve = [&](std::string_view uri) -> std::optional<std::string> {
    for (const auto& [u, d] : parts) {
      if (u == uri) return d;
    }
    return std::nullopt;
  };
  check.all_inputs = {"/message.xml", "/attachment1", "/attachment2"};
  auto st = verify_hash_chain(built->result, built->chains[0], check);
  EXPECT_TRUE(st.ok()) << st.error().to_string();

  // A fourth part the chain does not cover is refused.
  check.all_inputs.push_back("/attachment3");
  auto unused = verify_hash_chain(built->result, built->chains[0], check);
  ASSERT_FALSE(unused.ok());
  EXPECT_EQ(unused.error().fault_code(), "malformed_signature.hashchain_unused_inputs");

  EXPECT_FALSE(build_hash_tree({{}}, crypto::kSha512Uri, "/sig-hashchain.xml").ok());
  EXPECT_FALSE(build_hash_tree({{{"/a\"b", "x"}}}, crypto::kSha512Uri, "/sig-hashchain.xml").ok());
}

}  // namespace
}  // namespace roadside::xml

namespace roadside::xml {
namespace {

// Every input's chain leads to the one result, for trees of every shape up to 9 inputs,
// mixing single-part and multi-part inputs.
TEST(HashChain, BuiltTreesGiveEveryInputAChainToTheTop) {
  for (std::size_t n = 1; n <= 9; ++n) {
    SCOPED_TRACE(n);
    std::vector<HashTreeInput> inputs;
    for (std::size_t i = 0; i < n; ++i) {
      HashTreeInput in{{"/message.xml", "message " + std::to_string(i)}};
      if (i % 3 == 1) in.emplace_back("/attachment1", "attachment of " + std::to_string(i));
      inputs.push_back(in);
    }
    auto tree = build_hash_tree(inputs, crypto::kSha512Uri, "/ts-hashchain.xml");
    ASSERT_TRUE(tree.ok()) << tree.error().to_string();
    ASSERT_EQ(tree->chains.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      HashChainCheck check;
      check.resolve = [&](std::string_view uri) -> std::optional<std::string> {
        for (const auto& [u, d] : inputs[i]) {
          if (u == uri) return d;
        }
        return std::nullopt;
      };
      for (const auto& p : inputs[i]) check.all_inputs.push_back(p.first);
      auto st = verify_hash_chain(tree->result, tree->chains[i], check);
      EXPECT_TRUE(st.ok()) << i << ": " << st.error().to_string() << "\n" << tree->chains[i];
      // Another input's data does not fit this chain.
      if (n > 1) {
        const auto& other = inputs[(i + 1) % n];
        check.resolve = [&](std::string_view uri) -> std::optional<std::string> {
          for (const auto& [u, d] : other) {
            if (u == uri) return d;
          }
          return std::string("none");
        };
        EXPECT_FALSE(verify_hash_chain(tree->result, tree->chains[i], check).ok()) << i;
      }
    }
  }
  EXPECT_FALSE(build_hash_tree({}, crypto::kSha512Uri, "/x").ok());
  EXPECT_FALSE(build_hash_tree({{}}, crypto::kSha512Uri, "/x").ok());
}

}  // namespace
}  // namespace roadside::xml
