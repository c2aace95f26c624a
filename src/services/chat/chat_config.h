// ChatService settings (block services.chat), with their defaults in one place.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace switchboard::chat {

struct ChatConfig {
  static constexpr int64_t kDefaultHistory = 50;
  static constexpr int64_t kDefaultMaxTextBytes = 4096;
  static constexpr int64_t kDefaultMemberQueue = 1024;
  static constexpr int64_t kDefaultMaxMembers = 10000;
  static constexpr int64_t kDefaultMaxRooms = 1000;
  static constexpr char kDefaultRoom[] = "general";
  static constexpr int64_t kDefaultResumeMax = 1000;
  static constexpr std::chrono::milliseconds kDefaultResumeWindow{std::chrono::minutes(5)};
  static constexpr int64_t kDefaultRoomQueue = 65536;
  static constexpr std::chrono::milliseconds kDefaultLoadTimeout{std::chrono::seconds(5)};

  // Messages replayed to a member on join; below member_queue, since the replay goes through
  // the member's queue.
  int64_t history = kDefaultHistory;
  // Longest text a member may send.
  int64_t max_text_bytes = kDefaultMaxTextBytes;
  // Messages waiting to be written to one member before that member is dropped.
  int64_t member_queue = kDefaultMemberQueue;
  // Members of one room at once.
  int64_t max_members = kDefaultMaxMembers;
  // Rooms kept in memory; an empty room is forgotten to make space.
  int64_t max_rooms = kDefaultMaxRooms;
  // The room of a stream that names none (no x-chat-room, no room in its first message), so
  // a client that sends only user_id and text still chats.
  std::string default_room = kDefaultRoom;

  // With a shared bus: the messages of a room kept (by the bus and by every replica holding
  // the room) for members that resume with after_sequence, by count and by age. With the
  // in-process default a member resumes within the `history` kept for joins.
  int64_t resume_max = kDefaultResumeMax;
  std::chrono::milliseconds resume_window = kDefaultResumeWindow;
  // With a shared bus: messages from the bus waiting for a room's fan-out on this replica;
  // beyond it they are dropped and counted (the fan-out only queues, so it keeps up).
  int64_t room_queue = kDefaultRoomQueue;
  // With a shared bus: how long the first join of a room on this replica waits for the room's
  // messages from the bus before failing with UNAVAILABLE.
  std::chrono::milliseconds load_timeout = kDefaultLoadTimeout;
};

// Reads the block; an unknown key or bad value is an error naming it ("services.chat.x").
absl::StatusOr<ChatConfig> ReadChatConfig(const YAML::Node& settings);

}  // namespace switchboard::chat
