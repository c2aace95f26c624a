#include "services/chat/room.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/chat/room_window.h"

namespace switchboard::chat {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Room::Room(std::string name, RoomLimits limits, Clock now_ms)
    : name_(std::move(name)), limits_(limits), now_ms_(std::move(now_ms)) {
  last_active_ms_ = now_ms_();
}

grpc::Status Room::Join(ChatMember* member, const std::string& user_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return JoinLocked(member, user_id, 0);
}

grpc::Status Room::Enter(ChatMember* member, const std::string& user_id, int64_t after_sequence) {
  std::lock_guard<std::mutex> lock(mutex_);
  return JoinLocked(member, user_id, after_sequence);
}

grpc::Status Room::Say(ChatMember* member, const std::string& text) {
  Post(member, text);  // false only when the member was dropped: its stream is ending
  return grpc::Status::OK;
}

grpc::Status Room::JoinLocked(ChatMember* member, const std::string& user_id,
                              int64_t after_sequence) {
  if (members_.count(member) != 0) {
    return {grpc::StatusCode::ALREADY_EXISTS, absl::StrCat("already in room \"", name_, "\"")};
  }
  if (members_.size() >= limits_.max_members) {
    return {grpc::StatusCode::RESOURCE_EXHAUSTED,
            absl::StrCat("room \"", name_, "\" has ", members_.size(),
                         " members, at most max_members ", limits_.max_members)};
  }
  if (member->IsClosing()) return {grpc::StatusCode::CANCELLED, "stream is ending"};
  if (after_sequence > 0) {
    // Sequences here are contiguous: the history covers every message after `oldest - 1`.
    const int64_t from = history_.empty() ? last_sequence_ : history_.front()->sequence() - 1;
    if (after_sequence < from || after_sequence > last_sequence_) {
      return ResumeOutOfRange(
          name_, after_sequence, from, last_sequence_,
          absl::StrCat("the last ", limits_.history, " messages of services.chat.history"));
    }
  }
  // Replaying under the lock is what makes history and live messages meet without a gap or a
  // duplicate: nothing can be published between the last replayed message and the join.
  for (const MessagePtr& message : history_) {
    if (message->sequence() <= after_sequence) continue;
    switch (member->Deliver(message)) {
      case ChatMember::Delivery::kQueued:
        break;
      case ChatMember::Delivery::kClosed:
        return {grpc::StatusCode::CANCELLED, "stream is ending"};
      case ChatMember::Delivery::kOverflow:
        return {grpc::StatusCode::RESOURCE_EXHAUSTED,
                absl::StrCat("history of room \"", name_, "\" does not fit the member queue")};
    }
  }
  members_.emplace(member, user_id);
  PublishLocked(EventLocked(v1::ChatMessage::KIND_JOIN, user_id));
  return grpc::Status::OK;
}

bool Room::Post(ChatMember* member, const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = members_.find(member);
  if (it == members_.end()) return false;
  v1::ChatMessage message = EventLocked(v1::ChatMessage::KIND_TEXT, it->second);
  message.set_text(text);
  PublishLocked(std::move(message));
  return true;
}

void Room::Leave(ChatMember* member) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = members_.find(member);
  if (it == members_.end()) return;
  const std::string user_id = std::move(it->second);
  members_.erase(it);
  PublishLocked(EventLocked(v1::ChatMessage::KIND_LEAVE, user_id));
}

size_t Room::member_count() {
  std::lock_guard<std::mutex> lock(mutex_);
  return members_.size();
}

int64_t Room::last_active_ms() {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_active_ms_;
}

v1::ChatMessage Room::EventLocked(v1::ChatMessage::Kind kind, const std::string& user_id) const {
  v1::ChatMessage message;
  message.set_user_id(user_id);
  message.set_room(name_);
  message.set_kind(kind);
  return message;
}

void Room::PublishLocked(v1::ChatMessage first) {
  // A leave caused by one delivery is published after it, never inside the member loop.
  std::deque<v1::ChatMessage> pending;
  pending.push_back(std::move(first));
  while (!pending.empty()) {
    v1::ChatMessage message = std::move(pending.front());
    pending.pop_front();
    last_active_ms_ = now_ms_();
    message.set_timestamp(last_active_ms_);
    message.set_sequence(++last_sequence_);
    auto stamped = std::make_shared<const v1::ChatMessage>(std::move(message));
    if (limits_.history > 0) {
      history_.push_back(stamped);
      while (history_.size() > limits_.history) history_.pop_front();
    }
    std::vector<ChatMember*> gone;
    for (const auto& [member, user_id] : members_) {
      if (member->Deliver(stamped) != ChatMember::Delivery::kQueued) gone.push_back(member);
    }
    for (ChatMember* member : gone) {
      auto it = members_.find(member);
      pending.push_back(EventLocked(v1::ChatMessage::KIND_LEAVE, it->second));
      members_.erase(it);
    }
  }
}

}  // namespace switchboard::chat
