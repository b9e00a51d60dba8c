#include "trust/certificate_profile.h"

#include <vector>

namespace roadside::trust {
namespace {

Error bad(std::string detail) {
  return Error(make_error_code(crypto::errc::cert_validation), std::move(detail));
}

}  // namespace

Result<XRoadId> signing_cert_member(const crypto::Certificate& cert, std::string_view profile_class) {
  if (profile_class != kFiVrkProfile) {
    return bad("certificate profile \"" + std::string(profile_class) + "\" is not supported (supported: FiVRK)");
  }
  // serialNumber = <instance>/<serverCode>/<memberClass>, CN = <memberCode>
  const std::string serial = cert.subject_entry("serialNumber");
  const std::string code = cert.subject_entry("CN");
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const auto slash = serial.find('/', start);
    parts.push_back(serial.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.size() != 3 || code.empty()) {
    return bad(
        "signing certificate " + cert.subject() +
        " does not follow the FiVRK profile (serialNumber=<instance>/<serverCode>/<memberClass>, CN=<memberCode>)");
  }
  auto id = XRoadId::member(parts[0], parts[2], code);
  if (!id.ok()) return bad("signing certificate " + cert.subject() + ": " + id.error().detail());
  return id;
}

}  // namespace roadside::trust
