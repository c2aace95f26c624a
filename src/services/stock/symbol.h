// Ticker symbols: the one rule every RPC and setting applies to them (^[A-Z0-9.]{1,12}$).
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace switchboard::stock {

inline constexpr size_t kMaxSymbolLength = 12;
inline constexpr std::string_view kSymbolPattern = "^[A-Z0-9.]{1,12}$";

bool IsValidSymbol(std::string_view symbol);

// OK, or INVALID_ARGUMENT naming the field `symbol` and the bad value.
absl::Status ValidateSymbol(std::string_view symbol);

}  // namespace switchboard::stock
