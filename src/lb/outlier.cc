#include "lb/outlier.h"

#include <algorithm>

namespace switchboard::lb {

bool OutlierState::RecordFailure(Clock::time_point now, const OutlierOptions& options) {
  if (options.consecutive_failures <= 0 || Ejected(now)) return false;
  if (++failures_in_row_ < options.consecutive_failures) return false;
  failures_in_row_ = 0;
  ++times_ejected_;
  ++ejections_;
  // Doubling, computed without overflow: stop doubling once past the cap.
  auto ejection = options.base_ejection;
  for (int i = 1; i < times_ejected_ && ejection < options.max_ejection; ++i) ejection *= 2;
  ejected_until_ = now + std::min(ejection, options.max_ejection);
  return true;
}

void OutlierState::Reset() {
  failures_in_row_ = 0;
  times_ejected_ = 0;
  ejected_until_ = {};
}

}  // namespace switchboard::lb
