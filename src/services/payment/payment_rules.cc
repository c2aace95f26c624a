#include "services/payment/payment_rules.h"

#include "absl/strings/str_cat.h"
#include "common/ids.h"

namespace switchboard::payment {
namespace {

constexpr size_t kCurrencyLetters = 3;
// Longer values are cut in error messages so a huge field cannot make a huge error.
constexpr size_t kMaxEchoBytes = 80;

absl::Status ValidateId(const std::string& field, const std::string& value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": must not be empty"));
  if (!common::IsSafeId(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": \"", value.substr(0, kMaxEchoBytes),
                                                   "\" must be 1-64 letters, digits, '_' or '-'"));
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

}  // namespace

absl::Status ValidateBookingId(const std::string& booking_id) {
  return ValidateId("booking_id", booking_id);
}

absl::Status ValidateChargeRequest(const v1::ChargeRequest& request, int64_t max_amount) {
  if (auto s = ValidateBookingId(request.booking_id()); !s.ok()) return s;
  if (auto s = ValidateId("user_id", request.user_id()); !s.ok()) return s;
  if (request.amount() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount: ", request.amount(), " must be greater than 0"));
  }
  if (request.amount() > max_amount) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount: ", request.amount(), " above the maximum charge ", max_amount));
  }
  if (request.currency().empty()) return absl::InvalidArgumentError("currency: must not be empty");
  if (!IsCurrencyCode(request.currency())) {
    return absl::InvalidArgumentError(
        absl::StrCat("currency: \"", request.currency().substr(0, kMaxEchoBytes),
                     "\" is not a three-letter ISO 4217 code such as EUR"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Payment> ResolveExisting(const v1::Payment& existing,
                                            const v1::ChargeRequest& request) {
  switch (existing.state()) {
    case v1::Payment::STATE_CHARGED:
      if (existing.user_id() == request.user_id() && existing.amount() == request.amount() &&
          existing.currency() == request.currency()) {
        return existing;
      }
      return absl::AlreadyExistsError(absl::StrCat(
          "booking ", existing.booking_id(), " is already charged ", existing.amount(), " ",
          existing.currency(), " to user ", existing.user_id(), "; this charge of ",
          request.amount(), " ", request.currency(), " to user ", request.user_id(), " differs"));
    case v1::Payment::STATE_VOIDED:
      return absl::AbortedError(
          absl::StrCat("booking ", existing.booking_id(), " was voided by a refund"));
    case v1::Payment::STATE_REFUNDED:
      return absl::AbortedError(
          absl::StrCat("booking ", existing.booking_id(), " was charged and then refunded"));
    default:
      break;
  }
  return absl::InternalError(absl::StrCat("booking ", existing.booking_id(),
                                          ": payment in unknown state ", existing.state()));
}

}  // namespace switchboard::payment
