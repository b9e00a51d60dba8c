// `roadside healthcheck`: the probe a container runtime runs (the image's HEALTHCHECK, an
// exec probe). It asks this server's health listener for /livez (or /readyz) on loopback and
// exits 0 on 200, 1 otherwise, with the reason on stderr. The image has no shell or curl.
#pragma once

#include <chrono>
#include <string>

namespace roadside::cli {

int healthcheck(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace roadside::cli
