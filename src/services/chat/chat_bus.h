// How chat rooms travel between replicas on a shared bus: one retained subject per room, so the
// bus keeps one order per room and the messages members resume from, and the stream that
// retains them.
#pragma once

#include <string>

#include "common/bus/bus.h"
#include "services/chat/chat_config.h"

namespace switchboard::chat {

inline constexpr char kChatStream[] = "SB_CHAT";
inline constexpr char kEveryRoomSubject[] = "sb.chat.>";

// "sb.chat.<room name in hex>": one subject token per room.
std::string RoomSubject(const std::string& room);
bus::StreamSpec ChatStreamSpec(const ChatConfig& config);

}  // namespace switchboard::chat
