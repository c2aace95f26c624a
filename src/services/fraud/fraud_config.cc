#include "services/fraud/fraud_config.h"

#include <limits>

#include "common/system_config.h"

namespace switchboard::fraud {
namespace {

constexpr int64_t kMaxAmountCeiling = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxChecksCeiling = 1000000;
constexpr int64_t kMaxTrackedUsersCeiling = 10000000;
constexpr std::chrono::milliseconds kMinWindow{1};
constexpr std::chrono::milliseconds kMaxWindow{std::chrono::hours(24)};

}  // namespace

absl::StatusOr<FraudConfig> ReadFraudConfig(const YAML::Node& node) {
  common::Settings settings(node, "services.fraud");
  FraudConfig config;
  config.max_amount = settings.Int("max_amount", config.max_amount, 1, kMaxAmountCeiling);
  config.max_checks_per_user =
      settings.Int("max_checks_per_user", config.max_checks_per_user, 1, kMaxChecksCeiling);
  config.velocity_window =
      settings.Duration("velocity_window", config.velocity_window, kMinWindow, kMaxWindow);
  config.max_tracked_users =
      settings.Int("max_tracked_users", config.max_tracked_users, 1, kMaxTrackedUsersCeiling);
  config.delay = settings.Duration("delay", config.delay, std::chrono::milliseconds(0),
                                   FraudConfig::kMaxDelay);
  config.deadline_policy = common::ReadDeadlinePolicy(settings);
  if (auto s = settings.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace switchboard::fraud
