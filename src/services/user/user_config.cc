#include "services/user/user_config.h"

#include "common/system_config.h"

namespace switchboard::user {

absl::StatusOr<UserConfig> ReadUserConfig(const YAML::Node& node) {
  common::Settings settings(node, "services.user");
  UserConfig config;
  config.database = settings.String("database", config.database);
  if (auto s = settings.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace switchboard::user
