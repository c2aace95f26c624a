#include "gateway/backend_call.h"

#include "gateway/grpc_timeout.h"

namespace switchboard::gateway {

Headers BackendRequestHeaders(const std::string& grpc_path, const std::string& authority,
                              const Headers& metadata, std::chrono::microseconds remaining) {
  Headers headers = {{":method", "POST"},
                     {":scheme", "http"},
                     {":path", grpc_path},
                     {":authority", authority.empty() ? std::string("switchboard-gateway") : authority},
                     {"content-type", "application/grpc"},
                     {"te", "trailers"}};
  for (const auto& [name, value] : metadata) {
    if (name == "content-type" || name == "te" || name == "grpc-timeout" ||
        name == "x-deadline-unix-us") {
      continue;
    }
    headers.emplace_back(name, value);
  }
  headers.emplace_back("grpc-timeout", FormatGrpcTimeout(remaining));
  const auto deadline_us = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch() + remaining)
                               .count();
  headers.emplace_back("x-deadline-unix-us", std::to_string(deadline_us));
  return headers;
}

}  // namespace switchboard::gateway
