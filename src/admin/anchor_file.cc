#include "admin/anchor_file.h"

#include <system_error>

#include "base/clock.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"

namespace roadside::admin {

namespace {

Error malformed(std::string why) {
  return Error(make_error_code(globalconf::errc::malformed), std::move(why));
}

}  // namespace

std::string anchor_hash(std::string_view bytes) {
  auto digest = crypto::digest("http://www.w3.org/2001/04/xmldsig-more#sha224", bytes);
  if (!digest.ok()) return {};  // SHA-224 is always there: cannot happen
  return crypto::to_delimited_hex(*digest);
}

Result<AnchorFile> read_anchor(std::string_view bytes) {
  if (bytes.size() > kMaxAnchorBytes)
    return malformed("the anchor is larger than " + std::to_string(kMaxAnchorBytes) + " bytes");
  ROADSIDE_TRY(globalconf::Anchor anchor, globalconf::Anchor::parse(bytes));
  if (!anchor.generated_at) return malformed("configuration anchor has no valid generatedAt");
  AnchorFile file{std::move(anchor), anchor_hash(bytes), {}};
  file.created_at = format_rfc3339(*file.anchor.generated_at);
  return file;
}

}  // namespace roadside::admin
