#include "services/chat/chat_hub.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace switchboard::chat {
namespace {

grpc::Status ShuttingDown() { return {grpc::StatusCode::UNAVAILABLE, "server shutting down"}; }

}  // namespace

ChatHub::ChatHub(HubLimits limits, Clock now_ms)
    : ChatHub(limits,
              [room_limits = limits.room,
               now_ms = std::move(now_ms)](const std::string& name) -> std::shared_ptr<ChatRoom> {
                return std::make_shared<Room>(name, room_limits, now_ms);
              }) {}

ChatHub::ChatHub(HubLimits limits, RoomFactory make_room)
    : limits_(limits), make_room_(std::move(make_room)) {}

bool ChatHub::Open(ChatMember* stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shutting_down_) return false;
  streams_.insert(stream);
  return true;
}

void ChatHub::Closed(ChatMember* stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  streams_.erase(stream);
}

grpc::Status ChatHub::Join(const std::string& room_name, ChatMember* member,
                           const std::string& user_id, int64_t after_sequence,
                           std::shared_ptr<ChatRoom>* room) {
  std::shared_ptr<ChatRoom> found, evicted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutting_down_) return ShuttingDown();
    auto it = rooms_.find(room_name);
    if (it == rooms_.end()) {
      if (rooms_.size() >= limits_.max_rooms && !EvictOneLocked(&evicted)) {
        return {grpc::StatusCode::RESOURCE_EXHAUSTED,
                absl::StrCat("room \"", room_name, "\": ", rooms_.size(),
                             " rooms are in use, at most max_rooms ", limits_.max_rooms)};
      }
      it = rooms_.emplace(room_name, Entry{make_room_(room_name), 0}).first;
    }
    ++it->second.joining;
    found = it->second.room;
  }
  grpc::Status joined = found->Enter(member, user_id, after_sequence);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = rooms_.find(room_name);
    if (it != rooms_.end() && it->second.room == found) --it->second.joining;
  }
  if (joined.ok()) *room = std::move(found);
  return joined;
}

void ChatHub::BeginShutdown() {
  std::lock_guard<std::mutex> lock(mutex_);
  shutting_down_ = true;
  for (ChatMember* stream : streams_) stream->Close(ShuttingDown());
}

size_t ChatHub::room_count() {
  std::lock_guard<std::mutex> lock(mutex_);
  return rooms_.size();
}

bool ChatHub::EvictOneLocked(std::shared_ptr<ChatRoom>* evicted) {
  auto oldest = rooms_.end();
  int64_t oldest_ms = 0;
  for (auto it = rooms_.begin(); it != rooms_.end(); ++it) {
    if (it->second.joining != 0 || it->second.room->member_count() != 0) continue;
    const int64_t active_ms = it->second.room->last_active_ms();
    if (oldest == rooms_.end() || active_ms < oldest_ms) {
      oldest = it;
      oldest_ms = active_ms;
    }
  }
  if (oldest == rooms_.end()) return false;
  *evicted = std::move(oldest->second.room);
  rooms_.erase(oldest);
  return true;
}

}  // namespace switchboard::chat
