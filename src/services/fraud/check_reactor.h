// One FraudService.Check call. It validates at once, waits out the configured delay on a
// grpc::Alarm (no thread sleeps), then applies the rules; when the caller cancels, its deadline
// passes or the server shuts down, the alarm is cancelled and the call ends without a verdict.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <memory>
#include <optional>

#include "common/call_budget.h"
#include "common/cancel_on_shutdown.h"
#include "services/fraud/delay_switch.h"
#include "services/fraud/fraud_config.h"
#include "services/fraud/fraud_rules.h"
#include "services/fraud/fraud_service.h"
#include "switchboard/fraud/v1/fraud.pb.h"

namespace switchboard::fraud {

// What every check shares; owned by the service, which outlives its calls.
struct CheckEnvironment {
  const FraudConfig* config;
  const DelaySwitch* delay;  // the delay now in force (config->delay at start)
  FraudRules* rules;
  FraudStats* stats;
  common::CancelOnShutdown<grpc::Alarm>* pending;
  common::CallBudget::Clock clock;
};

class CheckReactor final : public grpc::ServerUnaryReactor {
 public:
  // Starts the check; the returned reactor deletes itself in OnDone.
  static CheckReactor* Start(grpc::CallbackServerContext* context, const v1::CheckRequest* request,
                             v1::CheckResult* response, const CheckEnvironment& env);

  void OnCancel() override;
  void OnDone() override;

 private:
  CheckReactor(grpc::CallbackServerContext* context, const v1::CheckRequest* request,
               v1::CheckResult* response, const CheckEnvironment& env);
  void Begin();
  void OnAlarm(bool fired);
  void Decide();
  // Ends the call without a verdict, with the reason it stopped.
  void Stop(bool fired);
  void FinishWith(const grpc::Status& status);

  grpc::CallbackServerContext* context_;
  const v1::CheckRequest* request_;
  v1::CheckResult* response_;
  CheckEnvironment env_;
  common::CallBudget budget_;
  // Shared with the pending alarms so shutdown can cancel it; set before the reactor is bound.
  std::shared_ptr<grpc::Alarm> alarm_;
  // The alarm was set for the deadline, which comes before the delay is over.
  bool wakes_at_deadline_ = false;
  std::optional<uint64_t> pending_id_;
};

}  // namespace switchboard::fraud
