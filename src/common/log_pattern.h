// The one line format every log of every subcommand uses: UTC time, level, message.
#pragma once

namespace switchboard::common {

inline constexpr char kLogPattern[] = "%Y-%m-%dT%H:%M:%S.%eZ %l %v";

}  // namespace switchboard::common
