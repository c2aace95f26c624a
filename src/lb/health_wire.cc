#include "lb/health_wire.h"

#include <cstdint>

namespace switchboard::lb {
namespace {

constexpr int kGrpcOk = 0;
constexpr int kGrpcNotFound = 5;
constexpr int kGrpcUnimplemented = 12;
constexpr uint8_t kServiceFieldTag = 0x0a;  // field 1, length-delimited
constexpr uint8_t kStatusFieldTag = 0x08;   // field 1, varint
constexpr uint64_t kServing = 1;
constexpr size_t kFrameHeaderBytes = 5;

}  // namespace

std::string HealthCheckRequestFrame(std::string_view service) {
  std::string message;
  if (!service.empty()) {
    message.push_back(static_cast<char>(kServiceFieldTag));
    message.push_back(static_cast<char>(service.size() & 0x7f));
    message.append(service.substr(0, kMaxHealthServiceName));
  }
  std::string frame(kFrameHeaderBytes, '\0');
  const uint32_t n = static_cast<uint32_t>(message.size());
  frame[1] = static_cast<char>(n >> 24);
  frame[2] = static_cast<char>(n >> 16);
  frame[3] = static_cast<char>(n >> 8);
  frame[4] = static_cast<char>(n);
  return frame + message;
}

HealthAnswer ParseHealthResponse(int grpc_status, std::string_view body) {
  if (grpc_status == kGrpcNotFound) return HealthAnswer::kUnknownService;
  if (grpc_status == kGrpcUnimplemented) return HealthAnswer::kNoHealthService;
  if (grpc_status != kGrpcOk || body.size() < kFrameHeaderBytes || body[0] != 0) {
    return HealthAnswer::kFailed;
  }
  const uint32_t n = (static_cast<uint32_t>(static_cast<uint8_t>(body[1])) << 24) |
                     (static_cast<uint32_t>(static_cast<uint8_t>(body[2])) << 16) |
                     (static_cast<uint32_t>(static_cast<uint8_t>(body[3])) << 8) |
                     static_cast<uint32_t>(static_cast<uint8_t>(body[4]));
  std::string_view message = body.substr(kFrameHeaderBytes);
  if (message.size() != n) return HealthAnswer::kFailed;
  // Status 0 (UNKNOWN) is the proto default and is encoded as an empty message.
  uint64_t status = 0;
  size_t i = 0;
  while (i < message.size()) {
    const uint8_t tag = static_cast<uint8_t>(message[i++]);
    if (tag != kStatusFieldTag) return HealthAnswer::kFailed;
    status = 0;
    int shift = 0;
    while (true) {
      if (i >= message.size() || shift > 63) return HealthAnswer::kFailed;
      const uint8_t byte = static_cast<uint8_t>(message[i++]);
      status |= static_cast<uint64_t>(byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) == 0) break;
    }
  }
  return status == kServing ? HealthAnswer::kServing : HealthAnswer::kNotServing;
}

}  // namespace switchboard::lb
