// What every client-facing codec does to start a backend call: the request headers carrying
// the deadline it settled on (the status codes it answers with are codec/status_codes.h).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "gateway/codec/status_codes.h"
#include "gateway/gateway_config.h"
#include "gateway/proxy/proxy_stream.h"

namespace switchboard::gateway {

// A budget too small to reach any backend and come back (a loopback round trip alone takes
// tens of microseconds): such a call is answered DEADLINE_EXCEEDED without a backend call.
inline constexpr std::chrono::microseconds kMinForwardedBudget{100};

// The budget a call gets on arrival: its grpc-timeout (`grpc_timeout`, null for none) capped
// at the route's maximum, else the route's default (its maximum when the request body streams
// in after the call starts). INVALID_ARGUMENT for a malformed grpc-timeout, DEADLINE_EXCEEDED
// for a budget under kMinForwardedBudget.
absl::StatusOr<std::chrono::microseconds> SettleBudget(const RouteTimeouts& timeouts,
                                                       const std::string* grpc_timeout,
                                                       bool body_follows);

// The backend request: pseudo-headers, `metadata` (minus any deadline headers), then
// grpc-timeout and x-deadline-unix-us for `remaining` (exact, since grpc-timeout is rounded).
// `drop`, when given, leaves out further metadata by name.
Headers BackendRequestHeaders(const std::string& grpc_path, const std::string& authority,
                              const Headers& metadata, std::chrono::microseconds remaining,
                              bool (*drop)(std::string_view name) = nullptr);

// What is left of the deadline in backend request `headers` (x-deadline-unix-us); nullopt
// without one.
std::optional<std::chrono::microseconds> RemainingDeadline(const Headers& headers);
// Sets grpc-timeout and x-deadline-unix-us in `headers` for `remaining` (a retry's new try).
void SetDeadlineHeaders(Headers& headers, std::chrono::microseconds remaining);

// The x-deadline-budget a translated call's client sees: the gateway's entry (the budget the
// call had on arrival) before the entries of the chain behind it, found in `source`, unless
// those already begin with a gateway entry.
std::string DeadlineTraceValue(std::chrono::microseconds budget_on_entry, const Headers& source);
// Sets x-deadline-budget in `headers` to DeadlineTraceValue of `headers` (added if absent).
void SetDeadlineTrace(std::chrono::microseconds budget_on_entry, Headers& headers);

}  // namespace switchboard::gateway
