// The grpc-timeout header (PROTOCOL-HTTP2.md): "1-8 ASCII digits, then H, M, S, m, u or n".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::gateway {

// nullopt for a malformed value.
std::optional<std::chrono::microseconds> ParseGrpcTimeout(std::string_view value);
// The shortest exact-or-longer encoding that fits in 8 digits.
std::string FormatGrpcTimeout(std::chrono::microseconds timeout);

}  // namespace switchboard::gateway
