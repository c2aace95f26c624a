// grpc.health.v1.Health/Check on the wire, without generated code: the gRPC-framed request
// for a service name, and what a response (grpc-status plus body) says about the backend.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::lb {

inline constexpr char kHealthCheckPath[] = "/grpc.health.v1.Health/Check";
// A service name longer than this is not a gRPC service name (and would need a longer varint).
inline constexpr size_t kMaxHealthServiceName = 127;

// The length-prefixed HealthCheckRequest{service: `service`} (service names are < 128 bytes).
std::string HealthCheckRequestFrame(std::string_view service);

enum class HealthAnswer {
  kServing,
  kNotServing,       // NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN
  kUnknownService,   // grpc-status NOT_FOUND: the server does not know this service name
  kNoHealthService,  // grpc-status UNIMPLEMENTED: the server has no health service at all
  kFailed,           // any other status, or a body that does not parse
};

// `grpc_status` as received (-1 when missing), `body` the response's length-prefixed bytes.
HealthAnswer ParseHealthResponse(int grpc_status, std::string_view body);

}  // namespace switchboard::lb
