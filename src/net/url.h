// http:// and https:// URLs as the HTTP client needs them.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace roadside::net {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  unsigned short port = 0;
  std::string target;  // path and query, at least "/"

  bool tls() const { return scheme == "https"; }
  std::string authority() const;  // "host:port", IPv6 in brackets
  std::string to_string() const;

  static Result<Url> parse(std::string_view text);
};

// "scheme://host:port" of a listener bound to `listen_address`, as a process on this host
// reaches it: a wildcard address (empty, 0.0.0.0, ::) becomes loopback.
std::string local_base_url(std::string_view scheme, std::string_view listen_address, unsigned short port);

}  // namespace roadside::net
