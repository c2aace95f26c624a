// Input rules for NotificationService requests.
#include "services/notification/notification_validation.h"

#include "absl/strings/str_cat.h"

namespace switchboard::notification {
namespace {

absl::Status CheckBytes(const char* field, std::string_view value, size_t min, size_t max) {
  if (value.size() >= min && value.size() <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", value.size(), " bytes, must be ", min, "..", max));
}

}  // namespace

absl::Status ValidateUserId(std::string_view user_id) {
  return CheckBytes("user_id", user_id, kMinUserIdBytes, kMaxUserIdBytes);
}

absl::Status ValidateSubscribe(const v1::SubscribeRequest& request) {
  return ValidateUserId(request.user_id());
}

absl::Status ValidateNotify(const v1::NotifyRequest& request) {
  if (auto s = ValidateUserId(request.user_id()); !s.ok()) return s;
  if (auto s = CheckBytes("title", request.title(), kMinTitleBytes, kMaxTitleBytes); !s.ok()) {
    return s;
  }
  return CheckBytes("body", request.body(), 0, kMaxBodyBytes);
}

}  // namespace switchboard::notification
