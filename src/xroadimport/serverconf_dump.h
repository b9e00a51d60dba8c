// An X-Road 7 Security Server's configuration database (schema `serverconf`, as its Liquibase
// changelog leaves it, read from a pg_dump archive) as Roadside's server configuration: the
// owner and server code, the clients with their status, connection mode and information
// systems' certificates, service descriptions and their services (timeouts in seconds become
// milliseconds; sslauthentication NULL is true), REST endpoints, access rights (X-Road ties a
// right to a service code: it becomes a right to each version of that code), local groups and
// their members, and the time-stamping services in X-Road's order. X-Road's ids of
// descriptions, endpoints and local groups are kept (one sequence numbers them all there too).
//
// X-Road's timestamps have no time zone; they are read as UTC. What cannot be taken over is
// said in the report (API keys: X-Road keeps only their hashes, in another form; admin users).
#pragma once

#include "backup/pg_dump.h"
#include "base/result.h"
#include "serverconf/model.h"
#include "xroadimport/report.h"

namespace roadside::xroadimport {

enum class errc {
  not_xroad = 1,  // the archive or folder is not what a Java Security Server leaves
  unreadable,     // it is, but a part of it cannot be read (named in the detail)
  not_empty,      // the target already has a server configuration or keys
};
const FaultCategory& xroadimport_category() noexcept;
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), xroadimport_category()};
}

// The configuration in schema `schema` of `dump`. errc::not_xroad without its serverconf,
// client and identifier tables or an owner; errc::unreadable for a row that does not make
// sense (an identifier X-Road would not write, a reference to a missing row), naming it.
Result<serverconf::ServerConf> server_conf_from_dump(const backup::PgDump& dump, Report& report,
                                                     std::string_view schema = "serverconf");

}  // namespace roadside::xroadimport

ROADSIDE_ERRC_ENUM(roadside::xroadimport::errc)
