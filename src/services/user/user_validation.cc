// Input rules for UserService requests.
#include "services/user/user_validation.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace switchboard::user {
namespace {

// Enough to recognise a value in a message without echoing megabytes back to the caller.
constexpr size_t kMaxQuotedBytes = 40;

}  // namespace

std::string QuoteForMessage(std::string_view value) {
  // This absl build has its own string_view type.
  const absl::string_view shown(value.data(), std::min(value.size(), kMaxQuotedBytes));
  return absl::StrCat("\"", absl::CHexEscape(shown), value.size() > kMaxQuotedBytes ? "..." : "",
                      "\"");
}

absl::StatusOr<std::string> NormalizeEmail(std::string_view email) {
  if (email.size() < kMinEmailBytes || email.size() > kMaxEmailBytes) {
    return absl::InvalidArgumentError(absl::StrCat("email: ", email.size(), " bytes, must be ",
                                                   kMinEmailBytes, "..", kMaxEmailBytes));
  }
  const size_t at = email.find('@');
  const bool one_at =
      at != std::string_view::npos && std::count(email.begin(), email.end(), '@') == 1;
  if (!one_at || at == 0 || at == email.size() - 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "email: ", QuoteForMessage(email), " must have exactly one '@' with text on both sides"));
  }
  return absl::AsciiStrToLower(absl::string_view(email.data(), email.size()));
}

absl::Status ValidateDisplayName(std::string_view display_name) {
  if (display_name.size() < kMinDisplayNameBytes || display_name.size() > kMaxDisplayNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("display_name: ", display_name.size(),
                                                   " bytes, must be ", kMinDisplayNameBytes, "..",
                                                   kMaxDisplayNameBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateUserId(std::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("id: must not be empty");
  if (id.size() > kMaxUserIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("id: ", id.size(), " bytes, at most ", kMaxUserIdBytes));
  }
  return absl::OkStatus();
}

}  // namespace switchboard::user
