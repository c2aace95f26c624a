// One chat room: its members, its sequence counter and its recent history. Every message is
// stamped and handed to every member under the room's lock, so all members see one order. The
// history keeps every stamped message (texts and join/leave events), so the sequence numbers a
// joining member gets are contiguous from the first replayed message on.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "services/chat/chat_member.h"
#include "services/chat/chat_room.h"

namespace switchboard::chat {

// Unix time in milliseconds; injectable so tests can fix the stamps.
using Clock = std::function<int64_t()>;
int64_t SystemNowMs();

struct RoomLimits {
  size_t history = 0;      // messages replayed to a member on join
  size_t max_members = 1;  // members at once
};

class Room final : public ChatRoom {
 public:
  Room(std::string name, RoomLimits limits, Clock now_ms);
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& name() const { return name_; }

  // Replays the history to `member`, adds it, and announces it with a KIND_JOIN event that it
  // receives too. Fails with RESOURCE_EXHAUSTED when the room is full, CANCELLED when the
  // member is already ending.
  grpc::Status Join(ChatMember* member, const std::string& user_id);

  // Publishes a KIND_TEXT message from `member`. False when the member is no longer in the
  // room (it was dropped for reading too slowly, or left), and nothing is published.
  bool Post(ChatMember* member, const std::string& text);

  // ChatRoom. A resume is served from the history, so it reaches back `history` messages.
  grpc::Status Enter(ChatMember* member, const std::string& user_id,
                     int64_t after_sequence) override;
  grpc::Status Say(ChatMember* member, const std::string& text) override;
  void Leave(ChatMember* member) override;
  size_t member_count() override;
  int64_t last_active_ms() override;

 private:
  // Join with either the whole history (after_sequence 0) or the history after it.
  grpc::Status JoinLocked(ChatMember* member, const std::string& user_id, int64_t after_sequence);
  // Stamps `message`, keeps it in the history and delivers it to every member. Members that
  // overflow or are ending are removed, and their KIND_LEAVE events published in turn.
  void PublishLocked(v1::ChatMessage message);
  v1::ChatMessage EventLocked(v1::ChatMessage::Kind kind, const std::string& user_id) const;

  const std::string name_;
  const RoomLimits limits_;
  const Clock now_ms_;

  std::mutex mutex_;
  std::unordered_map<ChatMember*, std::string> members_;  // member -> its user_id
  std::deque<MessagePtr> history_;
  int64_t last_sequence_ = 0;
  int64_t last_active_ms_ = 0;
};

}  // namespace switchboard::chat
