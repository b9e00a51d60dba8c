#include "signer/message_signer.h"

#include "xml/hashchain.h"

namespace roadside::signer {

namespace {

xml::XadesSpec spec_for(const SigningMaterial& m, std::chrono::system_clock::time_point now) {
  xml::XadesSpec spec;
  spec.signature_method = std::string(m.cert.is_ec_key() ? crypto::kEcdsaSha512Uri : crypto::kRsaSha512Uri);
  spec.digest_method = std::string(crypto::kSha512Uri);
  spec.extra_certs = m.intermediates;
  spec.ocsp_responses = m.ocsp_responses;
  spec.signing_time = now;
  return spec;
}

Result<std::string> sign_spec(const xml::XadesSpec& spec, const SigningMaterial& m) {
  return xml::build_xades(spec, m.cert, [&](std::string_view data) { return crypto::sign_xmldsig(m.key, spec.signature_method, data); });
}

}  // namespace

Result<SignedMessageParts> sign_message(const MessageParts& parts, const SigningMaterial& m,
                                        std::chrono::system_clock::time_point now) {
  ROADSIDE_TRY(std::vector<SignedMessageParts> one, sign_batch({parts}, m, now));
  return std::move(one.front());
}

Result<std::vector<SignedMessageParts>> sign_batch(const std::vector<MessageParts>& messages, const SigningMaterial& m,
                                                   std::chrono::system_clock::time_point now) {
  if (messages.empty()) return Error(make_error_code(xml::errc::invalid_hash_chain), "nothing to sign");
  xml::XadesSpec spec = spec_for(m, now);
  // One message of one part: a single reference to it, no hash chain.
  if (messages.size() == 1 && messages[0].attachments.empty() && messages[0].attachment_digests.empty()) {
    spec.references.push_back({"", "/message.xml", spec.digest_method, crypto::sha512(messages[0].message)});
    SignedMessageParts out;
    ROADSIDE_TRY(out.signature, sign_spec(spec, m));
    return std::vector<SignedMessageParts>{std::move(out)};
  }
  std::vector<xml::HashTreeInput> inputs;
  for (const auto& msg : messages) {
    xml::HashTreeInput in{{"/message.xml", crypto::sha512(msg.message)}};
    if (!msg.attachment_digests.empty()) {
      for (std::size_t i = 0; i < msg.attachment_digests.size(); ++i) {
        in.emplace_back("/attachment" + std::to_string(i + 1), msg.attachment_digests[i]);
      }
    } else {
      for (std::size_t i = 0; i < msg.attachments.size(); ++i) {
        in.emplace_back("/attachment" + std::to_string(i + 1), crypto::sha512(msg.attachments[i]));
      }
    }
    inputs.push_back(std::move(in));
  }
  // (The digest method is SHA-512, see spec_for.)
  ROADSIDE_TRY(xml::BuiltHashTree tree, xml::build_hash_tree_from_digests(inputs, spec.digest_method, "/sig-hashchain.xml"));
  spec.references.push_back({"", "/sig-hashchainresult.xml", spec.digest_method, crypto::sha512(tree.result)});
  spec.mime_type = "application/hash-chain-result";
  ROADSIDE_TRY(std::string signature, sign_spec(spec, m));
  std::vector<SignedMessageParts> out;
  for (auto& chain : tree.chains) out.push_back({signature, tree.result, std::move(chain)});
  return out;
}

}  // namespace roadside::signer
