// The chat rooms of one server, created on first join and kept (with their history) while
// there is room for them, and the set of open streams, so shutdown can end every one.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "services/chat/chat_member.h"
#include "services/chat/chat_room.h"
#include "services/chat/room.h"

namespace switchboard::chat {

struct HubLimits {
  RoomLimits room;
  size_t max_rooms = 1;  // rooms kept in memory; an empty room is forgotten to make space
};

// Makes the room of a name: a Room of this process, or a BusRoom shared through a bus.
using RoomFactory = std::function<std::shared_ptr<ChatRoom>(const std::string& name)>;

class ChatHub {
 public:
  // Rooms of this process only (Room), as without a bus.
  ChatHub(HubLimits limits, Clock now_ms);
  ChatHub(HubLimits limits, RoomFactory make_room);
  ChatHub(const ChatHub&) = delete;
  ChatHub& operator=(const ChatHub&) = delete;

  // Tracks an open stream until Closed(); false once shutting down (the caller ends it).
  bool Open(ChatMember* stream);
  // Called from the stream's OnDone, after which BeginShutdown no longer touches it.
  void Closed(ChatMember* stream);

  // Finds or creates the room and enters `member` into it (see ChatRoom::Enter).
  // RESOURCE_EXHAUSTED when max_rooms rooms exist and none is empty, UNAVAILABLE once shutting
  // down.
  grpc::Status Join(const std::string& room_name, ChatMember* member, const std::string& user_id,
                    int64_t after_sequence, std::shared_ptr<ChatRoom>* room);

  // Ends every open stream with UNAVAILABLE and refuses new streams and joins.
  void BeginShutdown();

  size_t room_count();

 private:
  struct Entry {
    std::shared_ptr<ChatRoom> room;
    int joining = 0;  // joins in progress (outside the lock): the room is not forgotten meanwhile
  };
  // Forgets the empty room that was idle longest, handing it to `*evicted` to be destroyed
  // outside the lock (a shared room waits for its bus subscription to end); false when every
  // room has members.
  bool EvictOneLocked(std::shared_ptr<ChatRoom>* evicted);

  const HubLimits limits_;
  const RoomFactory make_room_;
  // Guards the rooms and streams; a join enters its room outside it (a shared room may wait
  // for the bus), counted in Entry::joining.
  std::mutex mutex_;
  bool shutting_down_ = false;
  std::map<std::string, Entry> rooms_;
  std::unordered_set<ChatMember*> streams_;
};

}  // namespace switchboard::chat
