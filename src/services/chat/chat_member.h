// What a room needs from one member's stream: hand it a stamped message, ask whether it is
// ending, and end it. Rooms and tests depend on this, not on the gRPC reactor.
#pragma once

#include <grpcpp/support/status.h>

#include <memory>

#include "switchboard/chat/v1/chat.pb.h"

namespace switchboard::chat {

using MessagePtr = std::shared_ptr<const v1::ChatMessage>;

class ChatMember {
 public:
  enum class Delivery {
    kQueued,    // the message will be written
    kClosed,    // the stream is already ending; the member should leave the room
    kOverflow,  // the member's queue was full; it has ended itself with RESOURCE_EXHAUSTED
  };

  virtual ~ChatMember() = default;
  // Thread-safe and quick: queues the message without waiting for the network.
  virtual Delivery Deliver(MessagePtr message) = 0;
  // Thread-safe. True once the stream is ending (closed, cancelled or failed).
  virtual bool IsClosing() = 0;
  // Thread-safe. Ends the stream with `status`: after the queued messages if it is OK,
  // dropping them otherwise. Later calls do nothing.
  virtual void Close(const grpc::Status& status) = 0;
};

}  // namespace switchboard::chat
