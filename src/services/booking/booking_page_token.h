// ListBookings page tokens, the same for every engine: the sort key (created_us, id) of the last
// booking of a page (newest first), opaque to clients.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "switchboard/booking/v1/booking.pb.h"

namespace switchboard::booking {

struct BookingPageCursor {
  int64_t before_us = INT64_MAX;  // the first page starts after every booking
  std::string before_id = "\xff";
};

int64_t CreatedMicros(const v1::Booking& booking);
std::string EncodeBookingPageToken(const v1::Booking& last);
// An empty token is the first page; anything not made by EncodeBookingPageToken is
// INVALID_ARGUMENT.
absl::StatusOr<BookingPageCursor> DecodeBookingPageToken(const std::string& token);
// page_size 0 is the default, larger than the maximum is the maximum, negative is an error.
absl::StatusOr<int> BookingPageLimit(int page_size, int default_size, int max_size);

}  // namespace switchboard::booking
