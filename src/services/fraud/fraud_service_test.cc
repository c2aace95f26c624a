#include "services/fraud/fraud_service.h"

#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "common/call_budget.h"
#include "services/fraud/fraud_config.h"
#include "switchboard/fraud/v1/fraud.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::fraud {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kCallDeadline{5000};

v1::CheckRequest Request(std::string user, int64_t amount) {
  v1::CheckRequest request;
  request.set_user_id(std::move(user));
  request.set_amount(amount);
  request.set_currency("EUR");
  request.set_booking_id("bkg_1");
  return request;
}

milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// Polls `condition` until it holds or `limit` passes; true when it held.
template <typename Condition>
bool WaitFor(Condition condition, milliseconds limit) {
  const auto end = Clock::now() + limit;
  while (!condition()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

// A Check on the callback API, so a test can act while it is in flight. The wait is bounded
// even when the call has no deadline.
struct AsyncCheck {
  grpc::ClientContext context;
  v1::CheckRequest request;
  v1::CheckResult result;
  std::promise<grpc::Status> done;
  std::future<grpc::Status> status = done.get_future();

  void Start(v1::FraudService::Stub* stub) {
    stub->async()->Check(&context, &request, &result,
                         [this](grpc::Status s) { done.set_value(std::move(s)); });
  }
  grpc::Status Wait(milliseconds limit) {
    if (status.wait_for(limit) != std::future_status::ready) context.TryCancel();
    return status.get();
  }
};

class FraudServiceTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& settings = "{}", FraudClocks clocks = {},
                   const common::HostOptions& host_options = {}) {
    server_ = std::make_unique<switchboard::testing::TestServer>(
        [clocks](const common::ServiceOptions& options) {
          return MakeFraudServiceWithClocks(options, clocks);
        },
        settings, host_options);
    stub_ = v1::FraudService::NewStub(server_->NewChannel());
    fraud_ = AsFraudService(server_->service());
    ASSERT_NE(fraud_, nullptr);
  }

  grpc::Status Check(const v1::CheckRequest& request, v1::CheckResult* result,
                     milliseconds deadline = kCallDeadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    return stub_->Check(&context, request, result);
  }

  const FraudStats& stats() const { return fraud_->stats(); }

  std::unique_ptr<switchboard::testing::TestServer> server_;
  std::unique_ptr<v1::FraudService::Stub> stub_;
  FraudService* fraud_ = nullptr;
};

TEST_F(FraudServiceTest, ApprovesAndDeclinesByAmount) {
  StartServer();
  v1::CheckResult result;
  ASSERT_TRUE(Check(Request("u1", 4500), &result).ok());
  EXPECT_TRUE(result.approved());
  EXPECT_TRUE(result.reason().empty());

  ASSERT_TRUE(Check(Request("u1", 600000), &result).ok());
  EXPECT_FALSE(result.approved());
  EXPECT_EQ(result.reason(), "amount 600000 above limit 500000");
  EXPECT_EQ(stats().checks_started, 2);
  EXPECT_EQ(stats().checks_completed, 2);
  EXPECT_EQ(stats().checks_declined, 1);
}

TEST_F(FraudServiceTest, MaxAmountComesFromSettings) {
  StartServer("{max_amount: 100}");
  v1::CheckResult result;
  ASSERT_TRUE(Check(Request("u1", 101), &result).ok());
  EXPECT_EQ(result.reason(), "amount 101 above limit 100");
}

TEST_F(FraudServiceTest, InvalidRequestsNameTheField) {
  StartServer();
  struct Case {
    v1::CheckRequest request;
    std::string field;
  } cases[] = {
      {Request("", 10), "user_id"},
      {Request("u1", 0), "amount"},
      {Request("u1", -1), "amount"},
  };
  v1::CheckRequest no_currency = Request("u1", 10);
  no_currency.clear_currency();
  for (const auto& c : {cases[0], cases[1], cases[2], Case{no_currency, "currency"}}) {
    v1::CheckResult result;
    grpc::Status status = Check(c.request, &result);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_NE(status.error_message().find(c.field), std::string::npos) << status.error_message();
  }
  EXPECT_EQ(stats().checks_invalid, 4);
  EXPECT_EQ(stats().checks_completed, 0);
}

