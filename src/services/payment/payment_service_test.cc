#include "services/payment/payment_service.h"

#include <gtest/gtest.h>

#include "services/payment/payment_test_support.h"

namespace switchboard::payment {
namespace {

using PaymentServiceTest = PaymentSystemTest;

TEST_F(PaymentServiceTest, ChargeIsCheckedByFraudAndRecorded) {
  StartSystem();
  v1::Payment payment;
  grpc::Status status = Charge(ChargeOf("bkg_1", 4500), &payment);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(payment.state(), v1::Payment::STATE_CHARGED);
  EXPECT_EQ(payment.booking_id(), "bkg_1");
  EXPECT_EQ(payment.amount(), 4500);
  EXPECT_FALSE(payment.id().empty());
  EXPECT_GT(payment.created_at().seconds(), 0);
  EXPECT_EQ(fraud_stats().checks_completed, 1);

  v1::Payment found;
  ASSERT_TRUE(Get("bkg_1", &found).ok());
  EXPECT_EQ(found.id(), payment.id());
  EXPECT_EQ(found.state(), v1::Payment::STATE_CHARGED);
}

TEST_F(PaymentServiceTest, ChargeIsIdempotentPerBooking) {
  StartSystem();
  v1::Payment first, again;
  ASSERT_TRUE(Charge(ChargeOf("bkg_1"), &first).ok());
  ASSERT_TRUE(Charge(ChargeOf("bkg_1"), &again).ok());
  EXPECT_EQ(again.id(), first.id());
  EXPECT_EQ(fraud_stats().checks_started, 1);  // the replay did not ask fraud again
  v1::Payment other;
  grpc::Status different = Charge(ChargeOf("bkg_1", 9999), &other);
  EXPECT_EQ(different.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Summary().charged, 1);
  EXPECT_EQ(Summary().charged_amount, 4500);
}

TEST_F(PaymentServiceTest, FraudDeclineIsPermissionDeniedAndNotRecorded) {
  StartSystem("{max_amount: 1000}");
  v1::Payment payment;
  grpc::Status status = Charge(ChargeOf("bkg_1", 5000), &payment);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(status.error_message().find("amount 5000 above limit 1000"), std::string::npos)
      << status.error_message();
  v1::Payment found;
  EXPECT_EQ(Get("bkg_1", &found).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Summary().charged, 0);
}

TEST_F(PaymentServiceTest, VelocityDeclineReachesTheCaller) {
  StartSystem("{max_checks_per_user: 2}");
  v1::Payment payment;
  ASSERT_TRUE(Charge(ChargeOf("bkg_1"), &payment).ok());
  ASSERT_TRUE(Charge(ChargeOf("bkg_2"), &payment).ok());
  grpc::Status third = Charge(ChargeOf("bkg_3"), &payment);
  EXPECT_EQ(third.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(third.error_message().find("velocity"), std::string::npos) << third.error_message();
}

TEST_F(PaymentServiceTest, InvalidChargeNamesTheFieldAndSkipsFraud) {
  StartSystem();
  struct Case {
    v1::ChargeRequest request;
    std::string field;
  } cases[] = {
      {ChargeOf(""), "booking_id"},           {ChargeOf("bkg_1", 0), "amount"},
      {ChargeOf("bkg_1", -3), "amount"},      {ChargeOf("bkg_1", int64_t{1} << 40), "amount"},
      {ChargeOf("bkg_1", 10, ""), "user_id"}, {ChargeOf("bkg_1", 10, "usr_1", ""), "currency"},
  };
  for (const auto& c : cases) {
    v1::Payment payment;
    grpc::Status status = Charge(c.request, &payment);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_NE(status.error_message().find(c.field), std::string::npos) << status.error_message();
  }
  EXPECT_EQ(fraud_stats().checks_started, 0);
}

TEST_F(PaymentServiceTest, RefundOfAChargeIsIdempotent) {
  StartSystem();
  v1::Payment charged, refunded, again;
  ASSERT_TRUE(Charge(ChargeOf("bkg_1"), &charged).ok());
  ASSERT_TRUE(Refund("bkg_1", &refunded).ok());
  EXPECT_EQ(refunded.state(), v1::Payment::STATE_REFUNDED);
  EXPECT_EQ(refunded.id(), charged.id());
  ASSERT_TRUE(Refund("bkg_1", &again).ok());
  EXPECT_EQ(again.state(), v1::Payment::STATE_REFUNDED);
  v1::Payment late;
  grpc::Status recharge = Charge(ChargeOf("bkg_1"), &late);
  EXPECT_EQ(recharge.error_code(), grpc::StatusCode::ABORTED);
  const LedgerSummary summary = Summary();
  EXPECT_EQ(summary.charged, 0);
  EXPECT_EQ(summary.refunded, 1);
}

TEST_F(PaymentServiceTest, RefundBeforeChargeVoidsTheBooking) {
  StartSystem();
  v1::Payment voided;
  ASSERT_TRUE(Refund("bkg_9", &voided).ok());
  EXPECT_EQ(voided.state(), v1::Payment::STATE_VOIDED);
  EXPECT_EQ(voided.amount(), 0);
  v1::Payment payment;
  grpc::Status late = Charge(ChargeOf("bkg_9"), &payment);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(late.error_message(), "booking bkg_9 was voided by a refund");
  EXPECT_EQ(fraud_stats().checks_started, 0);
  EXPECT_EQ(Summary().voided, 1);
}

TEST_F(PaymentServiceTest, RefundWhileFraudIsCheckingVoidsTheCharge) {
  StartSystem("{delay: 400ms}");
  AsyncCharge charge;
  charge.request = ChargeOf("bkg_race");
  charge.context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  charge.Start(stub_.get());
  ASSERT_TRUE(WaitFor([&] { return fraud_stats().checks_started == 1; }, milliseconds(3000)));
  v1::Payment voided;
  ASSERT_TRUE(Refund("bkg_race", &voided).ok());
  EXPECT_EQ(voided.state(), v1::Payment::STATE_VOIDED);
  grpc::Status status = charge.Wait(kCallDeadline);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << status.error_message();
  EXPECT_EQ(fraud_stats().checks_completed, 1);  // fraud approved, the ledger still refused
  const LedgerSummary summary = Summary();
  EXPECT_EQ(summary.charged, 0);
  EXPECT_EQ(summary.charged_amount, 0);
  EXPECT_EQ(summary.voided, 1);
}

TEST_F(PaymentServiceTest, GetAndRefundValidateTheBookingId) {
  StartSystem();
  v1::Payment payment;
  grpc::Status missing = Get("bkg_none", &payment);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(missing.error_message().find("bkg_none"), std::string::npos);
  EXPECT_EQ(Get("", &payment).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status bad = Refund("no spaces", &payment);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("booking_id"), std::string::npos);
  EXPECT_EQ(Summary().voided, 0);
}

TEST_F(PaymentServiceTest, FraudDownIsUnavailable) {
  StartSystem();
  fraud_server_->Shutdown();
  v1::Payment payment;
  grpc::Status status = Charge(ChargeOf("bkg_1"), &payment, milliseconds(3000));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("fraud check"), std::string::npos);
  EXPECT_EQ(Summary().charged, 0);
}

TEST_F(PaymentServiceTest, ShutdownEndsChargesWaitingOnFraud) {
  // No grace: charges in flight get it before the service ends them (ServiceHost::Shutdown);
  // what is measured here is how promptly payment ends one once it is over.
  common::HostOptions no_grace;
  no_grace.shutdown_grace = milliseconds(0);
  StartSystem("{delay: 30s}", "{}", {}, no_grace);
  AsyncCharge charge;
  charge.request = ChargeOf("bkg_1");
  charge.context.set_deadline(std::chrono::system_clock::now() + milliseconds(60000));
  charge.Start(stub_.get());
  ASSERT_TRUE(WaitFor([&] { return fraud_stats().checks_started == 1; }, milliseconds(3000)));
  const auto start = SteadyClock::now();
  payment_server_->Shutdown();
  EXPECT_LT(Since(start), milliseconds(1000));
  EXPECT_EQ(charge.Wait(milliseconds(3000)).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Payment's cancellation reached fraud, which stopped its delay.
  EXPECT_TRUE(WaitFor([&] { return fraud_stats().checks_cancelled == 1; }, milliseconds(1000)));
}

TEST(PaymentServiceSettings, MissingFraudPeerFailsAtStart) {
  switchboard::testing::TempDir dir;
  common::ServiceOptions options;
  options.data_dir = dir.path();
  auto service = MakePaymentService(options);
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.status().message().find("fraud"), std::string::npos);
}

TEST(PaymentServiceSettings, UnknownSettingFailsAtStart) {
  switchboard::testing::TempDir dir;
  common::ServiceOptions options;
  options.data_dir = dir.path();
  options.peers = {{"fraud", "127.0.0.1:1"}};
  options.settings = YAML::Load("{colour: red}");
  auto service = MakePaymentService(options);
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.status().message().find("services.payment.colour"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::payment
