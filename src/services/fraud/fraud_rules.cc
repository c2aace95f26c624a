#include "services/fraud/fraud_rules.h"

#include "absl/strings/str_cat.h"
#include "common/duration.h"

namespace switchboard::fraud {
namespace {

constexpr size_t kCurrencyLetters = 3;

absl::Status CheckId(const std::string& field, const std::string& value, bool required) {
  if (required && value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must not be empty"));
  }
  if (value.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", value.size(), " bytes, at most ", kMaxIdBytes));
  }
  return absl::OkStatus();
}

bool IsCurrencyCode(const std::string& currency) {
  if (currency.size() != kCurrencyLetters) return false;
  for (char c : currency) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

v1::CheckResult Declined(std::string reason) {
  v1::CheckResult result;
  result.set_approved(false);
  result.set_reason(std::move(reason));
  return result;
}

}  // namespace

absl::Status ValidateCheckRequest(const v1::CheckRequest& request) {
  if (auto s = CheckId("user_id", request.user_id(), /*required=*/true); !s.ok()) return s;
  if (request.amount() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount: ", request.amount(), " must be greater than 0"));
  }
  if (request.currency().empty()) {
    return absl::InvalidArgumentError("currency: must not be empty");
  }
  if (!IsCurrencyCode(request.currency())) {
    return absl::InvalidArgumentError(
        absl::StrCat("currency: \"", request.currency().substr(0, kMaxIdBytes),
                     "\" is not a three-letter ISO 4217 code such as EUR"));
  }
  return CheckId("booking_id", request.booking_id(), /*required=*/false);
}

FraudRules::FraudRules(const FraudConfig& config, VelocityLimiter::Clock clock)
    : max_amount_(config.max_amount),
      velocity_(config.max_checks_per_user, config.velocity_window,
                static_cast<size_t>(config.max_tracked_users), std::move(clock)) {}

absl::StatusOr<v1::CheckResult> FraudRules::Decide(const v1::CheckRequest& request) {
  if (request.amount() > max_amount_) {
    return Declined(absl::StrCat("amount ", request.amount(), " above limit ", max_amount_));
  }
  switch (velocity_.TryRecord(request.user_id())) {
    case VelocityLimiter::Verdict::kRecorded: {
      v1::CheckResult result;
      result.set_approved(true);
      return result;
    }
    case VelocityLimiter::Verdict::kOverLimit:
      return Declined(absl::StrCat("velocity: user ", request.user_id(), " already had ",
                                   velocity_.max_per_window(), " approved checks in the last ",
                                   common::FormatDuration(velocity_.window()), " (limit ",
                                   velocity_.max_per_window(), ")"));
    case VelocityLimiter::Verdict::kTrackerFull:
      break;
  }
  return absl::ResourceExhaustedError(
      "velocity tracker full: too many distinct users in the window (max_tracked_users)");
}

}  // namespace switchboard::fraud
