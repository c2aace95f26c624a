// Test fixture for PaymentService: a real FraudService and a real PaymentService on loopback,
// payment calling fraud, plus helpers for bounded waits and calls in flight.
#pragma once

#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "services/fraud/fraud_service.h"
#include "services/payment/payment_service.h"
#include "switchboard/payment/v1/payment.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::payment {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

inline constexpr milliseconds kCallDeadline{5000};

inline milliseconds Since(SteadyClock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
}

// Polls `condition` until it holds or `limit` passes; true when it held.
template <typename Condition>
bool WaitFor(Condition condition, milliseconds limit) {
  const auto end = SteadyClock::now() + limit;
  while (!condition()) {
    if (SteadyClock::now() > end) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

inline v1::ChargeRequest ChargeOf(std::string booking_id, int64_t amount = 4500,
                                  std::string user_id = "usr_1", std::string currency = "EUR") {
  v1::ChargeRequest request;
  request.set_booking_id(std::move(booking_id));
  request.set_user_id(std::move(user_id));
  request.set_amount(amount);
  request.set_currency(std::move(currency));
  return request;
}

// A Charge on the callback API, so a test can act while it is in flight. The wait is bounded
// even when the call has no deadline.
struct AsyncCharge {
  grpc::ClientContext context;
  v1::ChargeRequest request;
  v1::Payment payment;
  std::promise<grpc::Status> done;
  std::future<grpc::Status> status = done.get_future();

  void Start(v1::PaymentService::Stub* stub) {
    stub->async()->Charge(&context, &request, &payment,
                          [this](grpc::Status s) { done.set_value(std::move(s)); });
  }
  grpc::Status Wait(milliseconds limit) {
    if (status.wait_for(limit) != std::future_status::ready) context.TryCancel();
    return status.get();
  }
};

class PaymentSystemTest : public ::testing::Test {
 protected:
  // Fraud first, then payment pointed at it.
  void StartSystem(const std::string& fraud_settings = "{}",
                   const std::string& payment_settings = "{}", PaymentClocks clocks = {},
                   const common::HostOptions& payment_host_options = {}) {
    fraud_server_ =
        std::make_unique<switchboard::testing::TestServer>(fraud::MakeFraudService, fraud_settings);
    fraud_ = fraud::AsFraudService(fraud_server_->service());
    ASSERT_NE(fraud_, nullptr);
    payment_server_ = std::make_unique<switchboard::testing::TestServer>(
        [clocks](const common::ServiceOptions& options) {
          return MakePaymentServiceWithClocks(options, clocks);
        },
        payment_settings, payment_host_options,
        std::map<std::string, std::string>{{"fraud", fraud_server_->address()}});
    payment_ = AsPaymentService(payment_server_->service());
    ASSERT_NE(payment_, nullptr);
    stub_ = v1::PaymentService::NewStub(payment_server_->NewChannel());
  }

  void TearDown() override {
    stub_.reset();
    payment_server_.reset();
    fraud_server_.reset();
  }

  grpc::Status Charge(const v1::ChargeRequest& request, v1::Payment* payment,
                      milliseconds deadline = kCallDeadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    return stub_->Charge(&context, request, payment);
  }

  grpc::Status Refund(const std::string& booking_id, v1::Payment* payment,
                      milliseconds deadline = kCallDeadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    v1::RefundRequest request;
    request.set_booking_id(booking_id);
    return stub_->Refund(&context, request, payment);
  }

  grpc::Status Get(const std::string& booking_id, v1::Payment* payment) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    v1::GetPaymentRequest request;
    request.set_booking_id(booking_id);
    return stub_->GetPayment(&context, request, payment);
  }

  LedgerSummary Summary() {
    auto summary = payment_->Summary();
    EXPECT_TRUE(summary.ok()) << summary.status();
    return summary.ok() ? *summary : LedgerSummary{};
  }

  const fraud::FraudStats& fraud_stats() const { return fraud_->stats(); }

  std::unique_ptr<switchboard::testing::TestServer> fraud_server_;
  std::unique_ptr<switchboard::testing::TestServer> payment_server_;
  fraud::FraudService* fraud_ = nullptr;
  PaymentService* payment_ = nullptr;
  std::unique_ptr<v1::PaymentService::Stub> stub_;
};

}  // namespace switchboard::payment
