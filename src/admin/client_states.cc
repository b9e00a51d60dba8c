#include "admin/client_states.h"

#include "admin/ids.h"
#include "base/log.h"
#include "serverconf/revisions.h"

namespace roadside::admin {

using serverconf::ClientStatus;

ClientStatus next_client_status(const serverconf::Client& client, const globalconf::SharedParameters& shared,
                                const XRoadId& server) {
  const globalconf::SecurityServer* listed = shared.security_server(server);
  const bool registered = listed && listed->hosts(client.id);
  const ClientStatus now = client.status_or_registered();
  if (registered && (now == ClientStatus::saved || now == ClientStatus::registration_in_progress ||
                     now == ClientStatus::global_error)) {
    return ClientStatus::registered;
  }
  // Shared parameters say nothing of a client's enabled state (the Central Server carries
  // clientDisable and clientEnable out at once): the next check with the client still listed
  // completes them.
  if (registered && now == ClientStatus::disabling_in_progress) return ClientStatus::disabled;
  if (registered && now == ClientStatus::enabling_in_progress) return ClientStatus::registered;
  if (!registered && now == ClientStatus::registered) return ClientStatus::global_error;
  return now;
}

std::vector<ClientStatusChange> follow_global_configuration(serverconf::ServerConf& conf,
                                                            const globalconf::SharedParameters& shared) {
  std::vector<ClientStatusChange> changes;
  const XRoadId server = conf.server_id();
  for (auto& client : conf.clients) {
    const ClientStatus now = client.status_or_registered();
    const ClientStatus next = next_client_status(client, shared, server);
    if (next == now) continue;
    changes.push_back({client.id, now, next});
    client.status = next;
  }
  return changes;
}

Result<int> follow_global_configuration(storage::Store& store, const globalconf::SharedParameters& shared) {
  auto latest = serverconf::load_latest(store);
  if (!latest.ok()) {
    if (latest.error().code() == serverconf::errc::no_conf) return 0;
    return latest.error();
  }
  if (latest->conf->server_code.empty()) return 0;
  serverconf::ServerConf conf = *latest->conf;
  const auto changes = follow_global_configuration(conf, shared);
  if (changes.empty()) return 0;
  ROADSIDE_TRY_STATUS(serverconf::apply(store, conf, "global configuration: client statuses"));
  for (const auto& c : changes) {
    log::info(
        "client status follows global configuration",
        {{"client", api_id(c.client)}, {"from", serverconf::to_string(c.from)}, {"to", serverconf::to_string(c.to)}});
    log::audit("Client status changed", "system",
               {{"clientIdentifier", api_id(c.client)}, {"clientStatus", serverconf::to_string(c.to)}});
  }
  return static_cast<int>(changes.size());
}

}  // namespace roadside::admin
