// Parses the human durations used in config files and flags ("250ms", "5s", "2m", "1h").
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace switchboard::common {

absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);
std::string FormatDuration(std::chrono::milliseconds value);

}  // namespace switchboard::common
