#include "services/booking/booking_config.h"

#include "common/store/store_settings.h"
#include "common/system_config.h"

namespace switchboard::booking {
namespace {

constexpr int64_t kMaxSeatsCeiling = 1000;
constexpr std::chrono::milliseconds kMinBudget{0};
constexpr std::chrono::milliseconds kMinTimeout{1};
constexpr std::chrono::milliseconds kMaxDuration{std::chrono::hours(1)};

}  // namespace

absl::StatusOr<BookingConfig> ReadBookingConfig(const YAML::Node& node) {
  common::Settings settings(node, "services.booking");
  BookingConfig config;
  config.database = settings.String("database", config.database);
  config.max_seats =
      static_cast<int>(settings.Int("max_seats", config.max_seats, 1, kMaxSeatsCeiling));
  config.min_chain_budget =
      settings.Duration("min_chain_budget", config.min_chain_budget, kMinBudget, kMaxDuration);
  config.min_payment_budget =
      settings.Duration("min_payment_budget", config.min_payment_budget, kMinBudget, kMaxDuration);
  config.compensation_timeout = settings.Duration(
      "compensation_timeout", config.compensation_timeout, kMinTimeout, kMaxDuration);
  config.notification_timeout = settings.Duration(
      "notification_timeout", config.notification_timeout, kMinTimeout, kMaxDuration);
  config.recovery_interval =
      settings.Duration("recovery_interval", config.recovery_interval, kMinTimeout, kMaxDuration);
  config.deadline_policy = common::ReadDeadlinePolicy(settings);
  auto store = common::store::ReadStoreSettings(settings, "services.booking");
  if (!store.ok()) return store.status();
  config.store = *store;
  if (auto s = settings.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace switchboard::booking
