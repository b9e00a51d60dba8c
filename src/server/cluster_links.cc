#include "server/cluster_links.h"

namespace roadside::server {

Status ClusterLinks::start() {
  ROADSIDE_TRY(auto lease_connection, storage::open_postgres(options_));
  ROADSIDE_TRY(changes_, storage::listen_postgres(options_, std::string(storage::kConfigChannel)));
  ocsp_lease_ = std::make_unique<storage::Lease>(std::move(lease_connection), storage::kOcspLeaseKey);
  return {};
}

}  // namespace roadside::server
