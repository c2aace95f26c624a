#include "services/payment/payment_rules.h"

#include <gtest/gtest.h>

#include "services/payment/payment_config.h"
#include "services/payment/payment_test_support.h"

namespace switchboard::payment {
namespace {

constexpr int64_t kMax = 1000000;

TEST(ValidateChargeRequest, NamesTheBadField) {
  struct Case {
    v1::ChargeRequest request;
    std::string field;  // empty: valid
  } cases[] = {
      {ChargeOf("bkg_1"), ""},
      {ChargeOf(""), "booking_id"},
      {ChargeOf("bkg 1"), "booking_id"},
      {ChargeOf(std::string(65, 'b')), "booking_id"},
      {ChargeOf("bkg_1", 100, ""), "user_id"},
      {ChargeOf("bkg_1", 100, "usr/1"), "user_id"},
      {ChargeOf("bkg_1", 0), "amount"},
      {ChargeOf("bkg_1", -100), "amount"},
      {ChargeOf("bkg_1", kMax + 1), "amount"},
      {ChargeOf("bkg_1", 100, "usr_1", ""), "currency"},
      {ChargeOf("bkg_1", 100, "usr_1", "euro"), "currency"},
  };
  for (const auto& c : cases) {
    absl::Status status = ValidateChargeRequest(c.request, kMax);
    if (c.field.empty()) {
      EXPECT_TRUE(status.ok()) << status;
      continue;
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(status.message().rfind(c.field + ":", 0), 0u) << status;
  }
}

TEST(ValidateChargeRequest, EchoOfAHugeFieldIsCut) {
  absl::Status status = ValidateChargeRequest(ChargeOf(std::string(100000, '!')), kMax);
  EXPECT_LT(status.message().size(), 200u);
}

v1::Payment Existing(v1::Payment::State state) {
  v1::Payment payment;
  payment.set_id("pay_1");
  payment.set_booking_id("bkg_1");
  payment.set_user_id("usr_1");
  payment.set_amount(4500);
  payment.set_currency("EUR");
  payment.set_state(state);
  return payment;
}

TEST(ResolveExisting, SameChargeIsReplayed) {
  auto answer = ResolveExisting(Existing(v1::Payment::STATE_CHARGED), ChargeOf("bkg_1"));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->id(), "pay_1");
}

TEST(ResolveExisting, DifferentChargeOfTheSameBookingIsRefused) {
  for (const auto& request : {ChargeOf("bkg_1", 9999), ChargeOf("bkg_1", 4500, "usr_2"),
                              ChargeOf("bkg_1", 4500, "usr_1", "GBP")}) {
    auto answer = ResolveExisting(Existing(v1::Payment::STATE_CHARGED), request);
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kAlreadyExists) << request.DebugString();
  }
}

TEST(ResolveExisting, RefundedOrVoidedBookingIsAborted) {
  auto voided = ResolveExisting(Existing(v1::Payment::STATE_VOIDED), ChargeOf("bkg_1"));
  EXPECT_EQ(voided.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(voided.status().message(), "booking bkg_1 was voided by a refund");
  auto refunded = ResolveExisting(Existing(v1::Payment::STATE_REFUNDED), ChargeOf("bkg_1"));
  EXPECT_EQ(refunded.status().code(), absl::StatusCode::kAborted);
}

TEST(ReadPaymentConfig, DefaultsAndErrors) {
  auto defaults = ReadPaymentConfig(YAML::Load("{}"));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->database, "payment.db");
  EXPECT_EQ(defaults->min_fraud_budget, milliseconds(5));
  auto set = ReadPaymentConfig(YAML::Load("{min_fraud_budget: 50ms, default_timeout: 200ms}"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->min_fraud_budget, milliseconds(50));
  EXPECT_EQ(set->deadline_policy.default_timeout, milliseconds(200));
  for (const char* bad : {"{colour: red}", "{min_fraud_budget: 2h}", "{max_charge_amount: 0}",
                          "{max_timeout: never}"}) {
    auto config = ReadPaymentConfig(YAML::Load(bad));
    EXPECT_FALSE(config.ok()) << bad;
    EXPECT_NE(config.status().message().find("services.payment."), std::string::npos)
        << config.status();
  }
}

}  // namespace
}  // namespace switchboard::payment
