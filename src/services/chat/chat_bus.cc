#include "services/chat/chat_bus.h"

#include <algorithm>

#include "common/bus/subject.h"

namespace switchboard::chat {
namespace {

// What the bus keeps over all rooms: resume_max for each room held in memory, within reason.
constexpr int64_t kMaxStreamMessages = 10000000;

}  // namespace

std::string RoomSubject(const std::string& room) { return "sb.chat." + bus::SubjectToken(room); }

bus::StreamSpec ChatStreamSpec(const ChatConfig& config) {
  bus::StreamSpec spec;
  spec.name = kChatStream;
  spec.subjects = kEveryRoomSubject;
  spec.max_age = config.resume_window;
  spec.max_messages_per_subject = config.resume_max;
  spec.max_messages = std::min(kMaxStreamMessages, config.resume_max * config.max_rooms);
  return spec;
}

}  // namespace switchboard::chat
