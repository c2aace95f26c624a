#include "services/payment/payment_config.h"

#include <limits>

#include "common/system_config.h"

namespace switchboard::payment {
namespace {

constexpr std::chrono::milliseconds kMaxMinFraudBudget{std::chrono::minutes(1)};
constexpr int64_t kMaxChargeAmountCeiling = std::numeric_limits<int64_t>::max();

}  // namespace

absl::StatusOr<PaymentConfig> ReadPaymentConfig(const YAML::Node& node) {
  common::Settings settings(node, "services.payment");
  PaymentConfig config;
  config.database = settings.String("database", config.database);
  config.min_fraud_budget = settings.Duration("min_fraud_budget", config.min_fraud_budget,
                                              std::chrono::milliseconds(0), kMaxMinFraudBudget);
  config.max_charge_amount =
      settings.Int("max_charge_amount", config.max_charge_amount, 1, kMaxChargeAmountCeiling);
  config.deadline_policy = common::ReadDeadlinePolicy(settings);
  if (auto s = settings.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace switchboard::payment
