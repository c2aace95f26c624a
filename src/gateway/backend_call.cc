#include "gateway/backend_call.h"

#include "absl/strings/numbers.h"
#include "gateway/grpc_timeout.h"

namespace switchboard::gateway {

Headers BackendRequestHeaders(const std::string& grpc_path, const std::string& authority,
                              const Headers& metadata, std::chrono::microseconds remaining) {
  Headers headers = {
      {":method", "POST"},
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
  SetDeadlineHeaders(headers, remaining);
  return headers;
}

namespace {

int64_t NowUnixUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<std::chrono::microseconds> RemainingDeadline(const Headers& headers) {
  const std::string* value = FindHeader(headers, "x-deadline-unix-us");
  int64_t deadline_us = 0;
  if (value == nullptr || !absl::SimpleAtoi(*value, &deadline_us)) return std::nullopt;
  return std::chrono::microseconds(deadline_us - NowUnixUs());
}

void SetDeadlineHeaders(Headers& headers, std::chrono::microseconds remaining) {
  const std::string timeout = FormatGrpcTimeout(remaining);
  const std::string deadline = std::to_string(NowUnixUs() + remaining.count());
  bool has_timeout = false;
  bool has_deadline = false;
  for (auto& [name, value] : headers) {
    if (name == "grpc-timeout") {
      value = timeout;
      has_timeout = true;
    } else if (name == "x-deadline-unix-us") {
      value = deadline;
      has_deadline = true;
    }
  }
  if (!has_timeout) headers.emplace_back("grpc-timeout", timeout);
  if (!has_deadline) headers.emplace_back("x-deadline-unix-us", deadline);
}

}  // namespace switchboard::gateway
