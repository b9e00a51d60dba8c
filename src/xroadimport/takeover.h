// Everything a Roadside server takes over from a Java Security Server (xroad_files.h), read and
// checked before anything is stored: the server configuration from the database dump
// (serverconf_dump.h), the software token (keyconf.xml and its .p12 files, still under the
// token PIN), the configuration anchor, the internal TLS key and certificate, and the PIN when
// X-Road's autologin file holds it. The archive's label, the database's owner and server
// code, and the anchor's instance must agree.
#pragma once

#include <map>
#include <string>

#include "base/identifiers.h"
#include "base/result.h"
#include "serverconf/model.h"
#include "xroadimport/report.h"
#include "xroadimport/xroad_files.h"

namespace roadside::xroadimport {

struct Takeover {
  XRoadId server;  // SERVER: the owner and server code
  serverconf::ServerConf conf;
  std::string anchor_xml;
  std::string internal_tls_pem;                    // the key, then the certificate; "" when none
  std::map<std::string, std::string> token_files;  // keyconf.xml and the .p12 files, by file name
  int token_keys = 0;                              // the software token's keys with a certificate
  std::string autologin_pin;                       // "" unless etc/xroad/autologin held one
  Report report;
};

// errc::not_xroad when a part every Security Server has is missing (keyconf.xml, the
// database dump, the anchor), errc::unreadable when one cannot be read or the parts disagree.
Result<Takeover> read_takeover(const XRoadFiles& files);

// Whether `pin` opens the token: its PIN check file (.softtoken.p12) when there is one, else
// its first key. std::nullopt when neither is there to try.
std::optional<bool> pin_opens_token(const std::map<std::string, std::string>& token_files, const std::string& pin);

}  // namespace roadside::xroadimport
