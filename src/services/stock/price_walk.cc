#include "services/stock/price_walk.h"

#include <algorithm>

namespace switchboard::stock {
namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;
constexpr double kTwoToMinus53 = 1.0 / 9007199254740992.0;
constexpr int kMantissaShift = 11;  // 64 random bits -> the 53 a double holds exactly

// FNV-1a: a stable hash (std::hash may differ between builds).
uint64_t HashSymbol(std::string_view symbol) {
  uint64_t hash = kFnvOffset;
  for (unsigned char c : symbol) {
    hash ^= c;
    hash *= kFnvPrime;
  }
  return hash;
}

}  // namespace

PriceWalk::PriceWalk(uint64_t seed, std::string_view symbol)
    : state_(seed ^ HashSymbol(symbol)), price_(0) {
  price_ = kMinStartPrice + (kMaxStartPrice - kMinStartPrice) * NextUnit();
}

uint64_t PriceWalk::NextRandom() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double PriceWalk::NextUnit() {
  return static_cast<double>(NextRandom() >> kMantissaShift) * kTwoToMinus53;
}

double PriceWalk::Step() {
  const double move = (2.0 * NextUnit() - 1.0) * kMaxStepFraction;  // in [-1%, +1%)
  price_ = std::max(kFloorPrice, price_ * (1.0 + move));
  return price_;
}

}  // namespace switchboard::stock
