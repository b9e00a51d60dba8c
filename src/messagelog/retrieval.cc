#include "messagelog/retrieval.h"

#include "messagelog/container.h"
#include "messagelog/zip.h"

namespace roadside::messagelog {
namespace {

constexpr std::size_t kMaxQueryIdInName = 226;

std::string base32(std::uint64_t v) {
  constexpr std::string_view kDigits = "0123456789abcdefghijklmnopqrstuv";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v % 32]);
    v /= 32;
  } while (v);
  return out;
}

}  // namespace

std::string escape_file_name(std::string_view text) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
        c == '*' || c == '_') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string asic_file_name(std::string_view query_id, bool response, std::int64_t record_id) {
  return escape_file_name(query_id).substr(0, kMaxQueryIdInName) + (response ? "-response-" : "-request-") +
         base32(static_cast<std::uint64_t>(record_id)) + ".asice";
}

std::string asic_zip_name(std::string_view query_id, std::optional<bool> response) {
  std::string name = escape_file_name(query_id);
  if (response) name += *response ? "-response" : "-request";
  return name + ".zip";
}

Status write_container_zip(LogStore& store, const std::vector<StoredRecord>& records, std::string_view query_id,
                           const RetrievalLimits& limits, const ZipStreamWriter::Sink& sink) {
  if (records.size() > limits.max_containers) {
    return Error(make_error_code(errc::too_large), std::to_string(records.size()) +
                                                       " signed documents match; at most " +
                                                       std::to_string(limits.max_containers) + " are returned at once");
  }
  ZipStreamWriter zip(sink);
  for (const auto& record : records) {
    if (!record.timestamp_id) continue;
    ROADSIDE_TRY(AsicContainer container, container_of(store, record, limits.max_container_bytes));
    ROADSIDE_TRY(std::string bytes, container.write());
    if (zip.written() + bytes.size() > limits.max_zip_bytes) {
      return Error(make_error_code(errc::too_large), "the signed documents of the query are larger than " +
                                                         std::to_string(limits.max_zip_bytes) + " bytes together");
    }
    if (auto st = zip.add(asic_file_name(query_id, record.response, record.id), bytes, record.time); !st.ok())
      return st;
  }
  return zip.finish();
}

}  // namespace roadside::messagelog
