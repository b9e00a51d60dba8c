// The admin API for callers on the server's own host (the CLI): a request and its answer as
// one line of JSON each, sent over the owner-only control socket of a running server or handled
// in the CLI's own process when none runs. Either way the same route table (endpoints.h)
// answers; the caller is the local user with every role, its audit records say "Local".
//
//   request:  {"method":"POST","path":"/tokens/0/keys","query":{"k":"v"},
//              "content_type":"application/json","body":"<base64>"}
//   answer:   {"status":201,"content_type":"application/json","body":"<base64>"}
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "admin/api.h"
#include "base/result.h"

namespace roadside::admin {

// Bodies sent over the control socket: X-Road's limit for binary uploads, and base64's share.
inline constexpr std::size_t kMaxLocalLine = 16u << 20;

struct LocalRequest {
  Verb method = Verb::get;
  std::string path;                          // after /api/v1, percent-encoded: "/keys/A%20B"
  std::map<std::string, std::string> query;  // not encoded
  std::string content_type = "application/json";
  std::string body;
};

std::string encode_request(const LocalRequest& request);
// The request a line describes, from `caller`. errc::invalid_argument names what is wrong.
Result<Request> decode_request(std::string_view line, Caller caller);

std::string encode_response(const Response& response);
Result<Response> decode_response(std::string_view line);

// This process's user (its login name, or "uid N"), with every role and AuthKind::local.
Caller local_caller();
// The user of a peer on a Unix socket by its uid.
Caller local_caller(unsigned uid);

}  // namespace roadside::admin
