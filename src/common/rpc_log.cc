#include "common/rpc_log.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

#include <grpcpp/server_context.h>

#include "common/status.h"

namespace switchboard::common {
namespace {

using grpc::experimental::InterceptionHookPoints;

class RpcLogInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit RpcLogInterceptor(grpc::experimental::ServerRpcInfo* info)
      : info_(info), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const double ms = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - start_)
                            .count();
      const auto* ctx = info_->server_context();
      const std::string peer = ctx != nullptr ? ctx->peer() : std::string();
      if (status.ok()) {
        spdlog::info("rpc method={} status=OK duration_ms={:.3f} peer={}", info_->method(), ms,
                     peer);
      } else {
        spdlog::warn("rpc method={} status={} duration_ms={:.3f} peer={} message={:?}",
                     info_->method(), StatusCodeName(status.error_code()), ms, peer,
                     status.error_message());
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  std::chrono::steady_clock::time_point start_;
};

class RpcLogInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcLogInterceptor(info);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRpcLogInterceptorFactory() {
  return std::make_unique<RpcLogInterceptorFactory>();
}

}  // namespace switchboard::common
