// A list of addresses and networks in X-Road's syntax for its admin API's whitelists
// (proxy-ui-api.key-management-api-whitelist, regular-api-whitelist): comma-separated plain
// IP addresses or CIDR ranges, IPv4 and IPv6 ("127.0.0.0/8, ::1"). An IPv4 address seen as
// IPv6 (::ffff:a.b.c.d) matches as the IPv4 address it is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "base/result.h"

namespace roadside::admin {

// An IPv4 address seen as IPv6 (::ffff:a.b.c.d) as the IPv4 address it is; others as they are.
boost::asio::ip::address unmapped(const boost::asio::ip::address& address);

class AddressList {
 public:
  // Errors name the entry that is not an address or a range.
  static Result<AddressList> parse(std::string_view text);
  bool contains(const boost::asio::ip::address& address) const;
  const std::string& text() const { return text_; }

 private:
  struct Network {
    boost::asio::ip::address base;
    unsigned prefix;
  };
  std::vector<Network> networks_;
  std::string text_;
};

}  // namespace roadside::admin
