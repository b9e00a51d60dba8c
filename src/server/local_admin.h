// The admin API for the CLI (admin/local_calls.h). A request goes to the server running on the
// configured data directory, through its control socket; when none runs there it is answered in
// this process on the database directly, by the same route table over the token, the server's
// configuration and the cached global configuration. In-process, what only a running server
// has is refused with the API's own errors: fresh OCSP responses and sending to the Central
// Server (registration); the token is logged in only when token.pin (XROAD_TOKEN_PIN) is set.
#pragma once

#include "admin/local_calls.h"
#include "base/result.h"
#include "config/config.h"

namespace roadside::server {

struct LocalAnswer {
  admin::Response response;
  bool in_process = false;  // no server ran: answered on the database directly
};

// Errors: the control socket failed other than by no server listening, or the database (or the
// anchor) cannot be opened in-process.
Result<LocalAnswer> call_admin_api(const config::Config& config, const admin::LocalRequest& request);

}  // namespace roadside::server
