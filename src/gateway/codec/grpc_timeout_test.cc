#include "gateway/codec/grpc_timeout.h"

#include <gtest/gtest.h>

#include "gateway/proxy/backend_call.h"

namespace switchboard::gateway {
namespace {

TEST(GrpcTimeout, ParsesEveryUnit) {
  struct Case {
    const char* text;
    int64_t us;
  } cases[] = {{"1H", 3600000000}, {"2M", 120000000}, {"3S", 3000000}, {"250m", 250000},
               {"7u", 7}, {"1500n", 2}, {"172800000m", 172800000000}};
  for (const auto& c : cases) {
    auto parsed = ParseGrpcTimeout(c.text);
    ASSERT_TRUE(parsed) << c.text;
    EXPECT_EQ(parsed->count(), c.us) << c.text;
  }
}

TEST(GrpcTimeout, RejectsMalformedValues) {
  for (const char* text : {"", "S", "10", "10x", "-5S", "1.5S", "5 S", "1234567890123456789S"}) {
    EXPECT_FALSE(ParseGrpcTimeout(text)) << text;
  }
}

// Found by fuzz/grpc_headers_fuzz: 18 digits of milliseconds overflowed the conversion to
// microseconds. Every unit is capped at 100 years alike.
TEST(GrpcTimeout, CapsLongMillisecondsLikeTheOtherUnits) {
  const std::chrono::microseconds century = std::chrono::hours(24 * 365 * 100);
  EXPECT_EQ(ParseGrpcTimeout("506959599506995069m"), century);
  EXPECT_EQ(ParseGrpcTimeout("999999999999999999m"), century);
  EXPECT_EQ(ParseGrpcTimeout("999999999999999999S"), century);
}

TEST(GrpcTimeout, FormatsWithinEightDigits) {
  EXPECT_EQ(FormatGrpcTimeout(std::chrono::microseconds(0)), "1u");
  EXPECT_EQ(FormatGrpcTimeout(std::chrono::milliseconds(5000)), "5000000u");
  EXPECT_EQ(FormatGrpcTimeout(std::chrono::seconds(3600)), "3600000m");
  for (auto us : {int64_t{1}, int64_t{99999999}, int64_t{100000000}, int64_t{86400000000}}) {
    const std::string text = FormatGrpcTimeout(std::chrono::microseconds(us));
    EXPECT_LE(text.size(), 9u) << text;
    EXPECT_GE(ParseGrpcTimeout(text)->count(), us) << text;
  }
}

TEST(SettleBudget, DefaultMaximumAndTooShortBudgets) {
  RouteTimeouts timeouts;
  timeouts.default_timeout = std::chrono::seconds(5);
  timeouts.max_timeout = std::chrono::seconds(30);
  EXPECT_EQ(*SettleBudget(timeouts, nullptr, false), std::chrono::seconds(5));
  EXPECT_EQ(*SettleBudget(timeouts, nullptr, true), std::chrono::seconds(30));
  const std::string hour = "1H";
  EXPECT_EQ(*SettleBudget(timeouts, &hour, false), std::chrono::seconds(30));
  const std::string short_enough = "100u";
  EXPECT_EQ(*SettleBudget(timeouts, &short_enough, false), std::chrono::microseconds(100));
  for (const std::string text : {"0n", "1n", "99u"}) {
    auto budget = SettleBudget(timeouts, &text, false);
    ASSERT_FALSE(budget.ok()) << text;
    EXPECT_EQ(budget.status().code(), absl::StatusCode::kDeadlineExceeded) << text;
  }
  const std::string malformed = "soon";
  EXPECT_EQ(SettleBudget(timeouts, &malformed, false).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace switchboard::gateway
