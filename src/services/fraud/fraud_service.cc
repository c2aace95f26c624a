#include "services/fraud/fraud_service.h"

#include <utility>
#include <vector>

#include "common/status.h"
#include "services/fraud/check_reactor.h"
#include "services/fraud/fraud_config.h"
#include "services/fraud/fraud_rules.h"
#include "switchboard/fraud/v1/fraud.grpc.pb.h"

namespace switchboard::fraud {
namespace {

class FraudServiceImpl final : public v1::FraudService::CallbackService {
 public:
  FraudServiceImpl(CheckEnvironment env, DelaySwitch* delay)
      : env_(std::move(env)), delay_(delay) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const v1::CheckRequest* request,
                                  v1::CheckResult* response) override {
    return CheckReactor::Start(context, request, response, env_);
  }

  grpc::ServerUnaryReactor* GetDelay(grpc::CallbackServerContext* context,
                                     const v1::GetDelayRequest* /*request*/,
                                     v1::DelaySetting* response) override {
    response->set_delay_ms(delay_->Get().count());
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* SetDelay(grpc::CallbackServerContext* context,
                                     const v1::SetDelayRequest* request,
                                     v1::DelaySetting* response) override {
    auto* reactor = context->DefaultReactor();
    absl::Status set = delay_->Set(std::chrono::milliseconds(request->delay_ms()));
    if (set.ok()) response->set_delay_ms(delay_->Get().count());
    reactor->Finish(common::ToGrpcStatus(set));
    return reactor;
  }

 private:
  CheckEnvironment env_;
  DelaySwitch* delay_;
};

class FraudServiceHost final : public FraudService {
 public:
  FraudServiceHost(const FraudConfig& config, FraudClocks clocks)
      : config_(config),
        rules_(config_, std::move(clocks.steady)),
        delay_(config_.delay, FraudConfig::kMaxDelay),
        grpc_service_(CheckEnvironment{&config_, &delay_, &rules_, &stats_, &pending_,
                                       std::move(clocks.wall)},
                      &delay_) {}

  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }
  // Delayed checks end now with UNAVAILABLE instead of holding up the server's shutdown.
  void BeginShutdown() override { pending_.CancelAll(); }
  const FraudStats& stats() const override { return stats_; }

 private:
  const FraudConfig config_;
  FraudRules rules_;
  DelaySwitch delay_;
  FraudStats stats_;
  common::CancelOnShutdown<grpc::Alarm> pending_;
  FraudServiceImpl grpc_service_;
};

}  // namespace

FraudService* AsFraudService(common::Service* service) {
  return dynamic_cast<FraudService*>(service);
}

absl::StatusOr<std::unique_ptr<common::Service>> MakeFraudService(
    const common::ServiceOptions& options) {
  return MakeFraudServiceWithClocks(options, FraudClocks());
}

absl::StatusOr<std::unique_ptr<common::Service>> MakeFraudServiceWithClocks(
    const common::ServiceOptions& options, FraudClocks clocks) {
  auto config = ReadFraudConfig(options.settings);
  if (!config.ok()) return config.status();
  return std::unique_ptr<common::Service>(new FraudServiceHost(*config, std::move(clocks)));
}

}  // namespace switchboard::fraud
