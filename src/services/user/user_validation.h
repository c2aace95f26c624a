// Input rules for UserService requests; pure functions so they are tested without a server.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace switchboard::user {

inline constexpr size_t kMinEmailBytes = 3;
inline constexpr size_t kMaxEmailBytes = 254;  // the SMTP limit on a forward path
inline constexpr size_t kMinDisplayNameBytes = 1;
inline constexpr size_t kMaxDisplayNameBytes = 100;
inline constexpr size_t kMaxUserIdBytes = 64;

// Checks `email` loosely (length, exactly one '@' with text on both sides) and returns it
// lowercased, the form it is stored and compared in.
absl::StatusOr<std::string> NormalizeEmail(std::string_view email);
absl::Status ValidateDisplayName(std::string_view display_name);
absl::Status ValidateUserId(std::string_view id);

// `value` shortened and escaped so it can be quoted in an error message.
std::string QuoteForMessage(std::string_view value);

}  // namespace switchboard::user
