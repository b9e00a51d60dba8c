// A zip written as it goes, for a response that may be larger than memory (the client
// proxy's /asic): each entry is stored (not compressed, as X-Road's ZipOutputStream at level
// 0 leaves ASiC containers, which are zips already), its header, bytes and the central
// directory handed to a sink in order. No ZIP64: at most 65535 entries and 4 GiB in all
// (errc::too_large beyond).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace roadside::messagelog {

// CRC-32 (ISO 3309, zip's), continued from `crc` (0 to start).
std::uint32_t crc32(std::string_view data, std::uint32_t crc = 0);

class ZipStreamWriter {
 public:
  using Sink = std::function<Status(std::string_view)>;
  explicit ZipStreamWriter(Sink sink) : sink_(std::move(sink)) {}

  // One entry, named `name` (UTF-8), modified at `time` (UTC, 2-second resolution, as zip
  // keeps it). REQUIRES: finish() not called.
  Status add(std::string_view name, std::string_view data, std::chrono::system_clock::time_point time);
  // Writes the central directory. REQUIRES: called once, last.
  Status finish();
  // Bytes handed to the sink so far.
  std::uint64_t written() const { return offset_; }

 private:
  struct Entry {
    std::string name;
    std::uint32_t crc, size, offset;
    std::uint16_t dos_time, dos_date;
  };
  Status emit(const std::string& bytes);

  Sink sink_;
  std::vector<Entry> entries_;
  std::uint64_t offset_ = 0;
};

}  // namespace roadside::messagelog
