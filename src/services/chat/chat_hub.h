// The chat rooms of one server, created on first join and kept (with their history) while
// there is room for them, and the set of open streams, so shutdown can end every one.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "services/chat/chat_member.h"
#include "services/chat/room.h"

namespace switchboard::chat {

struct HubLimits {
  RoomLimits room;
  size_t max_rooms = 1;  // rooms kept in memory; an empty room is forgotten to make space
};

class ChatHub {
 public:
  ChatHub(HubLimits limits, Clock now_ms) : limits_(limits), now_ms_(std::move(now_ms)) {}
  ChatHub(const ChatHub&) = delete;
  ChatHub& operator=(const ChatHub&) = delete;

  // Tracks an open stream until Closed(); false once shutting down (the caller ends it).
  bool Open(ChatMember* stream);
  // Called from the stream's OnDone, after which BeginShutdown no longer touches it.
  void Closed(ChatMember* stream);

  // Finds or creates the room and joins `member` to it (see Room::Join). RESOURCE_EXHAUSTED
  // when max_rooms rooms exist and none is empty, UNAVAILABLE once shutting down.
  grpc::Status Join(const std::string& room_name, ChatMember* member, const std::string& user_id,
                    std::shared_ptr<Room>* room);

  // Ends every open stream with UNAVAILABLE and refuses new streams and joins.
  void BeginShutdown();

  size_t room_count();

 private:
  // Forgets the empty room that was idle longest; false when every room has members.
  bool EvictOneLocked();

  const HubLimits limits_;
  const Clock now_ms_;
  // Held while joining (hub -> room -> member lock order) so that an empty room cannot be
  // joined while it is being forgotten.
  std::mutex mutex_;
  bool shutting_down_ = false;
  std::map<std::string, std::shared_ptr<Room>> rooms_;
  std::unordered_set<ChatMember*> streams_;
};

}  // namespace switchboard::chat
