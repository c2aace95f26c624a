// Peak-EWMA of one endpoint's round-trip time, as Finagle's and tower's PeakEwma keep it: a
// sample above the estimate replaces it at once (a backend that turns slow is avoided from its
// first slow answer), a lower one is blended in, and the estimate decays towards zero with a
// time constant, so an endpoint avoided for a while is tried again. Time is passed in.
#pragma once

#include <chrono>
#include <functional>

#include "absl/status/status.h"
#include "lb/outlier.h"

namespace switchboard::lb {

struct PeakEwmaOptions {
  // Linkerd's defaults (linkerd2-proxy: DEFAULT_EWMA_DECAY, DEFAULT_EWMA_DEFAULT_RTT).
  static constexpr std::chrono::milliseconds kDefaultDecay{10000};
  static constexpr std::chrono::milliseconds kDefaultRtt{30};
  // How fast the past is forgotten: after `decay` without a sample an estimate is down to 1/e.
  std::chrono::milliseconds decay = kDefaultDecay;
  // What an endpoint without any sample yet is assumed to take.
  std::chrono::milliseconds default_rtt = kDefaultRtt;
  // Where the policy reads the time of a pick (tests pass a fake one).
  std::function<Clock::time_point()> clock = Clock::now;
};

// InvalidArgument naming the field when decay or default_rtt is not positive or clock is unset.
absl::Status ValidatePeakEwmaOptions(const PeakEwmaOptions& options);

class RttEstimate {
 public:
  // Starts the estimate at options.default_rtt as of `now` (the endpoint has just appeared):
  // from then the default decays like a measured estimate, so an endpoint that has not had a
  // call yet becomes worth trying rather than being starved by one measured below the default.
  void Seed(Clock::time_point now, const PeakEwmaOptions& options);
  // One call on the endpoint took `rtt`, ending at `now`.
  void Observe(Clock::duration rtt, Clock::time_point now, const PeakEwmaOptions& options);
  // The estimate at `now` in nanoseconds: the last value (a sample, or the seeded default)
  // decayed by exp(-elapsed / decay); options.default_rtt when neither seeded nor measured.
  double Nanos(Clock::time_point now, const PeakEwmaOptions& options) const;
  bool measured() const { return measured_; }
  bool seeded() const { return seeded_; }

 private:
  bool seeded_ = false;
  bool measured_ = false;
  double nanos_ = 0;
  Clock::time_point updated_{};
};

}  // namespace switchboard::lb
