#include "services/booking/booking_page_token.h"

#include <algorithm>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace switchboard::booking {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kNanosPerMicro = 1000;

absl::Status BadPageToken() {
  return absl::InvalidArgumentError(
      "page_token: not a next_page_token returned by an earlier ListBookings call");
}

}  // namespace

int64_t CreatedMicros(const v1::Booking& b) {
  return b.created_at().seconds() * kMicrosPerSecond + b.created_at().nanos() / kNanosPerMicro;
}

std::string EncodeBookingPageToken(const v1::Booking& last) {
  return absl::WebSafeBase64Escape(absl::StrCat(CreatedMicros(last), "|", last.id()));
}

absl::StatusOr<BookingPageCursor> DecodeBookingPageToken(const std::string& token) {
  BookingPageCursor cursor;
  if (token.empty()) return cursor;
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(token, &decoded)) return BadPageToken();
  std::vector<std::string> parts = absl::StrSplit(decoded, absl::MaxSplits('|', 1));
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &cursor.before_us)) return BadPageToken();
  cursor.before_id = parts[1];
  return cursor;
}

absl::StatusOr<int> BookingPageLimit(int page_size, int default_size, int max_size) {
  if (page_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: ", page_size, " is negative"));
  }
  return page_size == 0 ? default_size : std::min(page_size, max_size);
}

}  // namespace switchboard::booking
