// A certificate's subject attribute by attribute, by dotted OID: what X-Road's certificate
// profiles read (trust/certificate_profile.h). Implemented in certificate.cc.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "crypto/certificate.h"

namespace roadside::crypto {

// The subject's attributes in DER order as {dotted OID ("2.5.4.5"), UTF-8 value}, every one
// kept (Certificate::subject_entries drops those OpenSSL has no name for).
std::vector<std::pair<std::string, std::string>> subject_attributes(const Certificate& cert);

}  // namespace roadside::crypto