TEST_F(FraudServiceTest, VelocityLimitDeclinesAfterTheAllowance) {
  StartServer("{max_checks_per_user: 3, velocity_window: 1m}");
  v1::CheckResult result;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Check(Request("busy", 10), &result).ok());
    ASSERT_TRUE(result.approved()) << i;
  }
  ASSERT_TRUE(Check(Request("busy", 10), &result).ok());
  EXPECT_FALSE(result.approved());
  EXPECT_NE(result.reason().find("velocity"), std::string::npos) << result.reason();
  ASSERT_TRUE(Check(Request("calm", 10), &result).ok());
  EXPECT_TRUE(result.approved());
}

TEST_F(FraudServiceTest, DelayedCheckGivesItsVerdictAfterTheDelay) {
  StartServer("{delay: 150ms}");
  v1::CheckResult result;
  const auto start = Clock::now();
  ASSERT_TRUE(Check(Request("u1", 10), &result).ok());
  EXPECT_GE(Since(start), milliseconds(140));
  EXPECT_TRUE(result.approved());
}

TEST_F(FraudServiceTest, CallerDeadlineStopsTheDelayAtOnce) {
  StartServer("{delay: 2s}");
  v1::CheckResult result;
  const auto start = Clock::now();
  grpc::Status status = Check(Request("u1", 10), &result, milliseconds(300));
  const auto elapsed = Since(start);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(elapsed, milliseconds(600));
  const auto after = Clock::now();
  ASSERT_TRUE(WaitFor([&] { return stats().checks_cancelled == 1; }, milliseconds(1000)));
  EXPECT_LT(Since(after), milliseconds(200));
  EXPECT_EQ(stats().checks_completed, 0);
}

TEST_F(FraudServiceTest, SetDelayMakesLaterChecksSlowUntilSetBack) {
  StartServer("{delay: 0ms}");
  grpc::ClientContext get_context;
  v1::DelaySetting setting;
  ASSERT_TRUE(stub_->GetDelay(&get_context, v1::GetDelayRequest(), &setting).ok());
  EXPECT_EQ(setting.delay_ms(), 0);

  v1::SetDelayRequest slow;
  slow.set_delay_ms(2000);
  grpc::ClientContext set_context;
  ASSERT_TRUE(stub_->SetDelay(&set_context, slow, &setting).ok());
  EXPECT_EQ(setting.delay_ms(), 2000);
  v1::CheckResult result;
  grpc::Status status = Check(Request("u1", 10), &result, milliseconds(300));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  v1::SetDelayRequest fast;
  grpc::ClientContext back_context;
  ASSERT_TRUE(stub_->SetDelay(&back_context, fast, &setting).ok());
  const auto start = Clock::now();
  ASSERT_TRUE(Check(Request("u1", 10), &result, milliseconds(300)).ok());
  EXPECT_TRUE(result.approved());
  EXPECT_LT(Since(start), milliseconds(300));
}

TEST_F(FraudServiceTest, SetDelayOutOfRangeNamesTheValue) {
  StartServer("{delay: 5ms}");
  for (int64_t bad : {int64_t{-1}, FraudConfig::kMaxDelay.count() + 1}) {
    v1::SetDelayRequest request;
    request.set_delay_ms(bad);
    v1::DelaySetting setting;
    grpc::ClientContext context;
    grpc::Status status = stub_->SetDelay(&context, request, &setting);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_NE(status.error_message().find("delay_ms " + std::to_string(bad)), std::string::npos)
        << status.error_message();
  }
  grpc::ClientContext context;
  v1::DelaySetting setting;
  ASSERT_TRUE(stub_->GetDelay(&context, v1::GetDelayRequest(), &setting).ok());
  EXPECT_EQ(setting.delay_ms(), 5);  // unchanged
}

TEST_F(FraudServiceTest, CallerCancellationStopsTheDelay) {
  StartServer("{delay: 5s}");
  AsyncCheck call;
  call.request = Request("u1", 10);
  call.context.set_deadline(std::chrono::system_clock::now() + milliseconds(10000));
  call.Start(stub_.get());
  ASSERT_TRUE(WaitFor([&] { return stats().checks_started == 1; }, milliseconds(2000)));
  const auto start = Clock::now();
  call.context.TryCancel();
  EXPECT_EQ(call.Wait(milliseconds(2000)).error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitFor([&] { return stats().checks_cancelled == 1; }, milliseconds(2000)));
  EXPECT_LT(Since(start), milliseconds(500));
  EXPECT_EQ(stats().checks_completed, 0);
}

