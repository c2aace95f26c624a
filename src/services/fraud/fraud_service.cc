#include "services/fraud/fraud_service.h"

#include <utility>
#include <vector>

#include "services/fraud/check_reactor.h"
#include "services/fraud/fraud_config.h"
#include "services/fraud/fraud_rules.h"
#include "switchboard/fraud/v1/fraud.grpc.pb.h"

namespace switchboard::fraud {
namespace {

class FraudServiceImpl final : public v1::FraudService::CallbackService {
 public:
  explicit FraudServiceImpl(CheckEnvironment env) : env_(std::move(env)) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const v1::CheckRequest* request,
                                  v1::CheckResult* response) override {
    return CheckReactor::Start(context, request, response, env_);
  }

 private:
  CheckEnvironment env_;
};

class FraudServiceHost final : public FraudService {
 public:
  FraudServiceHost(const FraudConfig& config, FraudClocks clocks)
      : config_(config),
        rules_(config_, std::move(clocks.steady)),
        grpc_service_(
            CheckEnvironment{&config_, &rules_, &stats_, &pending_, std::move(clocks.wall)}) {}

  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }
  // Delayed checks end now with UNAVAILABLE instead of holding up the server's shutdown.
  void BeginShutdown() override { pending_.CancelAll(); }
  const FraudStats& stats() const override { return stats_; }

 private:
  const FraudConfig config_;
  FraudRules rules_;
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
