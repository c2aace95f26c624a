// A deterministic random walk for one symbol: the same seed and symbol give the same prices on
// every machine, so a demo or a test can be replayed exactly.
#pragma once

#include <cstdint>
#include <string_view>

namespace switchboard::stock {

class PriceWalk {
 public:
  // Where a walk starts and how far one step may move it.
  static constexpr double kMinStartPrice = 10.0;
  static constexpr double kMaxStartPrice = 500.0;
  static constexpr double kMaxStepFraction = 0.01;  // at most 1% up or down per tick
  static constexpr double kFloorPrice = 0.01;       // prices stay positive

  PriceWalk(uint64_t seed, std::string_view symbol);

  double price() const { return price_; }
  // Moves one tick and returns the new price.
  double Step();
  // Continues from a price set elsewhere (a published tick).
  void Reset(double price) { price_ = price; }

 private:
  // splitmix64: tiny, fast and fully specified, unlike the std:: distributions whose output
  // differs between standard libraries.
  uint64_t NextRandom();
  // Uniform in [0, 1).
  double NextUnit();

  uint64_t state_;
  double price_;
};

}  // namespace switchboard::stock
