// The services.notification block: its defaults, overrides, and errors that name the bad key.
#include "services/notification/notification_config.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::notification {
namespace {

TEST(NotificationConfig, DefaultsWithAnEmptyOrAbsentBlock) {
  for (const YAML::Node& block : {YAML::Load("{}"), YAML::Node()}) {
    auto config = ReadNotificationConfig(block);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->subscriber_queue, 256);
    EXPECT_EQ(config->max_subscribers, 10000);
    EXPECT_EQ(config->resume_window, std::chrono::minutes(5));
    EXPECT_EQ(config->resume_max, 4096);
  }
}

TEST(NotificationConfig, OverridesAreRead) {
  auto config = ReadNotificationConfig(YAML::Load(
      "{subscriber_queue: 65536, max_subscribers: 1, resume_window: 30s, resume_max: 10}"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->resume_window, std::chrono::seconds(30));
  EXPECT_EQ(config->resume_max, 10);
  EXPECT_EQ(config->subscriber_queue, 65536);
  EXPECT_EQ(config->max_subscribers, 1);
}

TEST(NotificationConfig, BadSettingsAreNamed) {
  struct Case {
    std::string yaml;
    std::string message;
  } cases[] = {
      {"{subscriber_queue: 0}", "services.notification.subscriber_queue: 0 is outside 1..65536"},
      {"{max_subscribers: 1000001}",
       "services.notification.max_subscribers: 1000001 is outside 1..1000000"},
      {"{colour: red}",
       "services.notification.colour: unknown setting (known: port, subscriber_queue,"
       " max_subscribers, resume_window, resume_max)"},
      {"{resume_max: 0}", "services.notification.resume_max: 0 is outside 1..1000000"},
  };
  for (const auto& c : cases) {
    auto config = ReadNotificationConfig(YAML::Load(c.yaml));
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_EQ(std::string(config.status().message()), c.message) << c.yaml;
  }
}

}  // namespace
}  // namespace switchboard::notification
