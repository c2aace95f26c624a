// Passive outlier detection (Envoy's consecutive_5xx): an endpoint whose calls fail several
// times in a row (transport failure or UNAVAILABLE) is ejected for
// base_ejection * 2^(times ejected - 1), capped at max_ejection, then re-admitted.
#pragma once

#include <chrono>
#include <cstdint>

namespace switchboard::lb {

using Clock = std::chrono::steady_clock;

struct OutlierOptions {
  int consecutive_failures = 5;  // 0 turns ejection off
  std::chrono::milliseconds base_ejection{1000};
  std::chrono::milliseconds max_ejection{30000};
};

class OutlierState {
 public:
  bool Ejected(Clock::time_point now) const { return now < ejected_until_; }
  // A call ended in a failure; true when this ejected the endpoint.
  bool RecordFailure(Clock::time_point now, const OutlierOptions& options);
  void RecordSuccess() { failures_in_row_ = 0; }
  // Active checks found the endpoint healthy again after it was not: re-admit it now and
  // forget its history, so a restarted backend is back at once rather than after a backoff
  // earned by its previous life.
  void Reset();
  int times_ejected() const { return times_ejected_; }
  uint64_t ejections() const { return ejections_; }
  Clock::time_point ejected_until() const { return ejected_until_; }

 private:
  int failures_in_row_ = 0;
  int times_ejected_ = 0;
  uint64_t ejections_ = 0;  // for metrics; never reset
  Clock::time_point ejected_until_{};
};

}  // namespace switchboard::lb
