// Input rules for NotificationService requests; pure functions, tested without a server.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "switchboard/notification/v1/notification.pb.h"

namespace switchboard::notification {

inline constexpr size_t kMinUserIdBytes = 1;
inline constexpr size_t kMaxUserIdBytes = 64;
inline constexpr size_t kMinTitleBytes = 1;
inline constexpr size_t kMaxTitleBytes = 200;
inline constexpr size_t kMaxBodyBytes = 4000;

absl::Status ValidateUserId(std::string_view user_id);
absl::Status ValidateSubscribe(const v1::SubscribeRequest& request);
absl::Status ValidateNotify(const v1::NotifyRequest& request);

}  // namespace switchboard::notification
