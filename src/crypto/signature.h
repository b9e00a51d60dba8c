// Signatures: made with a private key and verified against a certificate's public key, by
// XML-DSig algorithm URI (RSA PKCS#1 v1.5 and PSS, ECDSA).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/certificate.h"
#include "crypto/errors.h"
#include "crypto/keys.h"

namespace roadside::crypto {

// XML-DSig signature algorithm URIs X-Road uses (the management services take PSS and SHA-384 too).
inline constexpr std::string_view kRsaSha256Uri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
inline constexpr std::string_view kRsaSha384Uri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
inline constexpr std::string_view kRsaSha512Uri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
// RSASSA-PSS (RFC 6931 §2.3.10), as X-Road's SHA<n>withRSAandMGF1: MGF1 with the same
// digest, a salt as long as the digest.
inline constexpr std::string_view kRsaPssSha256Uri = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1";
inline constexpr std::string_view kRsaPssSha384Uri = "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1";
inline constexpr std::string_view kRsaPssSha512Uri = "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1";
inline constexpr std::string_view kEcdsaSha256Uri = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
inline constexpr std::string_view kEcdsaSha384Uri = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384";
inline constexpr std::string_view kEcdsaSha512Uri = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512";

// Verifies a PKCS#1 v1.5 or PSS RSA, or DER-encoded ECDSA `signature` over `data` with the public
// key of `signer`, by signature algorithm URI. errc::invalid_signature when it does not verify.
Status verify_signature(const Certificate& signer, std::string_view algorithm_uri, std::string_view data,
                        std::string_view signature);
// Signs `data` (the counterpart, for tests and the configuration publisher).
Result<std::string> sign(const PrivateKey& key, std::string_view algorithm_uri, std::string_view data);

// XML-DSig writes an ECDSA signature as the raw concatenation r || s, each as long as the
// curve order (X-Road's Signatures.useRawFormat); RSA signatures are the same in both forms.
Result<std::string> sign_xmldsig(const PrivateKey& key, std::string_view algorithm_uri, std::string_view data);
// Verifies such a signature value (r || s for an EC key), as verify_signature does.
Status verify_xmldsig(const Certificate& signer, std::string_view algorithm_uri, std::string_view data,
                      std::string_view value);

}  // namespace roadside::crypto
