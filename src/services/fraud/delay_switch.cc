#include "services/fraud/delay_switch.h"

#include "absl/strings/str_cat.h"

namespace switchboard::fraud {

absl::Status DelaySwitch::Set(std::chrono::milliseconds delay) {
  if (delay.count() < 0 || delay > max_) {
    return absl::InvalidArgumentError(
        absl::StrCat("delay_ms ", delay.count(), ": must be from 0 to ", max_.count()));
  }
  delay_ms_.store(delay.count(), std::memory_order_relaxed);
  return absl::OkStatus();
}

}  // namespace switchboard::fraud
