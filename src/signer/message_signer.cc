#include "signer/message_signer.h"

#include "xml/hashchain.h"

namespace roadside::signer {

Result<SignedMessageParts> sign_message(const MessageParts& parts, const SigningMaterial& m,
                                        std::chrono::system_clock::time_point now) {
  xml::XadesSpec spec;
  spec.signature_method = std::string(m.cert.is_ec_key() ? crypto::kEcdsaSha512Uri : crypto::kRsaSha512Uri);
  spec.digest_method = std::string(crypto::kSha512Uri);
  spec.extra_certs = m.intermediates;
  spec.ocsp_responses = m.ocsp_responses;
  spec.signing_time = now;
  SignedMessageParts out;
  if (parts.attachments.empty()) {
    spec.references.push_back({"", "/message.xml", spec.digest_method, crypto::sha512(parts.message)});
  } else {
    std::vector<std::pair<std::string, std::string>> items{{"/message.xml", parts.message}};
    for (std::size_t i = 0; i < parts.attachments.size(); ++i) {
      items.emplace_back("/attachment" + std::to_string(i + 1), parts.attachments[i]);
    }
    ROADSIDE_TRY(xml::BuiltHashChain chain, xml::build_hash_chain(items, spec.digest_method));
    spec.references.push_back({"", "/sig-hashchainresult.xml", spec.digest_method, crypto::sha512(chain.result)});
    spec.mime_type = "application/hash-chain-result";
    out.hash_chain_result = std::move(chain.result);
    out.hash_chain = std::move(chain.chain);
  }
  ROADSIDE_TRY(out.signature, xml::build_xades(spec, m.cert, [&](std::string_view data) {
                 return crypto::sign_xmldsig(m.key, spec.signature_method, data);
               }));
  return out;
}

}  // namespace roadside::signer
