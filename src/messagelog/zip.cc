#include "messagelog/zip.h"

#include <cstdint>
#include <ctime>
#include <memory>

#include <zip.h>

namespace roadside::messagelog {
namespace {

Error malformed(std::string detail) {
  return Error(make_error_code(errc::malformed), std::move(detail));
}

std::string zip_message(zip_error_t* e) {
  std::string m = zip_error_strerror(e);
  zip_error_fini(e);
  return m;
}

// The DOS time, and the extended timestamp (0x5455: flags 1, mtime as 4 bytes little-endian)
// in the local and central headers, as Java's ZipEntry.setLastModifiedTime writes them.
bool set_mtime(zip_t* archive, zip_uint64_t idx, std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  if (zip_file_set_mtime(archive, idx, secs, 0) != 0) return false;
  const auto u = static_cast<std::uint32_t>(secs);
  const zip_uint8_t ut[5] = {1, static_cast<zip_uint8_t>(u), static_cast<zip_uint8_t>(u >> 8),
                             static_cast<zip_uint8_t>(u >> 16), static_cast<zip_uint8_t>(u >> 24)};
  return zip_file_extra_field_set(archive, idx, 0x5455, ZIP_EXTRA_FIELD_NEW, ut, sizeof ut,
                                  ZIP_FL_LOCAL | ZIP_FL_CENTRAL) == 0;
}

}  // namespace

const FaultCategory& messagelog_category() noexcept {
  static const TableCategory<errc> c(
      "messagelog",
      {
          {errc::malformed, "malformed_signature", "malformed container"},
          {errc::too_large, "malformed_signature", "container too large"},
          {errc::invalid_linking, "invalid_hash_chain", "archive linking does not verify"},
          {errc::unreadable, "io_error", "cannot read file"},
          {errc::timestamping_failed, "timestamper_failed", "time-stamping failed"},
          {errc::log_failed, "logging_failed", "message log write failed"},
          {errc::body_too_large, "logging_failed", "message body too large to log"},
          {errc::no_timestamping_provider, "no_timestamping_provider_found", "no time-stamping service configured"},
          {errc::transfer_failed, "io_error", "archive transfer failed"},
      });
  return c;
}

Result<ZipFile> ZipFile::read(std::string_view bytes, const ZipLimits& limits) {
  if (bytes.empty()) return malformed("not a zip archive: the file is empty");
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  if (!src) return malformed("zip: " + zip_message(&err));
  zip_t* raw = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!raw) {
    zip_source_free(src);
    return malformed("not a zip archive: " + zip_message(&err));
  }
  std::unique_ptr<zip_t, decltype(&zip_discard)> archive(raw, &zip_discard);
  ZipFile out;
  int comment_len = 0;
  if (const char* c = zip_get_archive_comment(raw, &comment_len, ZIP_FL_ENC_RAW)) {
    out.comment.assign(c, static_cast<std::size_t>(comment_len));
  }
  const zip_int64_t n = zip_get_num_entries(raw, 0);
  if (n < 0 || static_cast<std::uint64_t>(n) > limits.max_entries) {
    return Error(make_error_code(errc::too_large),
                 "zip has " + std::to_string(n) + " entries (limit " + std::to_string(limits.max_entries) + ")");
  }
  std::uint64_t total = 0;
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(raw, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW, &st) != 0)
      return malformed("zip entry unreadable");
    ZipEntry e;
    e.name = st.name ? st.name : "";
    e.deflated = (st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method == ZIP_CM_DEFLATE;
    if (st.valid & ZIP_STAT_MTIME) e.mtime = std::chrono::system_clock::from_time_t(st.mtime);
    if (!(st.valid & ZIP_STAT_SIZE) || st.size > limits.max_entry_bytes) {
      return Error(make_error_code(errc::too_large), "zip entry " + e.name + " is larger than the limit");
    }
    total += st.size;
    if (total > limits.max_total_bytes)
      return Error(make_error_code(errc::too_large), "zip content is larger than the limit");
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> f(zip_fopen_index(raw, static_cast<zip_uint64_t>(i), 0),
                                                         &zip_fclose);
    if (!f) return malformed("zip entry " + e.name + " cannot be opened: " + zip_strerror(raw));
    e.data.resize(st.size);
    std::uint64_t got = 0;
    while (got < st.size) {
      const zip_int64_t r = zip_fread(f.get(), e.data.data() + got, st.size - got);
      if (r <= 0) return malformed("zip entry " + e.name + " is truncated or corrupt");
      got += static_cast<std::uint64_t>(r);
    }
    out.entries.push_back(std::move(e));
  }
  return out;
}

Result<std::string> ZipFile::write() const {
  if (comment.size() > 0xFFFF) return malformed("zip: the archive comment is longer than 65535 bytes");
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &err);
  if (!buffer) return malformed("zip: " + zip_message(&err));
  zip_source_keep(buffer);
  std::unique_ptr<zip_source_t, decltype(&zip_source_free)> keep(buffer, &zip_source_free);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &err);
  if (!archive) return malformed("zip: " + zip_message(&err));
  // Gives up on the archive, with libzip's reason.
  auto give_up = [archive](const std::string& what) {
    Error e = malformed("zip: " + what + ": " + zip_strerror(archive));
    zip_discard(archive);
    return e;
  };
  for (const auto& e : entries) {
    zip_source_t* s = zip_source_buffer(archive, e.data.data(), e.data.size(), 0);
    const zip_int64_t idx = s ? zip_file_add(archive, e.name.c_str(), s, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
      if (s) zip_source_free(s);
      return give_up("cannot add " + e.name);
    }
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(idx), ZIP_CM_DEFLATE, 0);
    if (e.mtime && !set_mtime(archive, static_cast<zip_uint64_t>(idx), *e.mtime)) {
      return give_up("cannot set the time of " + e.name);
    }
  }
  // libzip refuses a comment that is not UTF-8; written without it, the zip would not be
  // the one asked for (asic_fuzz, corpus/asic/zip-comment-not-utf8).
  if (!comment.empty() &&
      zip_set_archive_comment(archive, comment.data(), static_cast<zip_uint16_t>(comment.size())) != 0) {
    return give_up("cannot keep the archive comment");
  }
  if (zip_close(archive) != 0) return give_up("cannot write the archive");
  zip_stat_t st;
  if (zip_source_stat(buffer, &st) != 0 || zip_source_open(buffer) != 0) return malformed("zip: cannot read result");
  std::string out(st.size, '\0');
  const zip_int64_t r = zip_source_read(buffer, out.data(), st.size);
  zip_source_close(buffer);
  if (r < 0 || static_cast<zip_uint64_t>(r) != st.size) return malformed("zip: short read of result");
  return out;
}

const ZipEntry* ZipFile::find(std::string_view name) const {
  for (const auto& e : entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

}  // namespace roadside::messagelog
