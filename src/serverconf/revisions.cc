#include "serverconf/revisions.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "base/clock.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "storage/cluster.h"

namespace roadside::serverconf {

Result<std::int64_t> latest_revision(storage::Store& store) {
  auto rows = store.with_connection(
      [](storage::Connection& c) { return c.query("SELECT MAX(revision) FROM server_configuration"); });
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::int64_t{0};
  return storage::as_int((*rows)[0][0]).value_or(0);
}

Result<Revision> load_latest(storage::Store& store) {
  auto rows = store.with_connection([](storage::Connection& c) {
    return c.query("SELECT revision, document FROM server_configuration ORDER BY revision DESC LIMIT 1");
  });
  if (!rows.ok()) return rows.error();
  if (rows->empty()) {
    return Error(make_error_code(errc::no_conf),
                 "no server configuration has been applied (roadside apply FILE, or serve --server-conf FILE)");
  }
  ROADSIDE_TRY(ServerConf conf, ServerConf::from_json(storage::as_text((*rows)[0][1]).value_or("")));
  conf.read_at_revision = storage::as_int((*rows)[0][0]).value_or(0);
  return Revision{conf.read_at_revision, std::make_shared<const ServerConf>(std::move(conf))};
}

namespace {

// Clients without a status (a YAML document that names none) keep the one `previous` (the
// newest stored document, "" when none) has for them; a client new to it is REGISTERED: an
// operator who lists a client in the file says the server hosts it.
Result<ServerConf> with_statuses(const ServerConf& conf, std::string_view previous) {
  ServerConf out = conf;
  std::optional<ServerConf> before;
  for (auto& client : out.clients) {
    if (client.status) continue;
    if (!before && !previous.empty()) {
      ROADSIDE_TRY(before, ServerConf::from_json(previous));
    }
    const Client* was = before ? before->client(client.id) : nullptr;
    client.status = was ? was->status_or_registered() : ClientStatus::registered;
  }
  return out;
}

}  // namespace

Result<std::pair<std::int64_t, bool>> apply(storage::Store& store, const ServerConf& conf, std::string_view source) {
  std::pair<std::int64_t, bool> out{0, false};
  auto done = store.transaction([&](storage::Connection& c) -> Status {
    ROADSIDE_TRY(auto rows, c.query("SELECT revision, digest, document FROM server_configuration ORDER BY revision "
                                    "DESC LIMIT 1"));
    std::int64_t latest = rows.empty() ? 0 : storage::as_int(rows[0][0]).value_or(0);
    if (conf.read_at_revision != 0 && conf.read_at_revision != latest) {
      return Error(make_error_code(errc::changed),
                   "the server configuration changed meanwhile: revision " + std::to_string(latest) +
                       " is the newest, this change was made of revision " + std::to_string(conf.read_at_revision));
    }
    ROADSIDE_TRY(const ServerConf complete,
                 with_statuses(conf, rows.empty() ? std::string() : storage::as_text(rows[0][2]).value_or("")));
    const std::string document = complete.to_json();
    const std::string digest = crypto::to_hex(crypto::sha256(document));
    if (!rows.empty()) {
      if (storage::as_text(rows[0][1]).value_or("") == digest) {
        out = {latest, false};
        return {};
      }
    }
    const storage::Value params[] = {latest + 1, document, digest, std::string(source),
                                     format_rfc3339(Clock::system().now())};
    ROADSIDE_TRY_STATUS(c.query(
        "INSERT INTO server_configuration (revision, document, digest, source, applied_at) VALUES (?, ?, ?, ?, ?)",
        params));
    // The other nodes of a cluster learn of it when this commits (they poll as well).
    ROADSIDE_TRY_STATUS(storage::notify(c, storage::kConfigChannel, std::to_string(latest + 1)));
    out = {latest + 1, true};
    return {};
  });
  if (!done.ok()) return std::move(done).error();
  return out;
}

}  // namespace roadside::serverconf
