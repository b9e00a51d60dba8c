#include "admin/address_list.h"

#include <charconv>

#include "base/text.h"

namespace roadside::admin {

namespace ip = boost::asio::ip;

namespace {

// Whether the first `prefix` bits of two addresses' bytes are equal.
template <typename Bytes>
bool same_prefix(const Bytes& a, const Bytes& b, unsigned prefix) {
  for (std::size_t i = 0; i < a.size() && prefix > 0; ++i) {
    const unsigned bits = prefix >= 8 ? 8 : prefix;
    const auto mask = static_cast<unsigned char>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    prefix -= bits;
  }
  return true;
}

}  // namespace

ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

Result<AddressList> AddressList::parse(std::string_view text) {
  AddressList list;
  list.text_ = std::string(text);
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view entry = trim_blanks(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (entry.empty()) continue;
    const auto slash = entry.find('/');
    boost::system::error_code ec;
    const ip::address base = ip::make_address(std::string(entry.substr(0, slash)), ec);
    const unsigned max_prefix = !ec && base.is_v4() ? 32 : 128;
    unsigned prefix = max_prefix;
    bool bad = static_cast<bool>(ec);
    if (!bad && slash != std::string_view::npos) {
      const std::string_view digits = entry.substr(slash + 1);
      auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      bad = err != std::errc() || end != digits.data() + digits.size() || digits.empty() || prefix > max_prefix;
    }
    if (bad) {
      return Error(std::make_error_code(std::errc::invalid_argument),
                   "\"" + std::string(entry) + "\" is neither an IP address nor a CIDR range (e.g. 10.0.0.0/8, ::1)");
    }
    list.networks_.push_back({unmapped(base), prefix});
  }
  return list;
}

bool AddressList::contains(const ip::address& address) const {
  const ip::address a = unmapped(address);
  for (const auto& n : networks_) {
    if (a.is_v4() && n.base.is_v4() && same_prefix(a.to_v4().to_bytes(), n.base.to_v4().to_bytes(), n.prefix))
      return true;
    if (a.is_v6() && n.base.is_v6() && same_prefix(a.to_v6().to_bytes(), n.base.to_v6().to_bytes(), n.prefix))
      return true;
  }
  return false;
}

}  // namespace roadside::admin
