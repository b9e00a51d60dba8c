// The HTTP heads a REST message's header parts become, and the parts HTTP heads become, as the
// proxies build them (xroad-protocols.md §2). Hop-by-hop headers never cross; the service
// gets this server's traceparent instead of the client's; X-Road's own response headers are
// the server proxy's to add.
//
//   IS request head      -> request part:          request_part_headers  (client proxy)
//   request part         -> service request head:  service_request       (server proxy)
//   service response head -> response part:         response_part         (server proxy)
//   response part        -> IS response head:      is_response           (client proxy)
#pragma once

#include <string_view>

#include <boost/beast/http/message.hpp>

#include "base/result.h"
#include "proxy/rest.h"

namespace roadside::proxy {

// X-Road's headers on a response part, which the server proxy sets: a service's are dropped.
bool is_response_xroad_header(std::string_view name);

// The request part's headers from the information system's: hop-by-hop ones left out. (The
// X-Road ids the client proxy adds come after.)
HeaderList request_part_headers(HeaderList is_headers);

// The request head for the service from a request part, with `traceparent` instead of the
// client's. errc::invalid_message for a method HTTP does not know. (Its target is the
// service's URL's, set by the caller.)
Result<boost::beast::http::request_header<>> service_request(const RestRequestHead& part, std::string_view traceparent);

// The response part from the service's answer: its status, reason and headers, less
// hop-by-hop ones and X-Road's own. errc::service_invalid_response for an interim status or
// one past 599: no answer, and not one a part can carry.
Result<RestResponseHead> response_part(const boost::beast::http::response_header<>& answer);

// The information system's response head (in HTTP/`version`) from a response part.
boost::beast::http::response_header<> is_response(const RestResponseHead& part, unsigned version);

}  // namespace roadside::proxy
