// Channels for calls between services. All internal clients get theirs here, so channel-wide
// behaviour (message limits, keepalive, later load balancing) is set in one place.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/channel.h>

namespace switchboard::common {

std::shared_ptr<grpc::Channel> MakeInternalChannel(const std::string& target);

}  // namespace switchboard::common
