#include "cli/verify.h"

#include <filesystem>
#include <iostream>
#include <variant>

#include "base/clock.h"
#include "base/files.h"
#include "globalconf/parts.h"
#include "globalconf/verify.h"
#include "messagelog/archive.h"
#include "messagelog/asic.h"

namespace roadside::cli {
namespace {

constexpr std::uintmax_t kMaxContainerBytes = 256ull << 20;
constexpr std::uintmax_t kMaxArchiveBytes = 4ull << 30;
constexpr std::uintmax_t kMaxTrustBytes = 64ull << 20;

int fail(const std::string& detail, std::string_view code) {
  std::cerr << "roadside: " << detail << "\n" << code << "\n";
  return 1;
}
int fail(const Error& e, const std::string& context = {}) {
  return fail(context.empty() ? e.detail() : context + ": " + e.detail(), e.fault_code());
}

Result<globalconf::SharedParameters> load_trust(const std::string& path) {
  ROADSIDE_TRY(std::string xml, globalconf::read_conf_file(path, kMaxTrustBytes));
  auto params = globalconf::SharedParameters::parse(xml);
  if (!params.ok()) return Error(params.error().code(), path + ": " + params.error().detail());
  return params;
}

// The trust and the file to check, or the exit code of the failure (already reported).
struct Inputs {
  globalconf::SharedParameters trust;
  std::string bytes;
};
std::variant<Inputs, int> load_inputs(const std::string& trust_path, const std::string& path, std::uintmax_t limit) {
  auto trust = load_trust(trust_path);
  if (!trust.ok()) return fail(trust.error());
  auto bytes = read_file_limited(path, limit);
  if (!bytes.ok()) return fail(bytes.error(), path);
  return Inputs{std::move(trust).value(), std::move(bytes).value()};
}

const char* timestamp_kind(messagelog::AsicVerification::Timestamp t) {
  switch (t) {
    case messagelog::AsicVerification::Timestamp::signature:
      return "signature time-stamp";
    case messagelog::AsicVerification::Timestamp::batch:
      return "batch time-stamp";
    case messagelog::AsicVerification::Timestamp::none:
      break;
  }
  return "none";
}

void print(const messagelog::AsicVerification& v, std::ostream& out) {
  out << "  " << (v.route.request ? "request" : "response") << " from " << v.route.client.to_string();
  if (v.route.service) out << " to " << v.route.service->to_string();
  out << "\n  signed by " << v.signer_member.to_string() << " (" << v.signer_subject << ", certificate serial "
      << v.signer_serial << ")"
      << (v.batch_signature ? " with a hash chain" : "") << " at " << format_rfc3339(v.signing_time) << "\n"
      << "  OCSP: good as of " << format_rfc3339(v.ocsp.this_update) << " by " << v.ocsp.responder_subject << "\n"
      << "  time-stamp: " << timestamp_kind(v.timestamp);
  if (v.timestamp_time) out << " at " << format_rfc3339(*v.timestamp_time) << " by " << v.tsa_subject;
  out << "\n";
}

}  // namespace

int verify_globalconf(const VerifyGlobalconfArgs& args) {
  auto now = std::chrono::system_clock::now();
  if (!args.at.empty()) {
    auto at = parse_rfc3339(args.at);
    if (!at) return fail("--at \"" + args.at + "\" is not an RFC 3339 date-time", "internal_error");
    now = *at;
  }
  const std::filesystem::path dir_file(args.directory);
  const std::filesystem::path parts = args.parts.empty()
                                          ? std::filesystem::absolute(dir_file).parent_path().parent_path()
                                          : std::filesystem::path(args.parts);
  auto verified = globalconf::verify_directory_files(args.anchor, dir_file, parts, now);
  if (!verified.ok()) return fail(verified.error());
  const auto& d = verified->directory;
  std::cout << "valid: instance " << verified->anchor.instance << ", version " << d.version << ", expires "
            << format_rfc3339(d.expires) << ", " << d.parts.size() << " parts\n";
  for (const auto& p : d.parts) std::cout << "  " << p.content_identifier << " " << p.content_location << "\n";
  return 0;
}

int verify_asic(const std::string& trust_path, const std::string& path) {
  auto in = load_inputs(trust_path, path, kMaxContainerBytes);
  if (const int* code = std::get_if<int>(&in)) return *code;
  const auto& [trust, bytes] = std::get<Inputs>(in);
  auto container = messagelog::AsicContainer::read(bytes);
  if (!container.ok()) return fail(container.error(), path);
  auto v = messagelog::verify_asic(*container, trust);
  if (!v.ok()) return fail(v.error(), path);
  std::cout << "valid: " << path << "\n";
  print(*v, std::cout);
  return 0;
}

int verify_archive(const std::string& trust_path, const std::string& path, const std::string& previous_digest) {
  auto in = load_inputs(trust_path, path, kMaxArchiveBytes);
  if (const int* code = std::get_if<int>(&in)) return *code;
  const auto& [trust, bytes] = std::get<Inputs>(in);
  auto zip = messagelog::ZipFile::read(bytes);
  if (!zip.ok()) return fail(zip.error(), path);
  std::optional<std::string> previous;
  if (!previous_digest.empty()) previous = previous_digest;
  auto linking = messagelog::verify_archive_linking(*zip, previous);
  if (!linking.ok()) return fail(linking.error(), path);
  for (const auto& e : linking->linking.entries) {
    const messagelog::ZipEntry* entry = zip->find(e.file);
    auto container = messagelog::AsicContainer::read(entry->data);
    if (!container.ok()) return fail(container.error(), path + ": " + e.file);
    auto v = messagelog::verify_asic(*container, trust);
    if (!v.ok()) return fail(v.error(), path + ": " + e.file);
    std::cerr << "valid: " << e.file << "\n";
  }
  std::cerr << "valid: " << path << ": linking chain and " << linking->linking.entries.size()
            << (linking->linking.entries.size() == 1 ? " container\n" : " containers\n");
  std::cout << linking->last_digest << "\n";
  return 0;
}

}  // namespace roadside::cli
