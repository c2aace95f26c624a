// The services.chat block: its defaults, overrides, and errors that name the bad key.
#include "services/chat/chat_config.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::chat {
namespace {

TEST(ChatConfig, DefaultsWithAnEmptyOrAbsentBlock) {
  for (const YAML::Node& block : {YAML::Load("{}"), YAML::Node()}) {
    auto config = ReadChatConfig(block);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->history, 50);
    EXPECT_EQ(config->max_text_bytes, 4096);
    EXPECT_EQ(config->member_queue, 1024);
    EXPECT_EQ(config->max_members, 10000);
    EXPECT_EQ(config->max_rooms, 1000);
    EXPECT_EQ(config->default_room, "general");
    EXPECT_EQ(config->resume_max, 1000);
    EXPECT_EQ(config->resume_window, std::chrono::minutes(5));
    EXPECT_EQ(config->room_queue, 65536);
    EXPECT_EQ(config->load_timeout, std::chrono::seconds(5));
  }
}

TEST(ChatConfig, OverridesAreRead) {
  auto config = ReadChatConfig(YAML::Load(
      "{history: 0, max_text_bytes: 1048576, member_queue: 1, max_members: 3, max_rooms: 4,"
      " default_room: lobby, resume_max: 7, resume_window: 2m, room_queue: 9,"
      " load_timeout: 250ms}"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->history, 0);
  EXPECT_EQ(config->max_text_bytes, 1024 * 1024);
  EXPECT_EQ(config->member_queue, 1);
  EXPECT_EQ(config->max_members, 3);
  EXPECT_EQ(config->max_rooms, 4);
  EXPECT_EQ(config->default_room, "lobby");
  EXPECT_EQ(config->resume_max, 7);
  EXPECT_EQ(config->resume_window, std::chrono::minutes(2));
  EXPECT_EQ(config->room_queue, 9);
  EXPECT_EQ(config->load_timeout, std::chrono::milliseconds(250));
}

TEST(ChatConfig, BadSettingsAreNamed) {
  struct Case {
    std::string yaml;
    std::string message;
  } cases[] = {
      {"{max_text_bytes: 1048577}", "services.chat.max_text_bytes: 1048577 is outside 1..1048576"},
      {"{history: 64, member_queue: 64}",
       "services.chat.history: 64 must be below member_queue 64 (the history is replayed through"
       " the queue)"},
      {"{colour: red}",
       "services.chat.colour: unknown setting (known: port, history, max_text_bytes, member_queue,"
       " max_members, max_rooms, default_room, resume_max, resume_window, room_queue,"
       " load_timeout)"},
      {"{history: 20, resume_max: 10}",
       "services.chat.history: 20 must not exceed resume_max 10 (the history is taken from the"
       " messages kept)"},
      {"{resume_max: 0}", "services.chat.resume_max: 0 is outside 1..1000000"},
      {"{resume_max: 100, room_queue: 99}",
       "services.chat.room_queue: 99 must be at least resume_max 100 (a room's messages are"
       " replayed through it)"},
      {"{default_room: ''}", "services.chat.default_room: must not be empty"},
      {"{default_room: 'a b'}",
       "services.chat.default_room \"a b\": only letters, digits, '_', '.' and '-' are allowed"},
  };
  for (const auto& c : cases) {
    auto config = ReadChatConfig(YAML::Load(c.yaml));
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_EQ(std::string(config.status().message()), c.message) << c.yaml;
  }
}

}  // namespace
}  // namespace switchboard::chat
