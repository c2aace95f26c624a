// Structured, line-oriented logs on stderr for every subcommand.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "common/log_pattern.h"

namespace switchboard::cli {

bool ConfigureLogging(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return false;
  auto logger = spdlog::stderr_logger_mt("switchboard");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern(common::kLogPattern, spdlog::pattern_time_type::utc);
  spdlog::set_level(parsed);
  return true;
}

}  // namespace switchboard::cli
