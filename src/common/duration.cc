#include "common/duration.h"

#include <cctype>
#include <limits>

#include "absl/strings/str_cat.h"

namespace switchboard::common {
namespace {

constexpr int64_t kMaxDurationMs = int64_t{365} * 24 * 3600 * 1000;

}  // namespace

absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view view) {
  const std::string text(view);
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 12) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration \"", text, "\": expected a number followed by ms, s, m or h"));
  }
  const int64_t number = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  int64_t factor = 0;
  if (unit == "ms") {
    factor = 1;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "m") {
    factor = 60 * 1000;
  } else if (unit == "h") {
    factor = 3600 * 1000;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("duration \"", text, "\": unknown unit \"",
                                                   unit, "\" (use ms, s, m or h)"));
  }
  if (number > kMaxDurationMs / factor) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration \"", text, "\": longer than one year"));
  }
  return std::chrono::milliseconds(number * factor);
}

std::string FormatDuration(std::chrono::milliseconds value) {
  const int64_t ms = value.count();
  if (ms != 0 && ms % (3600 * 1000) == 0) return absl::StrCat(ms / (3600 * 1000), "h");
  if (ms != 0 && ms % (60 * 1000) == 0) return absl::StrCat(ms / (60 * 1000), "m");
  if (ms != 0 && ms % 1000 == 0) return absl::StrCat(ms / 1000, "s");
  return absl::StrCat(ms, "ms");
}

}  // namespace switchboard::common
