// Signs an X-Road message as a Security Server does (xroad-protocols.md §3.6): a message of
// one part gets a signature with one reference, /message.xml; a message with attachments
// (or a REST body) gets a hash chain over its parts and a signature over the chain's result,
// /sig-hashchainresult.xml. The signature carries the signing certificate's OCSP response.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "xml/xades.h"

namespace roadside::signer {

struct MessageParts {
  std::string message;                   // the SOAP message or REST header part, as sent
  std::vector<std::string> attachments;  // attachment1..N, or the REST body
  // When not empty: the SHA-512 digests of attachment1..N in place of `attachments` (parts
  // digested as they streamed by, too large to hold in memory).
  std::vector<std::string> attachment_digests;
};

struct SignedMessageParts {
  std::string signature;                         // the XAdES document
  std::optional<std::string> hash_chain_result;  // sig-hashchainresult.xml
  std::optional<std::string> hash_chain;         // sig-hashchain.xml
};

struct SigningMaterial {
  const crypto::PrivateKey& key;
  const crypto::Certificate& cert;
  std::vector<std::string> ocsp_responses;        // DER: the signing certificate's, then intermediates'
  std::vector<crypto::Certificate> intermediates;  // CA certificates between the signer and the top CA
};

// RSA keys sign with RSA-SHA512, EC keys with ECDSA-SHA512; digests are SHA-512.
Result<SignedMessageParts> sign_message(const MessageParts& parts, const SigningMaterial& material,
                                        std::chrono::system_clock::time_point now);

// One signature for several messages signed with the same key at once (X-Road's batch
// signer): a hash tree over the messages; each gets the shared signature and result and its
// own chain. A single one-part message is signed as sign_message does.
Result<std::vector<SignedMessageParts>> sign_batch(const std::vector<MessageParts>& messages, const SigningMaterial& material,
                                                   std::chrono::system_clock::time_point now);

}  // namespace roadside::signer
