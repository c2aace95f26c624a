// The services.user block: its default, an override, and errors that name the bad key.
#include "services/user/user_config.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::user {
namespace {

TEST(UserConfig, DefaultsWithAnEmptyOrAbsentBlock) {
  for (const YAML::Node& block : {YAML::Load("{}"), YAML::Node()}) {
    auto config = ReadUserConfig(block);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->database, "user.db");
  }
}

TEST(UserConfig, OverrideIsRead) {
  auto config = ReadUserConfig(YAML::Load("{database: people.db}"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->database, "people.db");
}

TEST(UserConfig, BadSettingsAreNamed) {
  struct Case {
    std::string yaml;
    std::string message;
  } cases[] = {
      {"{database: [a, b]}", "services.user.database: expected a string"},
      {"{colour: red}", "services.user.colour: unknown setting (known: port, database)"},
  };
  for (const auto& c : cases) {
    auto config = ReadUserConfig(YAML::Load(c.yaml));
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_EQ(std::string(config.status().message()), c.message) << c.yaml;
  }
}

}  // namespace
}  // namespace switchboard::user
