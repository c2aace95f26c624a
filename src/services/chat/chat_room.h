// What a member's stream needs from its room, whichever kind: a Room of this process only, or a
// BusRoom that is the same room on every replica sharing a bus.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "services/chat/chat_member.h"

namespace switchboard::chat {

class ChatRoom {
 public:
  virtual ~ChatRoom() = default;

  // Adds `member` and announces it with a KIND_JOIN event that it receives too. Before that it
  // is sent the recent history, or, when `after_sequence` is above 0, every message of the room
  // after that sequence (OUT_OF_RANGE when the room no longer keeps them all).
  virtual grpc::Status Enter(ChatMember* member, const std::string& user_id,
                             int64_t after_sequence) = 0;
  // Publishes a KIND_TEXT message from `member`. OK (and nothing published) when the member is no
  // longer in the room, since its stream is ending already; an error ends the member's stream.
  virtual grpc::Status Say(ChatMember* member, const std::string& text) = 0;
  // Removes `member` and announces it with a KIND_LEAVE event; does nothing when it is not in
  // the room. The member must call this (directly or via its owner) before it is deleted.
  virtual void Leave(ChatMember* member) = 0;

  virtual size_t member_count() = 0;
  // Time of the last join, post or leave, to choose which empty room to forget first.
  virtual int64_t last_active_ms() = 0;
};

}  // namespace switchboard::chat
