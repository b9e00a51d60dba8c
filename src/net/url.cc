#include "net/url.h"

#include <charconv>

#include "net/errors.h"

namespace roadside::net {
namespace {
Error bad(std::string_view text, const std::string& why) {
  return Error(make_error_code(errc::bad_url), "URL \"" + std::string(text) + "\": " + why);
}
}  // namespace

std::string Url::authority() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Url::to_string() const { return scheme + "://" + authority() + target; }

std::string local_base_url(std::string_view scheme, std::string_view listen_address, unsigned short port) {
  const bool wildcard = listen_address.empty() || listen_address == "0.0.0.0" || listen_address == "::";
  const Url u{std::string(scheme), wildcard ? std::string("127.0.0.1") : std::string(listen_address), port, "/"};
  return u.scheme + "://" + u.authority();
}

Result<Url> Url::parse(std::string_view text) {
  Url u;
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return bad(text, "has no scheme");
  u.scheme = std::string(text.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") return bad(text, "scheme must be http or https");
  std::string_view rest = text.substr(sep + 3);
  const auto slash = rest.find_first_of("/?");
  std::string_view auth = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!u.target.empty() && u.target[0] == '?') u.target = "/" + u.target;
  if (auth.find('@') != std::string_view::npos) return bad(text, "user information is not supported");
  std::string_view port_text;
  if (!auth.empty() && auth[0] == '[') {
    const auto close = auth.find(']');
    if (close == std::string_view::npos) return bad(text, "unterminated IPv6 address");
    u.host = std::string(auth.substr(1, close - 1));
    if (close + 1 < auth.size()) {
      if (auth[close + 1] != ':') return bad(text, "junk after IPv6 address");
      port_text = auth.substr(close + 2);
    }
  } else {
    const auto colon = auth.rfind(':');
    u.host = std::string(auth.substr(0, colon));
    if (colon != std::string_view::npos) port_text = auth.substr(colon + 1);
  }
  if (u.host.empty()) return bad(text, "has no host");
  if (!port_text.empty()) {
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || p == 0 || p > 65535) {
      return bad(text, "bad port");
    }
    u.port = static_cast<unsigned short>(p);
  } else {
    u.port = u.tls() ? 443 : 80;
  }
  return u;
}

}  // namespace roadside::net
