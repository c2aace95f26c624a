#include "lb/health.h"

namespace switchboard::lb {

bool HealthState::Record(bool passed, const HealthOptions& options) {
  if (passed) {
    failed_in_row_ = 0;
    ++passed_in_row_;
    if (!healthy_ && passed_in_row_ >= options.healthy_threshold) {
      healthy_ = true;
      return true;
    }
    return false;
  }
  passed_in_row_ = 0;
  ++failed_in_row_;
  if (healthy_ && failed_in_row_ >= options.unhealthy_threshold) {
    healthy_ = false;
    return true;
  }
  return false;
}

bool HealthState::Uncheckable() {
  const bool flipped = !healthy_;
  healthy_ = true;
  passed_in_row_ = 0;
  failed_in_row_ = 0;
  return flipped;
}

}  // namespace switchboard::lb
