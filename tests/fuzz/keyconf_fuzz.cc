// Fuzz target: an X-Road software token as an operator brings it (import-xroad, token.import_dir,
// a backup): keyconf.xml (signer/keyconf.h) and the PKCS#12 key files opened with the PIN
// (crypto/pkcs12.h; the seeds are X-Road's, PIN Secret1234). Beyond not crashing:
//   - a refusal says why, with its code (the key files' refusals are bad_key or
//     wrong_password, which the token tells apart);
//   - a keyconf read writes out (to_xml, as the signer writes it) to a document that reads
//     and writes out the same again, and finds the same signing key for each member named;
//   - a key file opened holds a key, and that key written to a key file of our own (as the
//     token keeps one) opens again with the same public key.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/crypto.h"
#include "fuzz_checks.h"
#include "signer/keyconf.h"

namespace {

using namespace roadside;
using roadside::fuzz::check;

constexpr std::string_view kPin = "Secret1234";

void check_keyconf(std::string_view input) {
  auto conf = signer::Keyconf::parse(input);
  if (!conf.ok()) {
    check(conf.error().code() == signer::make_error_code(signer::errc::malformed_keyconf) &&
          !conf.error().detail().empty());
    return;
  }
  const std::string written = conf->to_xml();
  auto again = signer::Keyconf::parse(written);
  check(again.ok());
  check(again->to_xml() == written);
  for (const auto& device : conf->devices) {
    for (const auto& key : device.keys) {
      for (const auto& cert : key.certs) {
        if (!cert.member) continue;
        auto found = conf->signing_key(*cert.member);
        auto found_again = again->signing_key(*cert.member);
        check(found.ok() == found_again.ok());
        if (found.ok())
          check(found->key->key_id == found_again->key->key_id && found->cert->id == found_again->cert->id);
      }
    }
  }
}

void check_key_file(std::string_view input) {
  auto contents = crypto::load_pkcs12(input, std::string(kPin));
  if (!contents.ok()) {
    const auto code = contents.error().code();
    check(code == crypto::make_error_code(crypto::errc::bad_key) ||
          code == crypto::make_error_code(crypto::errc::wrong_password));
    check(!contents.error().detail().empty());
    return;
  }
  const std::string public_key = contents->key.public_key_der();
  check(!public_key.empty());
  auto holder = crypto::issue_certificate({.common_name = "KeyHolder", .usage = crypto::Usage::signing}, contents->key,
                                          nullptr, contents->key);
  if (!holder.ok()) return;  // a key OpenSSL reads but cannot sign with (another algorithm)
  auto written = crypto::write_pkcs12(contents->key, *holder, std::string(kPin), "fuzz");
  check(written.ok());
  auto reopened = crypto::load_pkcs12(*written, std::string(kPin));
  check(reopened.ok() && reopened->key.public_key_der() == public_key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_keyconf(input);
  check_key_file(input);
  return 0;
}
