// One PaymentService.Charge call: validate, replay an existing charge, ask fraud (callback API,
// with the propagated deadline), then record the charge in one transaction that re-checks the
// booking and the deadline. No thread waits on fraud.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <memory>
#include <optional>

#include "common/call_budget.h"
#include "common/cancel_on_shutdown.h"
#include "services/payment/payment_config.h"
#include "services/payment/payment_ledger.h"
#include "switchboard/fraud/v1/fraud.grpc.pb.h"
#include "switchboard/payment/v1/payment.pb.h"

namespace switchboard::payment {

// What every charge shares; owned by the service, which outlives its calls.
struct ChargeEnvironment {
  const PaymentConfig* config;
  PaymentLedger* ledger;
  fraud::v1::FraudService::Stub* fraud;
  common::CancelOnShutdown<grpc::ClientContext>* inflight;
  common::CallBudget::Clock clock;
};

class ChargeReactor final : public grpc::ServerUnaryReactor {
 public:
  // Starts the charge; the returned reactor deletes itself in OnDone.
  static ChargeReactor* Start(grpc::CallbackServerContext* context,
                              const v1::ChargeRequest* request, v1::Payment* response,
                              const ChargeEnvironment& env);

  void OnCancel() override;
  void OnDone() override;

 private:
  ChargeReactor(grpc::CallbackServerContext* context, const v1::ChargeRequest* request,
                v1::Payment* response, const ChargeEnvironment& env);
  void Begin();
  void OnFraudDone(const grpc::Status& status);
  // Whether the charge may still be written: the caller neither gave up nor ran out of time.
  absl::Status MayCommit() const;
  void FinishWith(const grpc::Status& status);

  grpc::CallbackServerContext* context_;
  const v1::ChargeRequest* request_;
  v1::Payment* response_;
  ChargeEnvironment env_;
  common::CallBudget budget_;
  fraud::v1::CheckRequest fraud_request_;
  fraud::v1::CheckResult fraud_result_;
  // Shared with the in-flight calls so shutdown can cancel it; set before the reactor is bound.
  std::shared_ptr<grpc::ClientContext> fraud_context_;
  std::optional<uint64_t> inflight_id_;
};

}  // namespace switchboard::payment
