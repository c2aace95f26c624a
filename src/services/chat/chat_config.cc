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
  return config;
}

}  // namespace switchboard::chat
