#include "backup/gpg.h"

#include <system_error>
#include <utility>
#include <vector>

#include "base/errors.h"
#include "base/files.h"
#include "base/subprocess.h"

namespace roadside::backup {
namespace {

namespace fs = std::filesystem;

Error io_error(std::string detail) {
  return Error(make_error_code(base::errc::io_error), std::move(detail));
}

// What the message or the keyring makes impossible (not gpg's running): std::errc::bad_message.
Error unreadable(std::string detail) {
  return Error(std::make_error_code(std::errc::bad_message), std::move(detail));
}

// gpg's stderr without its status lines, for an error's detail.
std::string words_of(std::string_view err) {
  std::string out;
  while (!err.empty()) {
    const auto end = err.find('\n');
    const auto line = err.substr(0, end);
    if (!line.starts_with("[GNUPG:] ") && !line.empty()) out += (out.empty() ? "" : "; ") + std::string(line);
    if (end == std::string_view::npos) break;
    err.remove_prefix(end + 1);
  }
  return out.substr(0, 600);
}

// gpg's status lines ("[GNUPG:] KEYWORD args"), from the start of a line only, as keyword and
// arguments.
std::vector<std::pair<std::string, std::string>> status_lines(std::string_view err) {
  constexpr std::string_view kPrefix = "[GNUPG:] ";
  std::vector<std::pair<std::string, std::string>> out;
  while (!err.empty()) {
    const auto end = err.find('\n');
    auto line = err.substr(0, end);
    if (line.starts_with(kPrefix)) {
      line.remove_prefix(kPrefix.size());
      const auto space = line.find(' ');
      out.emplace_back(std::string(line.substr(0, space)),
                       space == std::string_view::npos ? std::string() : std::string(line.substr(space + 1)));
    }
    if (end == std::string_view::npos) break;
    err.remove_prefix(end + 1);
  }
  return out;
}

// How many status lines have `keyword`, and the first one's first argument.
std::pair<int, std::string> status(std::string_view err, std::string_view keyword) {
  int n = 0;
  std::string first;
  for (const auto& [k, args] : status_lines(err)) {
    if (k != keyword) continue;
    if (n++ == 0) first = args.substr(0, args.find(' '));
  }
  return {n, first};
}

}  // namespace

Result<Unwrapped> gpg_unwrap(const fs::path& file, const GpgOptions& options) {
  std::optional<PrivateTempDir> scratch;  // a keyring of its own, without the caller's
  if (options.home.empty()) {
    ROADSIDE_TRY(PrivateTempDir made, PrivateTempDir::make("roadside-gpg"));
    scratch.emplace(std::move(made));
  }
  ProcessSpec spec;
  spec.argv = {
      options.gpg.string(), "--homedir", (scratch ? scratch->path() : options.home).string(), "--batch", "--no-tty",
      "--status-fd",        "2"};
  const bool checked = !scratch && options.check_signature;
  if (!checked) spec.argv.emplace_back("--skip-verify");
  for (const char* a : {"--decrypt", "--output", "-"}) spec.argv.emplace_back(a);
  spec.argv.push_back(file.string());
  spec.timeout = options.timeout;
  spec.max_stdout = options.max_bytes;
  ROADSIDE_TRY(ProcessOutcome out, run_process(spec));
  if (out.stdout_cut)
    return io_error(file.string() + ": its content is larger than " + std::to_string(options.max_bytes) + " bytes");
  if (status(out.err, "DECRYPTION_FAILED").first > 0 || status(out.err, "NO_SECKEY").first > 0)
    return unreadable(file.string() + " is encrypted and the key to open it is not at hand" +
                      (scratch
                           ? std::string(": give the keyring that holds it (X-Road's /etc/xroad/gpghome), or the tar "
                                         "that gpg --decrypt makes of it")
                           : ": " + words_of(out.err)));
  if (!checked) {
    if (out.status != 0)
      return unreadable("gpg could not read " + file.string() + " (exit " + std::to_string(out.status) +
                        "): " + words_of(out.err));
    return Unwrapped{std::move(out.out), std::nullopt};
  }
  // With a keyring, only a good signature of one of its keys gives the content (gpg ends
  // with a failure for a bad or unknown signature, and for a message it cannot read).
  // Exactly one good signature: a message of several signatures is not X-Road's.
  const auto [valid, fingerprint] = status(out.err, "VALIDSIG");
  if (out.status != 0 || status(out.err, "GOODSIG").first != 1 || valid != 1 || fingerprint.empty())
    return Error(
        std::make_error_code(std::errc::permission_denied),
        file.string() + " has no good signature of a key in " + options.home.string() + ": " + words_of(out.err));
  return Unwrapped{std::move(out.out), fingerprint};
}

Result<std::string> gpg_encrypt(std::string_view content, const std::vector<std::string>& recipients,
                                const GpgOptions& options) {
  if (recipients.empty()) return io_error("gpg: no recipient to encrypt for");
  ProcessSpec spec;
  spec.argv = {options.gpg.string(),
               "--homedir",
               options.home.string(),
               "--batch",
               "--no-tty",
               "--yes",
               "--encrypt",
               "--trust-model",
               "always",
               "--no-auto-key-locate",
               "--compress-algo",
               "none",
               "--cipher-algo",
               "AES256",
               "--output",
               "-"};
  for (const auto& r : recipients) {
    spec.argv.emplace_back("--recipient");
    spec.argv.push_back(r);
  }
  spec.input = content;
  spec.timeout = options.timeout;
  spec.max_stdout = content.size() + content.size() / 8 + (1 << 20);
  ROADSIDE_TRY(ProcessOutcome out, run_process(spec));
  if (out.status != 0 || out.stdout_cut || out.out.empty())
    return io_error("gpg could not encrypt (exit " + std::to_string(out.status) + "): " + words_of(out.err));
  return std::move(out.out);
}

}  // namespace roadside::backup
