// Asks a server over grpc.health.v1 whether it is serving.
#pragma once

#include <chrono>
#include <string>

namespace switchboard::common {

// Polls `address` until it answers SERVING or `timeout` passes.
bool WaitForServing(const std::string& address, std::chrono::milliseconds timeout);

}  // namespace switchboard::common
