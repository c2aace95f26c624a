#include "services/fraud/fraud_rules.h"

#include <gtest/gtest.h>

#include "services/fraud/fraud_config.h"

namespace switchboard::fraud {
namespace {

v1::CheckRequest Request(std::string user, int64_t amount, std::string currency) {
  v1::CheckRequest request;
  request.set_user_id(std::move(user));
  request.set_amount(amount);
  request.set_currency(std::move(currency));
  request.set_booking_id("bkg_1");
  return request;
}

TEST(ValidateCheckRequest, NamesTheBadField) {
  struct Case {
    v1::CheckRequest request;
    std::string field;  // empty: valid
  } cases[] = {
      {Request("u1", 100, "EUR"), ""},
      {Request("", 100, "EUR"), "user_id"},
      {Request(std::string(200, 'u'), 100, "EUR"), "user_id"},
      {Request("u1", 0, "EUR"), "amount"},
      {Request("u1", -5, "EUR"), "amount"},
      {Request("u1", 100, ""), "currency"},
      {Request("u1", 100, "eur"), "currency"},
      {Request("u1", 100, "EURO"), "currency"},
  };
  for (const auto& c : cases) {
    absl::Status status = ValidateCheckRequest(c.request);
    if (c.field.empty()) {
      EXPECT_TRUE(status.ok()) << status;
      continue;
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(status.message().rfind(c.field + ":", 0), 0u) << status;
  }
  v1::CheckRequest long_booking = Request("u1", 1, "EUR");
  long_booking.set_booking_id(std::string(500, 'b'));
  EXPECT_NE(ValidateCheckRequest(long_booking).message().find("booking_id"), std::string::npos);
}

TEST(FraudRules, AmountAboveLimitIsDeclinedWithTheNumbers) {
  FraudConfig config;
  FraudRules rules(config, std::chrono::steady_clock::now);
  auto at_limit = rules.Decide(Request("u1", 500000, "EUR"));
  ASSERT_TRUE(at_limit.ok());
  EXPECT_TRUE(at_limit->approved());
  auto above = rules.Decide(Request("u1", 600000, "EUR"));
  ASSERT_TRUE(above.ok());
  EXPECT_FALSE(above->approved());
  EXPECT_EQ(above->reason(), "amount 600000 above limit 500000");
}

TEST(FraudRules, VelocityCountsOnlyApprovedChecks) {
  FraudConfig config;
  config.max_checks_per_user = 2;
  config.max_amount = 1000;
  auto now = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  FraudRules rules(config, [&now] { return now; });
  // Declined by amount: does not use up the velocity allowance.
  ASSERT_FALSE(rules.Decide(Request("u1", 5000, "EUR"))->approved());
  ASSERT_TRUE(rules.Decide(Request("u1", 10, "EUR"))->approved());
  ASSERT_TRUE(rules.Decide(Request("u1", 10, "EUR"))->approved());
  auto third = rules.Decide(Request("u1", 10, "EUR"));
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->approved());
  EXPECT_EQ(third->reason().rfind("velocity:", 0), 0u) << third->reason();
  EXPECT_NE(third->reason().find("u1"), std::string::npos);
  EXPECT_NE(third->reason().find("1m"), std::string::npos) << third->reason();
  now += config.velocity_window;
  EXPECT_TRUE(rules.Decide(Request("u1", 10, "EUR"))->approved());
}

TEST(FraudRules, FullTrackerIsResourceExhausted) {
  FraudConfig config;
  config.max_tracked_users = 1;
  FraudRules rules(config, std::chrono::steady_clock::now);
  ASSERT_TRUE(rules.Decide(Request("u1", 10, "EUR"))->approved());
  auto second = rules.Decide(Request("u2", 10, "EUR"));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ReadFraudConfig, DefaultsAndErrors) {
  auto defaults = ReadFraudConfig(YAML::Load("{}"));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_amount, 500000);
  EXPECT_EQ(defaults->max_checks_per_user, 20);
  EXPECT_EQ(defaults->velocity_window, std::chrono::seconds(60));
  EXPECT_EQ(defaults->delay, std::chrono::milliseconds(0));

  auto set = ReadFraudConfig(
      YAML::Load("{max_amount: 10, delay: 250ms, default_timeout: 1s, max_timeout: 2s}"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->max_amount, 10);
  EXPECT_EQ(set->delay, std::chrono::milliseconds(250));
  EXPECT_EQ(set->deadline_policy.default_timeout, std::chrono::seconds(1));
  EXPECT_EQ(set->deadline_policy.max_timeout, std::chrono::seconds(2));

  for (const char* bad : {"{colour: red}", "{max_amount: 0}", "{delay: soon}",
                          "{max_checks_per_user: -1}", "{velocity_window: 0ms}"}) {
    auto config = ReadFraudConfig(YAML::Load(bad));
    EXPECT_FALSE(config.ok()) << bad;
    EXPECT_NE(config.status().message().find("services.fraud."), std::string::npos)
        << config.status();
  }
}

}  // namespace
}  // namespace switchboard::fraud
