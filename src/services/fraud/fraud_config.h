// FraudService settings (block services.fraud), with their defaults in one place.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>

#include "absl/status/statusor.h"
#include "common/call_budget.h"

namespace switchboard::fraud {

struct FraudConfig {
  static constexpr int64_t kDefaultMaxAmount = 500000;
  static constexpr int64_t kDefaultMaxChecksPerUser = 20;
  static constexpr std::chrono::milliseconds kDefaultVelocityWindow{60000};
  static constexpr int64_t kDefaultMaxTrackedUsers = 100000;
  // The longest `delay`, from the settings or set at run time (DelaySwitch).
  static constexpr std::chrono::milliseconds kMaxDelay{std::chrono::minutes(10)};

  // Amounts above this are declined ("amount X above limit Y").
  int64_t max_amount = kDefaultMaxAmount;
  // At most this many approved checks per user within `velocity_window`.
  int64_t max_checks_per_user = kDefaultMaxChecksPerUser;
  std::chrono::milliseconds velocity_window = kDefaultVelocityWindow;
  // Bounds the velocity tracker's memory; beyond it checks fail with RESOURCE_EXHAUSTED.
  int64_t max_tracked_users = kDefaultMaxTrackedUsers;
  // Artificial latency before each verdict, so deadline behaviour can be watched; the start
  // value of the service's DelaySwitch.
  std::chrono::milliseconds delay{0};
  common::DeadlinePolicy deadline_policy;
};

// Reads the block; an unknown key or bad value is an error naming it ("services.fraud.delay").
absl::StatusOr<FraudConfig> ReadFraudConfig(const YAML::Node& settings);

}  // namespace switchboard::fraud
