// Retrieval of a query's signed documents (the client proxy's /asic, X-Road's
// AsicContainerClientRequestProcessor): X-Road's file names, and the zip of a query's
// containers written as it goes, one container in memory at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messagelog/log_store.h"
#include "messagelog/zip_stream.h"

namespace roadside::messagelog {

// `text` as X-Road's AsicUtils.escapeString makes it fit for a file name: URL-encoded as a
// form value (A-Z a-z 0-9 . - * _ kept, space as "+", every other UTF-8 byte as %XX).
std::string escape_file_name(std::string_view text);
// X-Road's AsicContainerNameGenerator: "<escaped query id, at most 226 characters>-request|
// response-<record id in base 32>.asice".
std::string asic_file_name(std::string_view query_id, bool response, std::int64_t record_id);
// The zip of a query's containers: "<escaped query id>[-request|-response].zip".
std::string asic_zip_name(std::string_view query_id, std::optional<bool> response);

struct RetrievalLimits {
  std::size_t max_containers = 1000;                // records one request returns
  std::uint64_t max_container_bytes = 64ull << 20;  // a container's attachments together
  std::uint64_t max_zip_bytes = 2ull << 30;         // the zip of containers
};

// Writes the containers of `records` (their owner and query already checked) as a zip of
// .asice entries, each named by asic_file_name and dated by its record, into `sink`; records
// without a time-stamp are left out (X-Road's: logged after the check that they all had one).
// errc::too_large past the limits, before anything more is written.
Status write_container_zip(LogStore& store, const std::vector<StoredRecord>& records, std::string_view query_id,
                           const RetrievalLimits& limits, const ZipStreamWriter::Sink& sink);

}  // namespace roadside::messagelog
