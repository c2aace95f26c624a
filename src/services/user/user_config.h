// UserService settings (block services.user), with their defaults in one place.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "absl/status/statusor.h"

namespace switchboard::user {

struct UserConfig {
  static constexpr char kDefaultDatabase[] = "user.db";

  // The SQLite file, relative to the data dir.
  std::string database = kDefaultDatabase;
};

// Reads the block; an unknown key or bad value is an error naming it ("services.user.x").
absl::StatusOr<UserConfig> ReadUserConfig(const YAML::Node& settings);

}  // namespace switchboard::user
