// The global configuration's trust root: the configuration anchor and the signed directory
// (PR-GCONF §4; reference xroad-protocols.md §4.1-4.3).
//
// A signed directory is a multipart/related document: part 1 is a multipart/mixed body
// (expiry and version, then one part per configuration file with its location and hash),
// part 2 is the signature over part 1's body. Verification is:
//   1. the signature, with the anchor (or shared-params source) certificate whose hash
//      matches Verification-certificate-hash;
//   2. expiry: a directory past its Expire-date is refused (global_conf_outdated);
//   3. each part's hash, over the file at its Content-location.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/errc.h"
#include "base/result.h"
#include "crypto/crypto.h"
#include "xml/dom.h"

namespace roadside::globalconf {

enum class errc {
  malformed = 1,      // not a well-formed anchor, directory or part
  invalid_signature,  // the signature or a part hash does not verify, or no certificate matches
  outdated,           // the directory has expired
  unreadable,         // a file could not be read
};
const FaultCategory& globalconf_category() noexcept;
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), globalconf_category()};
}

// Directories larger than this are refused before parsing.
inline constexpr std::size_t kMaxDirectoryBytes = 1024 * 1024;
// Configuration parts (shared parameters and the like) larger than this are refused.
inline constexpr std::size_t kMaxPartBytes = 64 * 1024 * 1024;

struct Anchor {
  struct Source {
    std::string download_url;
    std::vector<crypto::Certificate> verification_certs;
  };
  std::string instance;
  std::optional<std::chrono::system_clock::time_point> generated_at;
  std::vector<Source> sources;

  static Result<Anchor> parse(std::string_view xml);
  // An anchor element inside another document (private parameters' federation anchors).
  static Result<Anchor> from_element(const xml::Element& element);
  // Every verification certificate of every source.
  std::vector<crypto::Certificate> verification_certs() const;
  // The anchor file as a Central Server exports it.
  std::string to_xml() const;
};

struct DirectoryPart {
  std::string content_identifier;  // SHARED-PARAMETERS, PRIVATE-PARAMETERS, MONITORING, ...
  std::string instance;            // the content identifier's instance parameter ("" if none)
  std::string content_location;    // "/V6/20251110170000548026000/shared-params.xml"
  std::string hash_algorithm;      // URI
  std::string hash;                // raw digest bytes
};

struct SignedDirectory {
  std::chrono::system_clock::time_point expires;
  int version = 0;
  std::vector<DirectoryPart> parts;
  std::string signed_bytes;  // exactly what the signature covers
  std::string signature_algorithm;
  std::string verification_cert_hash;            // raw digest bytes
  std::string verification_cert_hash_algorithm;  // URI
  std::string signature;                         // raw signature bytes

  static Result<SignedDirectory> parse(std::string_view file);

  // Step 1: finds the certificate among `certs` by Verification-certificate-hash and checks
  // the signature with it.
  Status verify_signature(std::span<const crypto::Certificate> certs) const;
  // Step 2.
  Status check_not_expired(std::chrono::system_clock::time_point now) const;
  // Step 3, for one part and the bytes of its file.
  static Status verify_part(const DirectoryPart& part, std::string_view bytes);
};

}  // namespace roadside::globalconf

ROADSIDE_ERRC_ENUM(roadside::globalconf::errc)
