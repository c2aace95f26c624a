#include "services/payment/charge_reactor.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "services/payment/payment_rules.h"

namespace switchboard::payment {
namespace {

constexpr char kShuttingDown[] = "server shutting down";

}  // namespace

ChargeReactor* ChargeReactor::Start(grpc::CallbackServerContext* context,
                                    const v1::ChargeRequest* request, v1::Payment* response,
                                    const ChargeEnvironment& env) {
  auto* reactor = new ChargeReactor(context, request, response, env);
  reactor->Begin();
  return reactor;
}

ChargeReactor::ChargeReactor(grpc::CallbackServerContext* context, const v1::ChargeRequest* request,
                             v1::Payment* response, const ChargeEnvironment& env)
    : context_(context),
      request_(request),
      response_(response),
      env_(env),
      budget_(context, "payment", env.config->deadline_policy, env.clock) {}

void ChargeReactor::Begin() {
  if (grpc::Status expired = budget_.CheckNotExpired(); !expired.ok()) {
    FinishWith(expired);
    return;
  }
  if (absl::Status invalid = ValidateChargeRequest(*request_, env_.config->max_charge_amount);
      !invalid.ok()) {
    FinishWith(common::ToGrpcStatus(invalid));
    return;
  }
  // A replayed charge is answered from the ledger without asking fraud again.
  auto existing = env_.ledger->Find(request_->booking_id());
  if (!existing.ok()) {
    FinishWith(common::ToGrpcStatus(existing.status()));
    return;
  }
  if (existing->has_value()) {
    auto answer = ResolveExisting(**existing, *request_);
    if (answer.ok()) *response_ = std::move(*answer);
    FinishWith(common::ToGrpcStatus(answer.status()));
    return;
  }
  if (grpc::Status enough = budget_.Require(env_.config->min_fraud_budget, "fraud check");
      !enough.ok()) {
    FinishWith(enough);
    return;
  }
  fraud_request_.set_user_id(request_->user_id());
  fraud_request_.set_amount(request_->amount());
  fraud_request_.set_currency(request_->currency());
  fraud_request_.set_booking_id(request_->booking_id());
  fraud_context_ = budget_.NewClientContext();
  inflight_id_ = env_.inflight->Add(fraud_context_);
  if (!inflight_id_.has_value()) {
    FinishWith({grpc::StatusCode::UNAVAILABLE, kShuttingDown});
    return;
  }
  // The callback may run before this handler returns (fraud unreachable); Finish then waits
  // for grpc to bind the reactor, so that is safe.
  env_.fraud->async()->Check(fraud_context_.get(), &fraud_request_, &fraud_result_,
                             [this](grpc::Status status) { OnFraudDone(status); });
}

void ChargeReactor::OnCancel() {
  // Propagation cancels the fraud call too; this also covers a budget shorter than the
  // caller's deadline. No lock: fraud_context_ was set before this reactor was bound.
  if (fraud_context_ != nullptr) fraud_context_->TryCancel();
}

void ChargeReactor::OnDone() {
  if (inflight_id_.has_value()) env_.inflight->Remove(*inflight_id_);
  delete this;
}

void ChargeReactor::OnFraudDone(const grpc::Status& status) {
  budget_.Collect(*fraud_context_);
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::CANCELLED && env_.inflight->shutting_down()) {
      FinishWith({grpc::StatusCode::UNAVAILABLE, kShuttingDown});
      return;
    }
    FinishWith({status.error_code(), absl::StrCat("fraud check: ", status.error_message())});
    return;
  }
  if (!fraud_result_.approved()) {
    FinishWith({grpc::StatusCode::PERMISSION_DENIED,
                absl::StrCat("fraud check declined the charge: ", fraud_result_.reason())});
    return;
  }
  // Re-checks the booking (a Refund may have voided it meanwhile) and the deadline in the same
  // transaction as the insert.
  auto payment = env_.ledger->Charge(*request_, [this] { return MayCommit(); });
  if (payment.ok()) *response_ = std::move(*payment);
  FinishWith(common::ToGrpcStatus(payment.status()));
}

absl::Status ChargeReactor::MayCommit() const {
  if (context_->IsCancelled()) {
    return absl::CancelledError("payment: the caller cancelled before the charge was recorded");
  }
  if (!budget_.CheckNotExpired().ok()) {
    return absl::DeadlineExceededError(
        "payment: deadline passed before the charge could be recorded");
  }
  return absl::OkStatus();
}

void ChargeReactor::FinishWith(const grpc::Status& status) {
  budget_.AttachTrace();
  Finish(status);
}

}  // namespace switchboard::payment
