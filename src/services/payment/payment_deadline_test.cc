// Deadline propagation through payment -> fraud: traces, fail-fast budgets, default and capped
// deadlines, cancellation reaching fraud, and no ledger write for a caller that gave up.
#include <gtest/gtest.h>

#include <atomic>
#include <regex>

#include "common/call_budget.h"
#include "services/payment/payment_service.h"
#include "services/payment/payment_test_support.h"

namespace switchboard::payment {
namespace {

using PaymentDeadlineTest = PaymentSystemTest;

// Slack for a noisy 2-core machine on top of the time a test expects.
constexpr milliseconds kSlack{300};

void ExpectNothingRecorded(const LedgerSummary& summary) {
  EXPECT_EQ(summary.charged, 0);
  EXPECT_EQ(summary.refunded, 0);
  EXPECT_EQ(summary.voided, 0);
}

TEST_F(PaymentDeadlineTest, TraceReportsTheBudgetOfEachHop) {
  StartSystem();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + milliseconds(2000));
  context.AddMetadata(common::kDeadlineTraceHeader, "1");
  v1::Payment payment;
  grpc::Status status = stub_->Charge(&context, ChargeOf("bkg_1"), &payment);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(common::kDeadlineBudgetHeader);
  ASSERT_NE(it, trailers.end());
  const std::string trace(it->second.data(), it->second.size());
  std::smatch match;
  // Each hop's budget on entry, in milliseconds with microsecond precision.
  ASSERT_TRUE(
      std::regex_match(trace, match, std::regex(R"(payment=(\d+\.\d{3})ms;fraud=(\d+\.\d{3})ms)")))
      << trace;
  const double payment_budget = std::stod(match[1]);
  const double fraud_budget = std::stod(match[2]);
  EXPECT_LT(fraud_budget, payment_budget) << trace;
  EXPECT_LT(payment_budget, 2000) << trace;
  EXPECT_GT(fraud_budget, 1000) << trace;
}

TEST_F(PaymentDeadlineTest, NoTraceUnlessAsked) {
  StartSystem();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  v1::Payment payment;
  ASSERT_TRUE(stub_->Charge(&context, ChargeOf("bkg_1"), &payment).ok());
  EXPECT_EQ(context.GetServerTrailingMetadata().count(common::kDeadlineBudgetHeader), 0u);
}

TEST_F(PaymentDeadlineTest, SlowFraudIsCutOffAtTheCallerDeadline) {
  StartSystem("{delay: 2s}");
  v1::Payment payment;
  const auto start = SteadyClock::now();
  grpc::Status status = Charge(ChargeOf("bkg_1"), &payment, milliseconds(300));
  const auto elapsed = Since(start);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_GE(elapsed, milliseconds(290));
  EXPECT_LT(elapsed, milliseconds(600));
  // Fraud saw the propagated deadline and stopped its delay, without a verdict.
  const auto after = SteadyClock::now();
  ASSERT_TRUE(WaitFor([&] { return fraud_stats().checks_cancelled == 1; }, milliseconds(2000)));
  EXPECT_LT(Since(after), milliseconds(200));
  EXPECT_EQ(fraud_stats().checks_completed, 0);
  v1::Payment found;
  EXPECT_EQ(Get("bkg_1", &found).error_code(), grpc::StatusCode::NOT_FOUND);
  ExpectNothingRecorded(Summary());
}

TEST_F(PaymentDeadlineTest, TooLittleBudgetFailsFastWithoutCallingFraud) {
  StartSystem("{}", "{min_fraud_budget: 50ms}");
  v1::Payment payment;
  grpc::Status short_budget = Charge(ChargeOf("bkg_1"), &payment, milliseconds(40));
  EXPECT_EQ(short_budget.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // Payment's own refusal, not the client's timer: it arrived early and says why.
  EXPECT_NE(short_budget.error_message().find("fraud check needs at least 50ms"), std::string::npos)
      << short_budget.error_message();
  grpc::Status tiny = Charge(ChargeOf("bkg_2"), &payment, milliseconds(2));
  EXPECT_EQ(tiny.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // A charge with time to spare goes through, so the counter below is known to work.
  ASSERT_TRUE(Charge(ChargeOf("bkg_3"), &payment).ok());
  EXPECT_EQ(fraud_stats().checks_started, 1);
  EXPECT_EQ(Summary().charged, 1);
}

TEST_F(PaymentDeadlineTest, RequestWithoutDeadlineGetsTheDefaultTimeout) {
  StartSystem("{delay: 1s}", "{default_timeout: 200ms}");
  AsyncCharge charge;  // deliberately no deadline; Wait bounds the test
  charge.request = ChargeOf("bkg_1");
  const auto start = SteadyClock::now();
  charge.Start(stub_.get());
  grpc::Status status = charge.Wait(kCallDeadline);
  const auto elapsed = Since(start);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_GE(elapsed, milliseconds(190));
  EXPECT_LT(elapsed, milliseconds(200) + kSlack);
  EXPECT_TRUE(WaitFor([&] { return fraud_stats().checks_cancelled == 1; }, milliseconds(1000)));
  ExpectNothingRecorded(Summary());
}

TEST_F(PaymentDeadlineTest, MaxTimeoutCapsALongCallerDeadline) {
  StartSystem("{delay: 1s}", "{max_timeout: 200ms}");
  v1::Payment payment;
  const auto start = SteadyClock::now();
  grpc::Status status = Charge(ChargeOf("bkg_1"), &payment, milliseconds(10000));
  const auto elapsed = Since(start);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_GE(elapsed, milliseconds(190));
  EXPECT_LT(elapsed, milliseconds(200) + kSlack);
  EXPECT_TRUE(WaitFor([&] { return fraud_stats().checks_cancelled == 1; }, milliseconds(1000)));
  ExpectNothingRecorded(Summary());
}

TEST_F(PaymentDeadlineTest, CallerCancellationReachesFraud) {
  StartSystem("{delay: 5s}");
  AsyncCharge charge;
  charge.request = ChargeOf("bkg_1");
  charge.context.set_deadline(std::chrono::system_clock::now() + milliseconds(10000));
  charge.Start(stub_.get());
  ASSERT_TRUE(WaitFor([&] { return fraud_stats().checks_started == 1; }, milliseconds(3000)));
  const auto start = SteadyClock::now();
  charge.context.TryCancel();
  EXPECT_EQ(charge.Wait(kCallDeadline).error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitFor([&] { return fraud_stats().checks_cancelled == 1; }, milliseconds(2000)));
  EXPECT_LT(Since(start), milliseconds(500));
  ExpectNothingRecorded(Summary());
}

TEST_F(PaymentDeadlineTest, ExpiredOnArrivalWritesNothing) {
  PaymentClocks clocks;
  // Payment's clock runs an hour ahead, so every caller's deadline has passed on arrival.
  clocks.wall = [] { return std::chrono::system_clock::now() + std::chrono::hours(1); };
  StartSystem("{}", "{}", clocks);
  v1::Payment payment;
  grpc::Status charge = Charge(ChargeOf("bkg_1"), &payment);
  EXPECT_EQ(charge.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_NE(charge.error_message().find("payment"), std::string::npos);
  grpc::Status refund = Refund("bkg_2", &payment);
  EXPECT_EQ(refund.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(Get("bkg_1", &payment).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(fraud_stats().checks_started, 0);
  ExpectNothingRecorded(Summary());
}

TEST_F(PaymentDeadlineTest, DeadlinePassingDuringTheFraudCheckIsNotCommitted) {
  auto skew = std::make_shared<std::atomic<int64_t>>(0);
  PaymentClocks clocks;
  clocks.wall = [skew] { return std::chrono::system_clock::now() + milliseconds(skew->load()); };
  StartSystem("{delay: 300ms}", "{}", clocks);
  AsyncCharge charge;
  charge.request = ChargeOf("bkg_1");
  charge.context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  charge.Start(stub_.get());
  ASSERT_TRUE(WaitFor([&] { return fraud_stats().checks_started == 1; }, milliseconds(3000)));
  // While fraud works, payment's view of time jumps past the deadline.
  skew->store(std::chrono::duration_cast<milliseconds>(std::chrono::hours(1)).count());
  grpc::Status status = charge.Wait(kCallDeadline);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_NE(status.error_message().find("before the charge could be recorded"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(fraud_stats().checks_completed, 1);  // fraud approved it; payment still refused
  ExpectNothingRecorded(Summary());
}

}  // namespace
}  // namespace switchboard::payment
