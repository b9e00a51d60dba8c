// Certificate profiles: which member a signing certificate belongs to, by the rules of the
// issuing CA's profile (approvedCA/certificateProfileInfo names X-Road's Java class).
// Reference: xroad-protocols.md §8.4. Implemented: the FiVRK profile, used by the X-Road
// test PKIs (subject "C=FI, O=<name>, serialNumber=<instance>/<serverCode>/<memberClass>,
// CN=<memberCode>").
#pragma once

#include <string_view>

#include "base/identifiers.h"
#include "base/result.h"
#include "crypto/crypto.h"

namespace roadside::trust {

inline constexpr std::string_view kFiVrkProfile =
    "ee.ria.xroad.common.certificateprofile.impl.FiVRKCertificateProfileInfoProvider";

// The MEMBER a signing certificate belongs to. Errors name the profile and the subject.
Result<XRoadId> signing_cert_member(const crypto::Certificate& cert, std::string_view profile_class);

}  // namespace roadside::trust
