#include "lb/rtt_estimate.h"

#include <algorithm>
#include <cmath>

namespace switchboard::lb {
namespace {

// exp(-elapsed / decay): the weight the old estimate keeps after `elapsed`.
double Retained(Clock::duration elapsed, const PeakEwmaOptions& options) {
  const double elapsed_ns =
      std::chrono::duration<double, std::nano>(std::max(Clock::duration::zero(), elapsed)).count();
  const double decay_ns = std::chrono::duration<double, std::nano>(options.decay).count();
  return std::exp(-elapsed_ns / decay_ns);
}

}  // namespace

absl::Status ValidatePeakEwmaOptions(const PeakEwmaOptions& options) {
  if (options.decay <= std::chrono::milliseconds::zero()) {
    return absl::InvalidArgumentError("peak_ewma decay must be positive, got " +
                                      std::to_string(options.decay.count()) + "ms");
  }
  if (options.default_rtt <= std::chrono::milliseconds::zero()) {
    return absl::InvalidArgumentError("peak_ewma default_rtt must be positive, got " +
                                      std::to_string(options.default_rtt.count()) + "ms");
  }
  if (!options.clock) return absl::InvalidArgumentError("peak_ewma clock is not set");
  return absl::OkStatus();
}

void RttEstimate::Seed(Clock::time_point now, const PeakEwmaOptions& options) {
  seeded_ = true;
  measured_ = false;
  nanos_ = std::chrono::duration<double, std::nano>(options.default_rtt).count();
  updated_ = now;
}

void RttEstimate::Observe(Clock::duration rtt, Clock::time_point now,
                          const PeakEwmaOptions& options) {
  const double sample =
      std::chrono::duration<double, std::nano>(std::max(Clock::duration::zero(), rtt)).count();
  if (!measured_) {
    // The default is a guess, not a measurement: the first real sample replaces it.
    measured_ = true;
    seeded_ = true;
    nanos_ = sample;
  } else {
    const double retained = Retained(now - updated_, options);
    const double decayed = nanos_ * retained;
    nanos_ = sample > decayed ? sample : decayed + sample * (1.0 - retained);
  }
  updated_ = now;
}

double RttEstimate::Nanos(Clock::time_point now, const PeakEwmaOptions& options) const {
  if (!seeded_) return std::chrono::duration<double, std::nano>(options.default_rtt).count();
  return nanos_ * Retained(now - updated_, options);
}

}  // namespace switchboard::lb
