#include "base/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace roadside {
namespace {

class SystemRandom final : public Random {
 public:
  void fill(std::span<std::uint8_t> out) override {
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        // Without a working CSPRNG nothing secret can be made: crash rather than go on.
        std::perror("getrandom");
        std::abort();
      }
      done += static_cast<std::size_t>(n);
    }
  }
};

}  // namespace

std::string Random::bytes(std::size_t n) {
  std::string out(n, '\0');
  fill(std::span(reinterpret_cast<std::uint8_t*>(out.data()), n));
  return out;
}

std::string Random::uuid() {
  std::uint8_t b[16];
  fill(b);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

Random& Random::system() {
  static SystemRandom random;
  return random;
}

void SeededRandom::fill(std::span<std::uint8_t> out) {
  // splitmix64
  for (std::size_t i = 0; i < out.size(); i += 8) {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (std::size_t j = 0; j < 8 && i + j < out.size(); ++j) out[i + j] = static_cast<std::uint8_t>(z >> (8 * j));
  }
}

}  // namespace roadside
