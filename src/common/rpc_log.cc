#include "common/rpc_log.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <string_view>

#include <grpcpp/server_context.h>

#include "common/status.h"

namespace switchboard::common {
namespace {

using grpc::experimental::InterceptionHookPoints;

// What the caller did or asked for (a cancel, a bad or unknown request, a deadline it set)
// is an ordinary answer, logged at info; a failure of this server or of what it depends on is
// a warning.
spdlog::level::level_enum LevelFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::UNIMPLEMENTED:
      return spdlog::level::warn;
    default:
      return spdlog::level::info;
  }
}

bool IsHealthCheck(const char* method) {
  return method != nullptr && std::string_view(method).rfind("/grpc.health.v1.Health/", 0) == 0;
}

class RpcLogInterceptor : public grpc::experimental::Interceptor {
 public:
  RpcLogInterceptor(grpc::experimental::ServerRpcInfo* info,
                    std::shared_ptr<const std::atomic<bool>> shutting_down)
      : info_(info),
        shutting_down_(std::move(shutting_down)),
        start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const double ms = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - start_)
                            .count();
      const auto* ctx = info_->server_context();
      const std::string peer = ctx != nullptr ? ctx->peer() : std::string();
      if (status.ok()) {
        // Health checks come every few seconds from every balancer: at info they would bury
        // the calls.
        const auto level = IsHealthCheck(info_->method()) ? spdlog::level::debug
                                                          : spdlog::level::info;
        spdlog::log(level, "rpc method={} status=OK duration_ms={:.3f} peer={}", info_->method(),
                    ms, peer);
      } else if (shutting_down_->load() &&
                 (status.error_code() == grpc::StatusCode::CANCELLED ||
                  IsHealthCheck(info_->method()))) {
        // Streams (health Watch among them) ended by this server's own shutdown.
        spdlog::log(IsHealthCheck(info_->method()) ? spdlog::level::debug : spdlog::level::info,
                    "rpc method={} status={} duration_ms={:.3f} peer={} (server stopping)",
                    info_->method(), StatusCodeName(status.error_code()), ms, peer);
      } else {
        spdlog::log(LevelFor(status.error_code()),
                    "rpc method={} status={} duration_ms={:.3f} peer={} message={:?}",
                    info_->method(), StatusCodeName(status.error_code()), ms, peer,
                    status.error_message());
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  std::shared_ptr<const std::atomic<bool>> shutting_down_;
  std::chrono::steady_clock::time_point start_;
};

class RpcLogInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcLogInterceptorFactory(std::shared_ptr<const std::atomic<bool>> shutting_down)
      : shutting_down_(std::move(shutting_down)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcLogInterceptor(info, shutting_down_);
  }

 private:
  std::shared_ptr<const std::atomic<bool>> shutting_down_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRpcLogInterceptorFactory(std::shared_ptr<const std::atomic<bool>> shutting_down) {
  return std::make_unique<RpcLogInterceptorFactory>(std::move(shutting_down));
}

}  // namespace switchboard::common
