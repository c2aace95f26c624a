#include "services/fraud/check_reactor.h"

#include <algorithm>

#include "common/status.h"

namespace switchboard::fraud {

CheckReactor* CheckReactor::Start(grpc::CallbackServerContext* context,
                                  const v1::CheckRequest* request, v1::CheckResult* response,
                                  const CheckEnvironment& env) {
  auto* reactor = new CheckReactor(context, request, response, env);
  reactor->Begin();
  return reactor;
}

CheckReactor::CheckReactor(grpc::CallbackServerContext* context, const v1::CheckRequest* request,
                           v1::CheckResult* response, const CheckEnvironment& env)
    : context_(context),
      request_(request),
      response_(response),
      env_(env),
      budget_(context, "fraud", env.config->deadline_policy, env.clock) {}

void CheckReactor::Begin() {
  ++env_.stats->checks_started;
  if (grpc::Status expired = budget_.CheckNotExpired(); !expired.ok()) {
    ++env_.stats->checks_cancelled;
    FinishWith(expired);
    return;
  }
  if (absl::Status invalid = ValidateCheckRequest(*request_); !invalid.ok()) {
    ++env_.stats->checks_invalid;
    FinishWith(common::ToGrpcStatus(invalid));
    return;
  }
  const std::chrono::milliseconds configured_delay = env_.delay->Get();
  if (configured_delay.count() == 0) {
    Decide();
    return;
  }
  // The budget's own deadline can come before the caller's (default_timeout, max_timeout), and
  // only the caller's makes grpc cancel the call, so the alarm also wakes at ours.
  const auto remaining =
      std::max(budget_.deadline() - env_.clock(), std::chrono::system_clock::duration::zero());
  const auto delay =
      std::chrono::duration_cast<std::chrono::system_clock::duration>(configured_delay);
  wakes_at_deadline_ = remaining < delay;
  const auto wait = std::min(remaining, delay);
  alarm_ = std::make_shared<grpc::Alarm>();
  // The callback may run after Finish, on another thread, so it touches nothing but this call.
  alarm_->Set(std::chrono::system_clock::now() + wait, [this](bool fired) { OnAlarm(fired); });
  pending_id_ = env_.pending->Add(alarm_);
  if (!pending_id_.has_value()) alarm_->Cancel();  // shutdown began meanwhile
}

void CheckReactor::OnCancel() {
  // Set before this reactor was bound to the call, so it is safe to read here.
  if (alarm_ != nullptr) alarm_->Cancel();
}

void CheckReactor::OnDone() {
  if (pending_id_.has_value()) env_.pending->Remove(*pending_id_);
  delete this;
}

void CheckReactor::OnAlarm(bool fired) {
  if (fired && !wakes_at_deadline_ && !context_->IsCancelled()) {
    Decide();
    return;
  }
  Stop(fired);
}

void CheckReactor::Stop(bool fired) {
  ++env_.stats->checks_cancelled;
  // Not fired: cancelled by OnCancel (the caller, or grpc at the caller's deadline) or shutdown.
  if (!fired && env_.pending->shutting_down()) {
    FinishWith({grpc::StatusCode::UNAVAILABLE, "server shutting down"});
  } else if ((fired && wakes_at_deadline_) || !budget_.CheckNotExpired().ok()) {
    FinishWith(
        {grpc::StatusCode::DEADLINE_EXCEEDED, "fraud: deadline passed before the check was done"});
  } else {
    FinishWith({grpc::StatusCode::CANCELLED, "fraud: the caller cancelled the check"});
  }
}

void CheckReactor::Decide() {
  auto result = env_.rules->Decide(*request_);
  if (!result.ok()) {
    FinishWith(common::ToGrpcStatus(result.status()));
    return;
  }
  ++env_.stats->checks_completed;
  if (!result->approved()) ++env_.stats->checks_declined;
  *response_ = std::move(*result);
  FinishWith(grpc::Status::OK);
}

void CheckReactor::FinishWith(const grpc::Status& status) {
  budget_.AttachTrace();
  Finish(status);
}

}  // namespace switchboard::fraud
