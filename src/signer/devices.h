// X-Road's devices.ini: the PKCS#11 devices the signer uses, one [section] each, the section's
// name being the device's "module type" (in its tokens' ids). What X-Road 7's signer reads
// (its ModuleConf), with its defaults:
//
//   [softhsm]
//   library = /usr/lib/softhsm/libsofthsm2.so      ; required
//   enabled = true
//   library_cant_create_os_threads = false           ; with os_locking_ok: C_Initialize's flags
//   os_locking_ok = true
//   sign_verify_pin = false                          ; log in before each signature, out after
//   batch_signing_enabled = true
//   read_only = false
//   token_id_format = {moduleType}{slotIndex}{serialNumber}{label}
//   sign_mechanism = CKM_RSA_PKCS                    ; or CKM_RSA_PKCS_PSS
//   slot_ids = 1, 2                                  ; only these PKCS#11 slot ids
//   pub_key_attribute_encrypt = true                 ; the public key's CKA_ENCRYPT, ...
//   priv_key_attribute_decrypt = true                ; the private key's CKA_DECRYPT, ...
//
// A section named softToken with enabled = false turns the software token off. As X-Road's,
// a section that is wrong (no library, a value that is not one, an unknown mechanism) is left
// out with a warning naming it and why, and the others are used; so is an unknown key.
// Booleans are true/false, yes/no, on/off, y/n, t/f in any case; ';' and '#' start comments
// (at a line's start, or after white space); a value may be quoted.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace roadside::signer {

// X-Road's default token_id_format.
inline constexpr std::string_view kDefaultTokenIdFormat = "{moduleType}{slotIndex}{serialNumber}{label}";

// One device's section.
struct DeviceConf {
  std::string type;  // the section's name: X-Road's moduleType
  std::string library;
  std::optional<bool> os_locking_ok;
  std::optional<bool> cant_create_os_threads;
  bool sign_verify_pin = false;
  bool batch_signing = true;
  bool read_only = false;
  std::string token_id_format = std::string(kDefaultTokenIdFormat);
  bool rsa_pss = false;  // sign_mechanism = CKM_RSA_PKCS_PSS
  std::vector<unsigned long> slot_ids;
  // The key pairs' attributes by CKA_ name without the prefix ("ENCRYPT"), X-Road's defaults
  // first (public: ENCRYPT, VERIFY; private: SENSITIVE, DECRYPT, SIGN), then the section's.
  std::vector<std::pair<std::string, bool>> public_key_attributes;
  std::vector<std::pair<std::string, bool>> private_key_attributes;
};

struct DevicesConf {
  std::vector<DeviceConf> devices;  // enabled ones, in the file's order
  bool soft_token_enabled = true;
  std::vector<std::string> warnings;  // what was left out, and why
};

// The largest devices.ini read.
inline constexpr std::size_t kMaxDevicesIniBytes = 64 * 1024;

// errc::malformed_keyconf when the text is over kMaxDevicesIniBytes, holds a NUL, or has more
// than 64 sections; anything else wrong is a warning.
Result<DevicesConf> parse_devices_ini(std::string_view text);
// The file read and parsed; errc::malformed_keyconf naming it when it cannot be read.
Result<DevicesConf> read_devices_ini(const std::filesystem::path& file);

}  // namespace roadside::signer
