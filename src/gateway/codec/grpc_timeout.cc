#include "gateway/codec/grpc_timeout.h"

#include <cstdint>

namespace switchboard::gateway {
namespace {

// The spec allows 8 digits, but the grpc-web JS client sends milliseconds unbounded (a 2-day
// deadline is "172800000m"): accept more and cap the value instead of refusing the call.
constexpr size_t kMaxDigits = 18;
constexpr int64_t kMaxHours = 24 * 365 * 100;
constexpr int64_t kMaxValue = 99999999;

}  // namespace

std::optional<std::chrono::microseconds> ParseGrpcTimeout(std::string_view value) {
  if (value.size() < 2 || value.size() > kMaxDigits + 1) return std::nullopt;
  int64_t number = 0;
  for (size_t i = 0; i + 1 < value.size(); ++i) {
    if (value[i] < '0' || value[i] > '9') return std::nullopt;
    number = number * 10 + (value[i] - '0');
  }
  using std::chrono::microseconds;
  if (value.back() == 'H' && number > kMaxHours) number = kMaxHours;
  if (value.back() == 'M' && number > kMaxHours * 60) number = kMaxHours * 60;
  if (value.back() == 'S' && number > kMaxHours * 3600) number = kMaxHours * 3600;
  if (value.back() == 'm' && number > kMaxHours * 3600 * 1000) number = kMaxHours * 3600 * 1000;
  switch (value.back()) {
    case 'H': return std::chrono::duration_cast<microseconds>(std::chrono::hours(number));
    case 'M': return std::chrono::duration_cast<microseconds>(std::chrono::minutes(number));
    case 'S': return std::chrono::duration_cast<microseconds>(std::chrono::seconds(number));
    case 'm': return std::chrono::duration_cast<microseconds>(std::chrono::milliseconds(number));
    case 'u': return microseconds(number);
    case 'n': return microseconds((number + 999) / 1000);
    default: return std::nullopt;
  }
}

std::string FormatGrpcTimeout(std::chrono::microseconds timeout) {
  int64_t us = timeout.count() < 1 ? 1 : timeout.count();
  if (us <= kMaxValue) return std::to_string(us) + "u";
  const int64_t ms = (us + 999) / 1000;
  if (ms <= kMaxValue) return std::to_string(ms) + "m";
  const int64_t s = (ms + 999) / 1000;
  if (s <= kMaxValue) return std::to_string(s) + "S";
  return std::to_string(std::min<int64_t>((s + 59) / 60, kMaxValue)) + "M";
}

}  // namespace switchboard::gateway
