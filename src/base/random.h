// Injectable randomness. The system source is the kernel CSPRNG (getrandom(2));
// tests use a seeded deterministic source.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace roadside {

class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;

  std::string bytes(std::size_t n);
  // A random (version 4) UUID in its canonical text form.
  std::string uuid();

  // The process-wide cryptographically secure source. Thread-safe.
  static Random& system();
};

// Deterministic, for tests only: the same seed gives the same bytes. Not thread-safe.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  void fill(std::span<std::uint8_t> out) override;

 private:
  std::uint64_t state_;
};

}  // namespace roadside
