// devices.ini as X-Road's signer reads it: its keys and defaults, the software token turned
// off, and sections that are wrong left out with a warning while the others are used.
#include "signer/devices.h"

#include <gtest/gtest.h>

#include "signer/keyconf.h"

namespace roadside::signer {
namespace {

bool has(const std::vector<std::pair<std::string, bool>>& attributes, const std::string& name, bool value) {
  for (const auto& [n, v] : attributes) {
    if (n == name) return v == value;
  }
  return false;
}

TEST(DevicesIni, ReadsXRoadsKeysWithTheirDefaults) {
  auto conf = parse_devices_ini(R"(
; comment
# another
[softToken]
enabled = false

[softhsm]
library = /usr/lib/softhsm/libsofthsm2.so   ; where Debian puts it

[hsm_utimaco_se52]
library: "/opt/hsm/lib pkcs11.so"
ENABLED = Yes
os_locking_ok = true
library_cant_create_os_threads = off
sign_verify_pin = T
batch_signing_enabled = n
read_only = no
token_id_format = {moduleType}{slotIndex}{label}
sign_mechanism = CKM_RSA_PKCS_PSS
slot_ids = 0, 1,17
pub_key_attribute_encrypt = false
priv_key_attribute_decrypt = false
priv_key_attribute_extractable = false

[off]
library = /x.so
enabled = false
)");
  ASSERT_TRUE(conf.ok()) << conf.error().detail();
  EXPECT_TRUE(conf->warnings.empty()) << conf->warnings.front();
  EXPECT_FALSE(conf->soft_token_enabled);
  ASSERT_EQ(conf->devices.size(), 2U);

  const DeviceConf& soft = conf->devices[0];
  EXPECT_EQ(soft.type, "softhsm");
  EXPECT_EQ(soft.library, "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_FALSE(soft.os_locking_ok.has_value());
  EXPECT_FALSE(soft.sign_verify_pin);
  EXPECT_TRUE(soft.batch_signing);
  EXPECT_FALSE(soft.rsa_pss);
  EXPECT_EQ(soft.token_id_format, "{moduleType}{slotIndex}{serialNumber}{label}");
  EXPECT_TRUE(soft.slot_ids.empty());
  // X-Road's defaults.
  EXPECT_TRUE(has(soft.public_key_attributes, "ENCRYPT", true));
  EXPECT_TRUE(has(soft.public_key_attributes, "VERIFY", true));
  EXPECT_TRUE(has(soft.private_key_attributes, "SENSITIVE", true));
  EXPECT_TRUE(has(soft.private_key_attributes, "DECRYPT", true));
  EXPECT_TRUE(has(soft.private_key_attributes, "SIGN", true));

  const DeviceConf& hsm = conf->devices[1];
  EXPECT_EQ(hsm.type, "hsm_utimaco_se52");
  EXPECT_EQ(hsm.library, "/opt/hsm/lib pkcs11.so");
  EXPECT_EQ(hsm.os_locking_ok, true);
  EXPECT_EQ(hsm.cant_create_os_threads, false);
  EXPECT_TRUE(hsm.sign_verify_pin);
  EXPECT_FALSE(hsm.batch_signing);
  EXPECT_FALSE(hsm.read_only);
  EXPECT_EQ(hsm.token_id_format, "{moduleType}{slotIndex}{label}");
  EXPECT_TRUE(hsm.rsa_pss);
  EXPECT_EQ(hsm.slot_ids, (std::vector<unsigned long>{0, 1, 17}));
  EXPECT_TRUE(has(hsm.public_key_attributes, "ENCRYPT", false));
  EXPECT_TRUE(has(hsm.private_key_attributes, "DECRYPT", false));
  EXPECT_TRUE(has(hsm.private_key_attributes, "EXTRACTABLE", false));
}

TEST(DevicesIni, AWrongSectionIsLeftOutWithAWarningAndTheOthersStay) {
  auto conf = parse_devices_ini(R"(
key_before_any_section = 1
[no_library]
enabled = true
[bad_boolean]
library = /a.so
read_only = maybe
[bad_mechanism]
library = /b.so
sign_mechanism = CKM_ECDSA
[bad_slot]
library = /c.so
slot_ids = 1, two
[unknown_key]
library = /d.so
pin = 1234
[mechanisms]
library = /e.so
priv_key_attribute_allowed_mechanisms = CKM_RSA_PKCS
[good]
library = /f.so
[good]
library = /g.so
[broken
)");
  ASSERT_TRUE(conf.ok()) << conf.error().detail();
  ASSERT_EQ(conf->devices.size(), 1U);
  EXPECT_EQ(conf->devices[0].library, "/f.so") << "the first of two sections of a name";
  const std::vector<std::string> expected = {"neither a section nor key = value",
                                             "[no_library] left out: no PKCS#11 library",
                                             "maybe",
                                             "CKM_ECDSA",
                                             "two",
                                             "unknown key pin",
                                             "not supported",
                                             "a second section",
                                             "without ']'"};
  std::string all;
  for (const auto& w : conf->warnings) all += w + "\n";
  for (const auto& e : expected) EXPECT_NE(all.find(e), std::string::npos) << e << " not in:\n" << all;
  EXPECT_EQ(all.find("1234"), std::string::npos) << "a value of an unknown key is not repeated";
}

TEST(DevicesIni, TextThatIsNoIniFileIsRefused) {
  for (const std::string& text : {std::string(kMaxDevicesIniBytes + 1, ' '), std::string("[a]\0library=x", 13)}) {
    auto conf = parse_devices_ini(text);
    ASSERT_FALSE(conf.ok());
    EXPECT_EQ(conf.error().code(), make_error_code(errc::malformed_keyconf));
  }
  std::string many;
  for (int i = 0; i < 65; ++i) many += "[s" + std::to_string(i) + "]\nlibrary=/x\n";
  auto conf = parse_devices_ini(many);
  ASSERT_FALSE(conf.ok());
  EXPECT_NE(conf.error().detail().find("more than 64 sections"), std::string::npos);
  auto missing = read_devices_ini("/nonexistent/devices.ini");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().detail().find("/nonexistent/devices.ini"), std::string::npos);
}

}  // namespace
}  // namespace roadside::signer
