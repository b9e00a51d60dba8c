// A cluster node's own connections to the cluster's database, beside the store's: one that
// holds the OCSP lease (a session advisory lock lives as long as its session) and one that
// LISTENs for the primary's configuration changes. Made at start; a node that cannot open
// them does not start.
#pragma once

#include <memory>

#include "server/component.h"
#include "storage/cluster.h"
#include "storage/store.h"

namespace roadside::server {

class ClusterLinks final : public Component {
 public:
  explicit ClusterLinks(storage::PostgresOptions options) : options_(std::move(options)) {}

  std::string_view name() const override { return "cluster"; }
  Status start() override;

  // Each hands its connection over once (then null).
  std::unique_ptr<storage::Lease> take_ocsp_lease() { return std::move(ocsp_lease_); }
  std::unique_ptr<storage::ChangeListener> take_changes() { return std::move(changes_); }

 private:
  storage::PostgresOptions options_;
  std::unique_ptr<storage::Lease> ocsp_lease_;
  std::unique_ptr<storage::ChangeListener> changes_;
};

}  // namespace roadside::server
