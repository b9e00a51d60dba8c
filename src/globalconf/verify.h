// Verifying a directory file and its parts on disk, as `roadside verify-globalconf` does.
#pragma once

#include <filesystem>

#include "globalconf/directory.h"

namespace roadside::globalconf {

struct VerifiedDirectory {
  Anchor anchor;
  SignedDirectory directory;
};

// Reads the anchor and the directory, checks the signature against the anchor's
// certificates, the expiry at `now`, and every part's file under `parts_root` (the folder
// that Content-location paths are relative to).
Result<VerifiedDirectory> verify_directory_files(const std::filesystem::path& anchor_file,
                                                 const std::filesystem::path& directory_file,
                                                 const std::filesystem::path& parts_root,
                                                 std::chrono::system_clock::time_point now);

// The same with an anchor already read.
Result<VerifiedDirectory> verify_directory_files_with_anchor(const Anchor& anchor, const std::filesystem::path& directory_file,
                                                             const std::filesystem::path& parts_root,
                                                             std::chrono::system_clock::time_point now);

}  // namespace roadside::globalconf
