// Random identifiers for rows and files: a readable prefix and 64 random bits in hex.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::common {

std::string NewId(std::string_view prefix);

// True when `id` only has the characters NewId produces, so it is safe in a file name.
bool IsSafeId(std::string_view id);

}  // namespace switchboard::common
