#include "services/chat/chat_hub.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace switchboard::chat {
namespace {

grpc::Status ShuttingDown() { return {grpc::StatusCode::UNAVAILABLE, "server shutting down"}; }

}  // namespace

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
                           const std::string& user_id, std::shared_ptr<Room>* room) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shutting_down_) return ShuttingDown();
  auto it = rooms_.find(room_name);
  if (it == rooms_.end()) {
    if (rooms_.size() >= limits_.max_rooms && !EvictOneLocked()) {
      return {grpc::StatusCode::RESOURCE_EXHAUSTED,
              absl::StrCat("room \"", room_name, "\": ", rooms_.size(),
                           " rooms are in use, at most max_rooms ", limits_.max_rooms)};
    }
    it = rooms_.emplace(room_name, std::make_shared<Room>(room_name, limits_.room, now_ms_)).first;
  }
  grpc::Status joined = it->second->Join(member, user_id);
  if (joined.ok()) *room = it->second;
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

bool ChatHub::EvictOneLocked() {
  auto oldest = rooms_.end();
  int64_t oldest_ms = 0;
  for (auto it = rooms_.begin(); it != rooms_.end(); ++it) {
    if (it->second->member_count() != 0) continue;
    const int64_t active_ms = it->second->last_active_ms();
    if (oldest == rooms_.end() || active_ms < oldest_ms) {
      oldest = it;
      oldest_ms = active_ms;
    }
  }
  if (oldest == rooms_.end()) return false;
  rooms_.erase(oldest);
  return true;
}

}  // namespace switchboard::chat
