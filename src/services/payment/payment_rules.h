// Payment rules as pure logic: request validation and what an existing ledger entry means for a
// new Charge of the same booking (idempotent replay, refused after a refund).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "switchboard/payment/v1/payment.pb.h"

namespace switchboard::payment {

// INVALID_ARGUMENT naming the field: booking_id must be a safe id (common::IsSafeId).
absl::Status ValidateBookingId(const std::string& booking_id);

// INVALID_ARGUMENT naming the first bad field: ids, amount in 1..max_amount, currency a
// three-letter ISO 4217 code.
absl::Status ValidateChargeRequest(const v1::ChargeRequest& request, int64_t max_amount);

// The answer to `request` when the booking already has `existing`: the same charge again
// returns it; a different charge is ALREADY_EXISTS; a refunded or voided booking is ABORTED.
absl::StatusOr<v1::Payment> ResolveExisting(const v1::Payment& existing,
                                            const v1::ChargeRequest& request);

}  // namespace switchboard::payment
