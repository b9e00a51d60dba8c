// The OpenSSL facade, whole: an umbrella header that only includes the headers of the facade's
// concerns (errors, keys, keys kept on a device, certificates and chains, certificate requests, digests, hex and
// base64, signatures, PKCS#12, OCSP, time-stamps, passwords), so a caller may include just
// this one. Code that needs one concern may include its header alone; README.md says which
// file holds what. OpenSSL types stay behind these classes, but for net/ (TLS), xml/xades.cc
// (serial numbers) and testbed/authority.cc (answering as an authority), which reach them through
// native().
#pragma once

#include "crypto/certificate.h"
#include "crypto/csr.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "crypto/errors.h"
#include "crypto/external_key.h"
#include "crypto/keys.h"
#include "crypto/ocsp.h"
#include "crypto/password.h"
#include "crypto/pkcs12.h"
#include "crypto/signature.h"
#include "crypto/timestamp.h"
