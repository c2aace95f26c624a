#include "common/internal_channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "common/service_host.h"

namespace switchboard::common {
namespace {

constexpr int kKeepaliveMs = 30000;

}  // namespace

std::shared_ptr<grpc::Channel> MakeInternalChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(HostOptions::kDefaultMaxMessageBytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveMs);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

}  // namespace switchboard::common
