// FraudService: approves or declines a charge (amount limit, per-user velocity), with an optional
// artificial delay that stops the moment the caller cancels or its deadline passes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "common/call_budget.h"
#include "common/service.h"
#include "services/fraud/velocity_limiter.h"

namespace switchboard::fraud {

// What the service did, readable from tests in the same process.
struct FraudStats {
  std::atomic<int64_t> checks_started{0};    // every Check that reached the handler
  std::atomic<int64_t> checks_completed{0};  // a verdict was returned (approved or declined)
  std::atomic<int64_t> checks_declined{0};   // of those, declined by a rule
  std::atomic<int64_t> checks_invalid{0};    // refused with INVALID_ARGUMENT
  // Stopped without a verdict: the caller cancelled, the deadline passed (also on arrival), or
  // the server began shutting down.
  std::atomic<int64_t> checks_cancelled{0};
};

class FraudService : public common::Service {
 public:
  virtual const FraudStats& stats() const = 0;
};

// The FraudService behind a common::Service made by these factories, else nullptr.
FraudService* AsFraudService(common::Service* service);

// Clocks the service reads; tests replace them.
struct FraudClocks {
  common::CallBudget::Clock wall = std::chrono::system_clock::now;  // deadlines
  VelocityLimiter::Clock steady = std::chrono::steady_clock::now;   // velocity window
};

// Settings (block services.fraud), defaults in FraudConfig: max_amount (500000),
// max_checks_per_user (20), velocity_window (60s), max_tracked_users (100000), delay (0ms),
// default_timeout (10s), max_timeout (60s).
absl::StatusOr<std::unique_ptr<common::Service>> MakeFraudService(
    const common::ServiceOptions& options);

absl::StatusOr<std::unique_ptr<common::Service>> MakeFraudServiceWithClocks(
    const common::ServiceOptions& options, FraudClocks clocks);

}  // namespace switchboard::fraud
