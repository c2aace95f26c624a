// One member's bidirectional Chat stream. Reading and writing are independent: the reactor
// keeps reading (StartRead again after each OnReadDone) while the room fans messages into the
// shared queued writer (common::QueuedWriteReactor), one write in flight at a time.
//
// Lifetime: the room and the hub call into a stream only while holding their own lock and only
// while it is registered with them; OnDone leaves the room and unregisters from the hub (taking
// those locks) before `delete this`, so neither ever touches a deleted stream.
#pragma once

#include <grpcpp/support/server_callback.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include "common/queued_write_reactor.h"
#include "services/chat/chat_hub.h"
#include "services/chat/chat_member.h"
#include "services/chat/chat_room.h"
#include "switchboard/chat/v1/chat.pb.h"

namespace switchboard::chat {

constexpr char kRoomMetadataKey[] = "x-chat-room";

struct StreamLimits {
  size_t max_text_bytes = 1;
  size_t member_queue = 1;   // messages waiting to be written before the member is dropped
  std::string default_room;  // joined by a stream that names no room
};

using ChatWriter =
    common::QueuedWriteReactor<v1::ChatMessage, MessagePtr,
                               grpc::ServerBidiReactor<v1::ChatMessage, v1::ChatMessage>>;

class ChatStream final : public ChatWriter, public ChatMember {
 public:
  ChatStream(grpc::CallbackServerContext* context, ChatHub* hub, StreamLimits limits);

  Delivery Deliver(MessagePtr message) override;
  bool IsClosing() override { return ChatWriter::IsClosing(); }
  void Close(const grpc::Status& status) override { ChatWriter::Close(status); }

  void OnReadDone(bool ok) override;
  void OnCancel() override;

 private:
  // Both return the status to end the stream with when the message is refused.
  grpc::Status HandleFirst();
  grpc::Status HandleNext();
  // Leaves the room if this stream is in one; safe to call more than once.
  void LeaveRoom();
  void StartReadUnlessClosing();

  ChatHub* const hub_;
  const StreamLimits limits_;

  // Read side: only touched from the constructor and OnReadDone, which grpc never runs
  // concurrently with each other.
  std::string metadata_room_;  // empty when the metadata is absent
  v1::ChatMessage request_;
  std::string user_id_;
  std::string room_name_;
  bool joined_ = false;

  std::mutex room_mutex_;
  std::shared_ptr<ChatRoom> room_;  // set once joined; taken by LeaveRoom
};

}  // namespace switchboard::chat
