#include "globalconf/verify.h"

#include "globalconf/parts.h"

namespace roadside::globalconf {

Result<VerifiedDirectory> verify_directory_files(const std::filesystem::path& anchor_file,
                                                 const std::filesystem::path& directory_file,
                                                 const std::filesystem::path& parts_root,
                                                 std::chrono::system_clock::time_point now) {
  ROADSIDE_TRY(std::string anchor_xml, read_conf_file(anchor_file, 1024 * 1024));
  auto anchor = Anchor::parse(anchor_xml);
  if (!anchor.ok()) return std::move(anchor).error().context(anchor_file.string());
  return verify_directory_files_with_anchor(*anchor, directory_file, parts_root, now);
}

Result<VerifiedDirectory> verify_directory_files_with_anchor(const Anchor& anchor,
                                                             const std::filesystem::path& directory_file,
                                                             const std::filesystem::path& parts_root,
                                                             std::chrono::system_clock::time_point now) {
  ROADSIDE_TRY(std::string dir_bytes, read_conf_file(directory_file, kMaxDirectoryBytes));
  auto dir = SignedDirectory::parse(dir_bytes);
  if (!dir.ok()) return std::move(dir).error().context(directory_file.string());
  const auto certs = anchor.verification_certs();
  ROADSIDE_TRY_STATUS(dir->verify_signature(certs));
  ROADSIDE_TRY_STATUS(dir->check_not_expired(now));
  for (const auto& part : dir->parts) {
    ROADSIDE_TRY(std::filesystem::path rel, part_path(part.content_location));
    ROADSIDE_TRY(std::string bytes, read_conf_file(parts_root / rel, kMaxPartBytes));
    ROADSIDE_TRY_STATUS(SignedDirectory::verify_part(part, bytes));
  }
  return VerifiedDirectory{anchor, std::move(dir).value()};
}

}  // namespace roadside::globalconf
