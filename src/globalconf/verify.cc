#include "globalconf/verify.h"

#include <fstream>
#include <sstream>

namespace roadside::globalconf {
namespace {

Result<std::string> read_limited(const std::filesystem::path& p, std::uintmax_t limit) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(p, ec);
  if (ec) return Error(make_error_code(errc::unreadable), "cannot read " + p.string() + ": " + ec.message());
  if (size > limit) {
    return Error(make_error_code(errc::malformed), p.string() + " is larger than " + std::to_string(limit) + " bytes");
  }
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in) return Error(make_error_code(errc::unreadable), "cannot read " + p.string());
  return s.str();
}

}  // namespace

Result<VerifiedDirectory> verify_directory_files(const std::filesystem::path& anchor_file,
                                                 const std::filesystem::path& directory_file,
                                                 const std::filesystem::path& parts_root,
                                                 std::chrono::system_clock::time_point now) {
  ROADSIDE_TRY(std::string anchor_xml, read_limited(anchor_file, 1024 * 1024));
  auto anchor = Anchor::parse(anchor_xml);
  if (!anchor.ok()) return std::move(anchor).error().context(anchor_file.string());
  ROADSIDE_TRY(std::string dir_bytes, read_limited(directory_file, kMaxDirectoryBytes));
  auto dir = SignedDirectory::parse(dir_bytes);
  if (!dir.ok()) return std::move(dir).error().context(directory_file.string());
  const auto certs = anchor->verification_certs();
  ROADSIDE_TRY_STATUS(dir->verify_signature(certs));
  ROADSIDE_TRY_STATUS(dir->check_not_expired(now));
  for (const auto& part : dir->parts) {
    std::string rel = part.content_location;
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
    if (rel.empty() || rel.find("..") != std::string::npos) {
      return Error(make_error_code(errc::malformed), "unsafe Content-location \"" + part.content_location + "\"");
    }
    ROADSIDE_TRY(std::string bytes, read_limited(parts_root / rel, 64 * 1024 * 1024));
    ROADSIDE_TRY_STATUS(SignedDirectory::verify_part(part, bytes));
  }
  return VerifiedDirectory{std::move(anchor).value(), std::move(dir).value()};
}

}  // namespace roadside::globalconf
