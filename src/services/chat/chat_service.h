// ChatService: chat rooms over one bidirectional stream per member, with in-memory history.
// With a shared bus (bus.kind nats) a room is the same room on every replica (see bus_room.h).
#pragma once

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "common/bus/bus.h"
#include "common/service.h"
#include "services/chat/room.h"

namespace switchboard::chat {

// Sets this server's grpc.health.v1 status (SERVING when true).
using SetServing = std::function<void(bool serving)>;

class ChatService : public common::Service {
 public:
  // Given once the server runs, by whoever hosts the service: while a shared bus is down the
  // replica says NOT_SERVING (its members would miss messages and its sends fail), so health
  // checkers and the gateway send new chats elsewhere; SERVING again once it is back. Called
  // at once with the current state; `set_serving` is not called after BeginShutdown begins.
  void AttachHealth(SetServing set_serving) override = 0;
  // Rooms held in memory.
  virtual size_t room_count() = 0;
};

absl::StatusOr<std::unique_ptr<common::Service>> MakeChatService(
    const common::ServiceOptions& options);

// As above, with the clock that stamps messages (unix milliseconds) given, for tests. (A name of
// its own keeps MakeChatService usable where a ServiceFactory is expected.)
absl::StatusOr<std::unique_ptr<common::Service>> MakeChatServiceWithClock(
    const common::ServiceOptions& options, Clock now_ms);

// With the bus given: null for rooms of this process only (the in-process default), else the
// bus the replicas share (options.bus is not read).
absl::StatusOr<std::unique_ptr<ChatService>> NewChatService(const common::ServiceOptions& options,
                                                            Clock now_ms,
                                                            std::shared_ptr<bus::Bus> bus);

}  // namespace switchboard::chat
