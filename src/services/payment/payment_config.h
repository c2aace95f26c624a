// PaymentService settings (block services.payment), with their defaults in one place.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/call_budget.h"

namespace switchboard::payment {

struct PaymentConfig {
  static constexpr char kDefaultDatabase[] = "payment.db";
  static constexpr std::chrono::milliseconds kDefaultMinFraudBudget{5};
  // 1,000,000.00 in a two-decimal currency: a sanity bound, not a policy (fraud has the policy).
  static constexpr int64_t kDefaultMaxChargeAmount = 100000000;

  std::string database = kDefaultDatabase;
  // Below this much time left, a charge fails fast instead of calling fraud.
  std::chrono::milliseconds min_fraud_budget = kDefaultMinFraudBudget;
  int64_t max_charge_amount = kDefaultMaxChargeAmount;
  common::DeadlinePolicy deadline_policy;
};

// Reads the block; an unknown key or bad value is an error naming it ("services.payment.x").
absl::StatusOr<PaymentConfig> ReadPaymentConfig(const YAML::Node& settings);

}  // namespace switchboard::payment
