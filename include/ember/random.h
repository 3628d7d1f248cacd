// Random numbers: one seeded default generator behind rand/randn/dropout/shuffling.
#pragma once
#include <cstdint>
#include <random>

namespace ember {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0x5eed) { seed_(seed); }
  void seed_(uint64_t s) { engine_.seed(s); seed_value_ = s; }
  uint64_t seed() const { return seed_value_; }
  uint64_t next_u64() { return engine_(); }
  /// Uniform in [0,1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double normal();
  std::mt19937_64& engine() { return engine_; }
  const std::mt19937_64& engine() const { return engine_; }
  /// normal()'s cached second Box-Muller sample; with engine() and seed() the complete state
  /// (saved and restored by io::generator_state / io::set_generator_state).
  bool has_spare() const { return has_spare_; }
  double spare() const { return spare_; }
  void set_spare(bool has, double value) { has_spare_ = has; spare_ = value; }
 private:
  std::mt19937_64 engine_;
  uint64_t seed_value_ = 0;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

/// The process-wide generator used by factories and dropout.
Generator& default_generator();
/// Seeds the default generator (one --seed seeds everything).
void manual_seed(uint64_t seed);

}  // namespace ember
