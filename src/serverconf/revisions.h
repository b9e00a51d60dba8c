// The server configuration in the database: a history of revisions (table
// server_configuration). Each apply of a different document adds one (`roadside apply FILE`,
// `serve --server-conf FILE`); a running server polls the newest revision and takes it
// without a restart.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "base/result.h"
#include "serverconf/model.h"
#include "storage/store.h"

namespace roadside::serverconf {

// The newest applied revision, or errc::no_conf.
struct Revision {
  std::int64_t number = 0;
  std::shared_ptr<const ServerConf> conf;
};
Result<Revision> load_latest(storage::Store& store);
// The number of the newest revision (0: none), cheap enough to poll.
Result<std::int64_t> latest_revision(storage::Store& store);

// Stores `conf` as a new revision unless it equals the newest one. Returns the newest
// revision number and whether this call added it. A `conf` read from the database
// (read_at_revision) is refused with errc::changed when another revision was stored since:
// nobody's change is lost to a writer that read before it. A client without a status (YAML that names
// none) keeps the newest revision's status for it, or is REGISTERED when new.
Result<std::pair<std::int64_t, bool>> apply(storage::Store& store, const ServerConf& conf, std::string_view source);

}  // namespace roadside::serverconf
