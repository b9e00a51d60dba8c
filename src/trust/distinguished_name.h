// Distinguished names as X-Road's certificate profiles read and write them: attributes by
// dotted OID, the string forms of javax X500Principal (RFC 2253/1779) and BouncyCastle
// X500Name with BCStyle keywords, and the attribute lookup the profiles' decoders use.
// A hand-written linear scan (no regular expressions): subject text may come from outside.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace roadside::trust {

struct DnAttribute {
  std::string oid;    // dotted: "2.5.4.3"
  std::string value;  // UTF-8, unescaped
  friend bool operator==(const DnAttribute&, const DnAttribute&) = default;
};
// In DER order (the order of the certificate's RDNs). A multi-valued RDN ("CN=a+O=b")
// contributes its attributes side by side.
using DistinguishedName = std::vector<DnAttribute>;

// Which order a DN's string form is written in.
enum class DnStringOrder {
  der,       // BouncyCastle new X500Name(String): the first RDN written is the first in DER
  reversed,  // javax X500Principal(String), RFC 2253: the first written is the last in DER
};

// The OID of an attribute keyword, case-insensitive: X-Road's profile field ids and the DN
// strings of its tests ("C", "CN", "serialNumber", "SN" (BCStyle: serialNumber, not
// surname), "S"/"ST", "businessCategory", "organizationIdentifier", ...), or a dotted OID
// ("2.5.4.97", "OID.2.5.4.97"). std::nullopt for a keyword it does not know.
std::optional<std::string> attribute_oid(std::string_view keyword);
// The short keyword for an OID ("CN", "serialNumber"), or the OID itself.
std::string attribute_keyword(std::string_view oid);

// Parses "C=FI, O=ACME, CN=1234567-8" (separators ',' or ';', '+' inside an RDN, spaces
// around them, backslash escapes incl. \XX hex, quoted values). Hex-encoded values ("#04…")
// and unknown keywords are errors (trust::errc::invalid_dn_parameter).
Result<DistinguishedName> parse_dn(std::string_view text, DnStringOrder order);
// "CN=..., O=..." with the attributes written in `order`, values escaped (RFC 2253).
std::string dn_to_string(const DistinguishedName& dn, DnStringOrder order = DnStringOrder::reversed);

// X-Road's CertUtils.getRDNValue on the certificate's subject: the value of the first
// attribute of that type in RFC 2253 order (the LAST in DER order), escaped as BouncyCastle's
// IETFUtils.valueToString does (\ before , " \ + = < > ; a leading #, and leading or
// trailing spaces). std::nullopt when the subject has none.
std::optional<std::string> rdn_value(const DistinguishedName& dn, std::string_view oid);

// Well-known OIDs the profiles use.
namespace oid {
inline constexpr std::string_view kCountry = "2.5.4.6";
inline constexpr std::string_view kOrganization = "2.5.4.10";
inline constexpr std::string_view kOrganizationalUnit = "2.5.4.11";
inline constexpr std::string_view kCommonName = "2.5.4.3";
inline constexpr std::string_view kSerialNumber = "2.5.4.5";
inline constexpr std::string_view kBusinessCategory = "2.5.4.15";
inline constexpr std::string_view kOrganizationIdentifier = "2.5.4.97";
}  // namespace oid

}  // namespace roadside::trust