TEST_F(FraudServiceTest, RequestWithoutDeadlineGetsTheDefaultTimeout) {
  StartServer("{delay: 1s, default_timeout: 200ms}");
  AsyncCheck call;  // deliberately no deadline; Wait bounds the test
  call.request = Request("u1", 10);
  const auto start = Clock::now();
  call.Start(stub_.get());
  grpc::Status status = call.Wait(milliseconds(5000));
  const auto elapsed = Since(start);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_GE(elapsed, milliseconds(190));
  EXPECT_LT(elapsed, milliseconds(700));
  EXPECT_EQ(stats().checks_cancelled, 1);
  EXPECT_EQ(stats().checks_completed, 0);
}

TEST_F(FraudServiceTest, MaxTimeoutCapsALongDeadline) {
  StartServer("{delay: 1s, max_timeout: 200ms}");
  v1::CheckResult result;
  const auto start = Clock::now();
  grpc::Status status = Check(Request("u1", 10), &result, milliseconds(10000));
  const auto elapsed = Since(start);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_LT(elapsed, milliseconds(700));
}

TEST_F(FraudServiceTest, ExpiredOnArrivalDoesNoWork) {
  FraudClocks clocks;
  // The service's clock runs an hour ahead, so every caller's deadline has passed on arrival.
  clocks.wall = [] { return std::chrono::system_clock::now() + std::chrono::hours(1); };
  StartServer("{}", clocks);
  v1::CheckResult result;
  grpc::Status status = Check(Request("u1", 10), &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_NE(status.error_message().find("fraud"), std::string::npos);
  EXPECT_EQ(stats().checks_started, 1);
  EXPECT_EQ(stats().checks_cancelled, 1);
  EXPECT_EQ(stats().checks_completed, 0);
}

TEST_F(FraudServiceTest, TraceReportsTheBudgetOnArrival) {
  StartServer();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + milliseconds(2000));
  context.AddMetadata(common::kDeadlineTraceHeader, "1");
  v1::CheckResult result;
  ASSERT_TRUE(stub_->Check(&context, Request("u1", 10), &result).ok());
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(common::kDeadlineBudgetHeader);
  ASSERT_NE(it, trailers.end());
  const std::string trace(it->second.data(), it->second.size());
  double budget = 0;
  char unit[3] = {};
  ASSERT_EQ(sscanf(trace.c_str(), "fraud=%lf%2s", &budget, unit), 2) << trace;
  EXPECT_STREQ(unit, "ms") << trace;
  EXPECT_GT(budget, 1500) << trace;
  EXPECT_LE(budget, 2000) << trace;
}

TEST_F(FraudServiceTest, NoTraceUnlessAsked) {
  StartServer();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  v1::CheckResult result;
  ASSERT_TRUE(stub_->Check(&context, Request("u1", 10), &result).ok());
  EXPECT_EQ(context.GetServerTrailingMetadata().count(common::kDeadlineBudgetHeader), 0u);
}

TEST_F(FraudServiceTest, ShutdownEndsDelayedChecksPromptly) {
  // No grace: calls in flight get it before the service ends them (ServiceHost::Shutdown);
  // what is measured here is how promptly the service ends a check once it is over.
  common::HostOptions no_grace;
  no_grace.shutdown_grace = milliseconds(0);
  StartServer("{delay: 30s}", {}, no_grace);
  AsyncCheck call;
  call.request = Request("u1", 10);
  call.context.set_deadline(std::chrono::system_clock::now() + milliseconds(60000));
  call.Start(stub_.get());
  ASSERT_TRUE(WaitFor([&] { return stats().checks_started == 1; }, milliseconds(2000)));
  const auto start = Clock::now();
  server_->Shutdown();
  EXPECT_LT(Since(start), milliseconds(1000));
  EXPECT_EQ(call.Wait(milliseconds(2000)).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(stats().checks_cancelled, 1);
}

TEST(FraudServiceSettings, UnknownSettingFailsAtStart) {
  common::ServiceOptions options;
  options.data_dir = "/tmp";
  options.settings = YAML::Load("{colour: red}");
  auto service = MakeFraudService(options);
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.status().message().find("services.fraud.colour"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::fraud
