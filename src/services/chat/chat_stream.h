// One member's bidirectional Chat stream. Reading and writing are independent: the reactor
// keeps reading (StartRead again after each OnReadDone) while the room fans messages into a
// bounded queue, from which exactly one write is in flight at a time.
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

#include "common/outbound_queue.h"
#include "services/chat/chat_hub.h"
#include "services/chat/chat_member.h"
#include "services/chat/room.h"
#include "switchboard/chat/v1/chat.pb.h"

namespace switchboard::chat {

constexpr char kRoomMetadataKey[] = "x-chat-room";

struct StreamLimits {
  size_t max_text_bytes = 1;
  size_t member_queue = 1;  // messages waiting to be written before the member is dropped
};

class ChatStream final : public grpc::ServerBidiReactor<v1::ChatMessage, v1::ChatMessage>,
                         public ChatMember {
 public:
  ChatStream(grpc::CallbackServerContext* context, ChatHub* hub, StreamLimits limits);

  Delivery Deliver(MessagePtr message) override;
  bool IsClosing() override;
  void Close(const grpc::Status& status) override;

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Both return the status to end the stream with when the message is refused.
  grpc::Status HandleFirst();
  grpc::Status HandleNext();
  // Leaves the room if this stream is in one; safe to call more than once.
  void LeaveRoom();
  void StartReadUnlessClosing();

  void CloseLocked(const grpc::Status& status);
  void AbandonLocked();
  void MaybeStartWriteLocked();

  ChatHub* const hub_;
  const StreamLimits limits_;

  // Read side: only touched from the constructor and OnReadDone, which grpc never runs
  // concurrently with each other.
  std::string metadata_room_;  // empty when the metadata is absent
  v1::ChatMessage request_;
  std::string user_id_;
  std::string room_name_;
  bool joined_ = false;

  std::mutex mutex_;
  std::shared_ptr<Room> room_;  // set once joined; taken by LeaveRoom
  common::OutboundQueue<MessagePtr> queue_;
  MessagePtr current_;  // the message being written; kept alive until OnWriteDone
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  grpc::Status final_status_ = grpc::Status::OK;
};

}  // namespace switchboard::chat
