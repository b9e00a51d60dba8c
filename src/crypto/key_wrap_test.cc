// Issue 13, item 12 (keys at rest): keys sealed under scrypt and AES-256-GCM.
#include "crypto/key_wrap.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <gtest/gtest.h>

namespace roadside::crypto {
namespace {

TEST(KeysAtRest, EnvelopeCarriesScryptAtOrAboveTheFloorAndOpensWithThePin) {
  auto key = *PrivateKey::generate(KeyType::ec_p256);
  auto sealed = wrap_private_key(key, "1234");
  ASSERT_TRUE(sealed.ok()) << sealed.error().to_string();
  ASSERT_TRUE(is_wrapped_key(*sealed));
  auto h = read_wrapped_key_header(*sealed);
  ASSERT_TRUE(h.ok()) << h.error().to_string();
  EXPECT_EQ(h->kdf.kdf, Kdf::scrypt);
  EXPECT_GE(h->kdf.n, std::uint64_t{1} << 15);
  EXPECT_GE(h->kdf.r, 8u);
  EXPECT_GE(h->kdf.p, 1u);
  EXPECT_GE(h->kdf.n * h->kdf.r * h->kdf.p, kKeyWrapMinWork);
  EXPECT_EQ(h->salt.size(), 16u);
  EXPECT_EQ(h->nonce.size(), 12u);
  // The key's bytes are not in the envelope.
  EXPECT_EQ(sealed->find(key.to_pem().substr(30, 20)), std::string::npos);

  auto opened = unwrap_private_key(*sealed, "1234");
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  EXPECT_EQ(opened->public_key_pem(), key.public_key_pem());
  EXPECT_EQ(opened->to_pem(), key.to_pem());
}

TEST(KeysAtRest, WrongPinAndAlteredBytesAreRefused) {
  auto key = *PrivateKey::generate(KeyType::rsa2048);
  auto kek = KeyWrapKey::derive("a-pin-0123", Random::system());
  ASSERT_TRUE(kek.ok()) << kek.error().to_string();
  auto sealed = kek->wrap(key, Random::system());
  ASSERT_TRUE(sealed.ok()) << sealed.error().to_string();
  // Keys of one token share the derived key and salt, never a nonce.
  auto second = kek->wrap(key, Random::system());
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(kek->derived_like(*second));
  EXPECT_NE(read_wrapped_key_header(*sealed)->nonce, read_wrapped_key_header(*second)->nonce);
  EXPECT_TRUE(kek->unwrap(*second).ok());

  auto wrong = unwrap_private_key(*sealed, "a-pin-0124");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), errc::wrong_password);
  EXPECT_EQ(wrong.error().fault_code(), "pin_incorrect");
  EXPECT_EQ(wrong.error().to_string().find("a-pin-0124"), std::string::npos);

  // One flipped bit anywhere: in the salt or nonce (authenticated as additional data), the
  // ciphertext or the tag. (The KDF fields are checked before deriving: see below.)
  for (std::size_t at : {std::size_t{33}, std::size_t{50}, std::size_t{70}, sealed->size() - 1}) {
    std::string altered = *sealed;
    altered[at] = static_cast<char>(altered[at] ^ 0x01);
    auto r = kek->unwrap(altered);
    EXPECT_FALSE(r.ok()) << "byte " << at;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), errc::wrong_password) << "byte " << at;
    }
  }
  // A header altered to a weaker KDF, or to one that would take gigabytes, is refused before deriving.
  std::string weaker = *sealed;
  weaker[22] = 2;  // N (bytes 16-23, big-endian): 2^15 -> 2^9
  EXPECT_EQ(unwrap_private_key(weaker, "a-pin-0123").error().code(), errc::bad_key);
  std::string huge = *sealed;
  huge[22] = 0;  // N: 2^15 -> 2^40
  huge[18] = 1;
  EXPECT_EQ(unwrap_private_key(huge, "a-pin-0123").error().code(), errc::bad_key);
  EXPECT_EQ(unwrap_private_key(sealed->substr(0, 40), "a-pin-0123").error().code(), errc::bad_key);
  EXPECT_EQ(unwrap_private_key("not an envelope at all, long enough to have a header.........", "x").error().code(),
            errc::bad_key);
}

// How long a login waits per token: one scrypt derivation and one AES-GCM open.
TEST(KeysAtRest, UnwrapTime) {
  auto key = *PrivateKey::generate(KeyType::ec_p256);
  auto sealed = *wrap_private_key(key, "1234");
  std::vector<double> ms;
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(unwrap_private_key(sealed, "1234").ok());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("unwrap (scrypt N=2^15 r=8 p=4 + AES-256-GCM): median %.0f ms, min %.0f ms, max %.0f ms of 5\n", ms[2],
              ms[0], ms[4]);
  RecordProperty("unwrap_median_ms", static_cast<int>(ms[2]));
}

}  // namespace
}  // namespace roadside::crypto
