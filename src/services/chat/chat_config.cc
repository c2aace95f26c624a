#include "services/chat/chat_config.h"

#include "absl/strings/str_cat.h"
#include "common/system_config.h"
#include "services/chat/chat_validation.h"

namespace switchboard::chat {
namespace {

constexpr char kContext[] = "services.chat";
constexpr int64_t kMaxHistory = 100000;
constexpr int64_t kMaxMaxTextBytes = 1024 * 1024;  // well under the 4 MiB message limit
constexpr int64_t kMaxMemberQueue = 1000000;
constexpr int64_t kMaxMaxMembers = 1000000;
constexpr int64_t kMaxMaxRooms = 1000000;
constexpr int64_t kMaxResumeMax = 1000000;
constexpr std::chrono::milliseconds kMinResumeWindow{1000};
constexpr std::chrono::hours kMaxResumeWindow{24};
constexpr int64_t kMaxRoomQueue = 1000000;
constexpr std::chrono::milliseconds kMinLoadTimeout{100};
constexpr std::chrono::milliseconds kMaxLoadTimeout{std::chrono::minutes(1)};

}  // namespace

absl::StatusOr<ChatConfig> ReadChatConfig(const YAML::Node& node) {
  common::Settings settings(node, kContext);
  ChatConfig config;
  config.history = settings.Int("history", config.history, 0, kMaxHistory);
  config.max_text_bytes =
      settings.Int("max_text_bytes", config.max_text_bytes, 1, kMaxMaxTextBytes);
  config.member_queue = settings.Int("member_queue", config.member_queue, 1, kMaxMemberQueue);
  config.max_members = settings.Int("max_members", config.max_members, 1, kMaxMaxMembers);
  config.max_rooms = settings.Int("max_rooms", config.max_rooms, 1, kMaxMaxRooms);
  config.default_room = settings.String("default_room", config.default_room);
  config.resume_max = settings.Int("resume_max", config.resume_max, 1, kMaxResumeMax);
  config.resume_window =
      settings.Duration("resume_window", config.resume_window, kMinResumeWindow, kMaxResumeWindow);
  config.room_queue = settings.Int("room_queue", config.room_queue, 1, kMaxRoomQueue);
  config.load_timeout =
      settings.Duration("load_timeout", config.load_timeout, kMinLoadTimeout, kMaxLoadTimeout);
  if (auto s = settings.Finish(); !s.ok()) return s;
  if (config.default_room.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kContext, ".default_room: must not be empty"));
  }
  if (grpc::Status bad = ValidateRoom(config.default_room, "default_room"); !bad.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(kContext, ".", bad.error_message()));
  }
  // A joining member gets the history and its own join event in its queue at once.
  if (config.history >= config.member_queue) {
    return absl::InvalidArgumentError(
        absl::StrCat(kContext, ".history: ", config.history, " must be below member_queue ",
                     config.member_queue, " (the history is replayed through the queue)"));
  }
  // A join replays the history from the messages kept for resuming.
  if (config.history > config.resume_max) {
    return absl::InvalidArgumentError(
        absl::StrCat(kContext, ".history: ", config.history, " must not exceed resume_max ",
                     config.resume_max, " (the history is taken from the messages kept)"));
  }
  // A room's first join replays what the bus keeps of it through the room's queue.
  if (config.room_queue < config.resume_max) {
    return absl::InvalidArgumentError(
        absl::StrCat(kContext, ".room_queue: ", config.room_queue, " must be at least resume_max ",
                     config.resume_max, " (a room's messages are replayed through it)"));
  }
  return config;
}

}  // namespace switchboard::chat
