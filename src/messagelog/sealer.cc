#include "messagelog/sealer.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include "base/files.h"
#include "base/random.h"
#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "messagelog/zip.h"

namespace roadside::messagelog {
namespace {

Error malformed(std::string detail) {
  return Error(make_error_code(errc::malformed), std::move(detail));
}

}  // namespace

Sealer::~Sealer() {
  for (auto& [id, key] : keys_) OPENSSL_cleanse(key.data(), key.size());
}

Result<Sealer> Sealer::from_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return malformed("the message-log key file " + path.string() + " cannot be read");
  if ((st.st_mode & 077) != 0) {
    return malformed("the message-log key file " + path.string() + " may be read by others: chmod 600 it");
  }
  ROADSIDE_TRY(std::string text, read_file_limited(path, 1 << 20));
  auto sealer = from_text(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!sealer.ok()) return malformed(path.string() + ": " + sealer.error().detail());
  return sealer;
}

Result<Sealer> Sealer::from_text(std::string_view text) {
  Sealer s;
  int n = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++n;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.find(' ');
    if (space == std::string_view::npos || space == 0)
      return malformed("line " + std::to_string(n) + " is not \"<key id> <base64 key>\"");
    const std::string id(line.substr(0, space));
    auto key = crypto::base64_decode(line.substr(space + 1));
    if (!key.ok() || key->size() != crypto::kAeadKeyBytes) {
      return malformed("line " + std::to_string(n) + ": the key of " + id + " is not 32 bytes in base64");
    }
    if (!s.keys_.emplace(id, std::move(key).value()).second)
      return malformed("line " + std::to_string(n) + ": key id " + id + " is repeated");
    if (s.current_.empty()) s.current_ = id;
  }
  if (s.current_.empty()) return malformed("no key");
  return s;
}

Result<std::string> Sealer::seal(std::string_view plain, std::string_view context) const {
  return crypto::aead_seal(keys_.find(current_)->second, plain, context, Random::system());
}

Result<std::string> Sealer::open(std::string_view key_id, std::string_view sealed, std::string_view context) const {
  auto key = keys_.find(key_id);
  if (key == keys_.end()) {
    return Error(make_error_code(errc::unreadable),
                 "the message-log key " + std::string(key_id) + " is not in the key file");
  }
  auto plain = crypto::aead_open(key->second, sealed, context);
  if (!plain.ok())
    return Error(make_error_code(errc::unreadable), "a sealed message-log record: " + plain.error().detail());
  return plain;
}

}  // namespace roadside::messagelog
