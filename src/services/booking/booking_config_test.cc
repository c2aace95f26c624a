// The services.booking block: its defaults, overrides, and errors that name the bad key.
#include "services/booking/booking_config.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace switchboard::booking {
namespace {

using std::chrono::milliseconds;

TEST(BookingConfig, DefaultsWithAnEmptyOrAbsentBlock) {
  for (const YAML::Node& block : {YAML::Load("{}"), YAML::Node()}) {
    auto config = ReadBookingConfig(block);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->database, "booking.db");
    EXPECT_EQ(config->max_seats, 10);
    EXPECT_EQ(config->min_chain_budget, milliseconds(20));
    EXPECT_EQ(config->min_payment_budget, milliseconds(10));
    EXPECT_EQ(config->compensation_timeout, milliseconds(5000));
    EXPECT_EQ(config->notification_timeout, milliseconds(2000));
    EXPECT_EQ(config->recovery_interval, milliseconds(5000));
    EXPECT_EQ(config->deadline_policy.default_timeout, milliseconds(10000));
    EXPECT_EQ(config->deadline_policy.max_timeout, milliseconds(60000));
    EXPECT_TRUE(config->deadline_policy.propagate);
  }
}

TEST(BookingConfig, OverridesAreRead) {
  auto config = ReadBookingConfig(
      YAML::Load("{database: b.db, max_seats: 1000, min_chain_budget: 0ms, min_payment_budget: 1h,"
                 " compensation_timeout: 1ms, notification_timeout: 3s, recovery_interval: 250ms,"
                 " default_timeout: 2s, max_timeout: 30s, propagate_deadlines: 0}"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->database, "b.db");
  EXPECT_EQ(config->max_seats, 1000);
  EXPECT_EQ(config->min_chain_budget, milliseconds(0));
  EXPECT_EQ(config->min_payment_budget, std::chrono::hours(1));
  EXPECT_EQ(config->compensation_timeout, milliseconds(1));
  EXPECT_EQ(config->notification_timeout, milliseconds(3000));
  EXPECT_EQ(config->recovery_interval, milliseconds(250));
  EXPECT_EQ(config->deadline_policy.default_timeout, milliseconds(2000));
  EXPECT_EQ(config->deadline_policy.max_timeout, milliseconds(30000));
  EXPECT_FALSE(config->deadline_policy.propagate);
}

TEST(BookingConfig, BadSettingsAreNamed) {
  struct Case {
    std::string yaml;
    std::string message;
  } cases[] = {
      {"{max_seats: 1001}", "services.booking.max_seats: 1001 is outside 1..1000"},
      {"{compensation_timeout: 0ms}",
       "services.booking.compensation_timeout: 0ms is outside 1ms..1h"},
      {"{colour: red}",
       "services.booking.colour: unknown setting (known: port, database, max_seats,"
       " min_chain_budget, min_payment_budget, compensation_timeout, notification_timeout,"
       " recovery_interval, default_timeout, max_timeout, propagate_deadlines, store,"
       " store_pool_size)"},
      {"{store: 'postgres://sb:secret@db/bookings'}",
       "services.booking.store: the store URL has no port 1..65535 (expected e.g. "
       "postgres://user@127.0.0.1:5432/switchboard)"},
      {"{store: 'postgres://sb@db:5432/bookings', store_pool_size: 257}",
       "services.booking.store_pool_size: 257 is outside 1..256"},
  };
  for (const auto& c : cases) {
    auto config = ReadBookingConfig(YAML::Load(c.yaml));
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_EQ(std::string(config.status().message()), c.message) << c.yaml;
  }
}

}  // namespace
}  // namespace switchboard::booking
