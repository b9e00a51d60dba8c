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

}  // namespace roadside::net
