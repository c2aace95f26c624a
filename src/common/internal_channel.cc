#include "common/internal_channel.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/service_host.h"

namespace switchboard::common {
namespace {

constexpr int kKeepaliveMs = 30000;
// A replica that comes back is used again within about a second: grpc's default reconnect
// backoff grows to two minutes, far too slow between processes on one network. (Not
// GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: grpc reads it as the connect timeout, and a busy peer
// then looks dead.)
constexpr int kInitialReconnectBackoffMs = 100;
constexpr int kMaxReconnectBackoffMs = 1000;
// Backoff between retries: short, since a retry goes to another replica.
constexpr char kRetryInitialBackoff[] = "0.02s";
constexpr char kRetryMaxBackoff[] = "0.2s";

bool IsIdempotent(const google::protobuf::MethodDescriptor& method) {
  return method.options().idempotency_level() != google::protobuf::MethodOptions::IDEMPOTENCY_UNKNOWN;
}

}  // namespace

std::string InternalServiceConfigJson(const std::string& service, const ChannelPolicy& policy) {
  std::string config = absl::StrCat(R"({"loadBalancingConfig":[{")", policy.lb_policy,
                                    R"(":{}}],"healthCheckConfig":{"serviceName":""})");
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  std::vector<std::string> names;
  if (descriptor != nullptr && policy.idempotent_attempts > 1) {
    for (int i = 0; i < descriptor->method_count(); ++i) {
      const auto* method = descriptor->method(i);
      if (!IsIdempotent(*method)) continue;
      names.push_back(absl::StrCat(R"({"service":")", service, R"(","method":")", method->name(),
                                   R"("})"));
    }
  }
  if (!names.empty()) {
    absl::StrAppend(&config, R"(,"methodConfig":[{"name":[)", absl::StrJoin(names, ","),
                    R"(],"retryPolicy":{"maxAttempts":)", policy.idempotent_attempts,
                    R"(,"initialBackoff":")", kRetryInitialBackoff, R"(","maxBackoff":")",
                    kRetryMaxBackoff,
                    R"(","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]}}])");
  }
  config += "}";
  return config;
}

std::shared_ptr<grpc::Channel> MakeInternalChannel(const std::string& target,
                                                   const std::string& service,
                                                   const ChannelPolicy& policy) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(HostOptions::kDefaultMaxMessageBytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveMs);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kInitialReconnectBackoffMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  args.SetServiceConfigJSON(InternalServiceConfigJson(service, policy));
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

}  // namespace switchboard::common
