#include "gateway/proxy/backend_call.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "gateway/codec/grpc_timeout.h"

namespace switchboard::gateway {

absl::StatusOr<std::chrono::microseconds> SettleBudget(const RouteTimeouts& timeouts,
                                                       const std::string* grpc_timeout,
                                                       bool body_follows) {
  std::chrono::microseconds budget = body_follows ? timeouts.max_timeout : timeouts.default_timeout;
  if (grpc_timeout != nullptr) {
    auto parsed = ParseGrpcTimeout(*grpc_timeout);
    if (!parsed) {
      return absl::InvalidArgumentError("malformed grpc-timeout \"" + *grpc_timeout + "\"");
    }
    budget = std::min<std::chrono::microseconds>(*parsed, timeouts.max_timeout);
  }
  if (budget < kMinForwardedBudget) {
    return absl::DeadlineExceededError(
        absl::StrFormat("deadline already passed at the gateway (a budget of %dus left)",
                        std::max<int64_t>(budget.count(), 0)));
  }
  return budget;
}

Headers BackendRequestHeaders(const std::string& grpc_path, const std::string& authority,
                              const Headers& metadata, std::chrono::microseconds remaining,
                              bool (*drop)(std::string_view name)) {
  constexpr size_t kFixed = 6;
  constexpr size_t kDeadline = 2;
  Headers headers;
  headers.reserve(kFixed + metadata.size() + kDeadline);
  headers.emplace_back(":method", "POST");
  headers.emplace_back(":scheme", "http");
  headers.emplace_back(":path", grpc_path);
  headers.emplace_back(":authority", authority.empty() ? "switchboard-gateway" : authority);
  headers.emplace_back("content-type", "application/grpc");
  headers.emplace_back("te", "trailers");
  for (const auto& [name, value] : metadata) {
    const std::string_view key = name;
    if (key == "content-type" || key == "te" || key == "grpc-timeout" ||
        key == "x-deadline-unix-us" || (drop != nullptr && drop(key))) {
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
    const std::string_view key = name;
    if (key == "grpc-timeout") {
      value = timeout;
      has_timeout = true;
    } else if (key == "x-deadline-unix-us") {
      value = deadline;
      has_deadline = true;
    }
  }
  if (!has_timeout) headers.emplace_back("grpc-timeout", timeout);
  if (!has_deadline) headers.emplace_back("x-deadline-unix-us", deadline);
}

std::string DeadlineTraceValue(std::chrono::microseconds budget_on_entry, const Headers& source) {
  std::string entry = absl::StrFormat("gateway=%.3fms",
                                      static_cast<double>(budget_on_entry.count()) / 1000.0);
  const std::string* downstream = FindHeader(source, "x-deadline-budget");
  if (downstream == nullptr) return entry;
  if (absl::StartsWith(*downstream, "gateway=")) return *downstream;
  return entry + ";" + *downstream;
}

void SetDeadlineTrace(std::chrono::microseconds budget_on_entry, Headers& headers) {
  std::string value = DeadlineTraceValue(budget_on_entry, headers);
  for (auto& [name, existing] : headers) {
    if (name == "x-deadline-budget") {
      existing = std::move(value);
      return;
    }
  }
  headers.emplace_back("x-deadline-budget", std::move(value));
}

}  // namespace switchboard::gateway
