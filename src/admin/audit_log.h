// The audit trail the console shows: the audit records the server wrote (log::audit), kept in
// the database table audit_log for admin.audit_log_retention_days, newest first when read.
// The audit stream (log.audit) stays the record an operator ships and keeps; this table is the
// same records, for reading in the console. A cluster's nodes write to one table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "storage/store.h"

namespace roadside::admin {

// An audit record as log::audit gives it: its fields (event, user, auth, ipaddress, data, ...).
struct AuditLine {
  Clock::time_point time;
  nlohmann::json record;
};

struct AuditEntry {
  std::int64_t id = 0;
  Clock::time_point time;
  nlohmann::json record;  // an object; {} for a row whose text is not JSON
};

// What one read asks for: records older than `before_id` (none: the newest), of `event` and
// `user` when given (exact match), at most `limit`.
struct AuditQuery {
  std::optional<std::int64_t> before_id;
  std::string event;
  std::string user;
  std::size_t limit = 100;
};

// A record's text stored at most (larger ones keep their event and user, their data cut).
inline constexpr std::size_t kMaxAuditRecordBytes = 16 * 1024;

// Stores `lines` in one transaction, in order.
Status append_audit_lines(storage::Store& store, const std::vector<AuditLine>& lines);
// Deletes records older than `before`, at most `limit`; how many were deleted.
Result<std::size_t> delete_audit_lines_before(storage::Store& store, Clock::time_point before, std::size_t limit);
// Deletes all but the newest `keep` records, at most `limit` now; how many were deleted.
Result<std::size_t> delete_audit_lines_beyond(storage::Store& store, std::size_t keep, std::size_t limit);
// Newest first.
Result<std::vector<AuditEntry>> read_audit_log(storage::Store& store, const AuditQuery& query);

}  // namespace roadside::admin
