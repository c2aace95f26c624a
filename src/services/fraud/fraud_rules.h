// The fraud rules as pure logic: request validation, the amount limit and the velocity limit.
// The gRPC layer (check_reactor) only decides when to apply them.
#pragma once

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/fraud/fraud_config.h"
#include "services/fraud/velocity_limiter.h"
#include "switchboard/fraud/v1/fraud.pb.h"

namespace switchboard::fraud {

inline constexpr size_t kMaxIdBytes = 128;

// INVALID_ARGUMENT naming the first bad field: user_id and currency must be set, amount > 0.
absl::Status ValidateCheckRequest(const v1::CheckRequest& request);

class FraudRules {
 public:
  FraudRules(const FraudConfig& config, VelocityLimiter::Clock clock);

  // The verdict for a valid request. Only approved checks count towards the velocity limit.
  // RESOURCE_EXHAUSTED when the velocity tracker is full.
  absl::StatusOr<v1::CheckResult> Decide(const v1::CheckRequest& request);

 private:
  const int64_t max_amount_;
  VelocityLimiter velocity_;
};

}  // namespace switchboard::fraud
