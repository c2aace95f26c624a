// The one line layout every log of every subcommand uses: UTC time to the millisecond, level,
// message. The access log (common/access_log.cc) writes the same layout without spdlog.
#pragma once

namespace switchboard::common {

inline constexpr char kLogPattern[] = "%Y-%m-%dT%H:%M:%S.%eZ %l %v";

}  // namespace switchboard::common
