// ChatService: chat rooms over one bidirectional stream per member, with in-memory history.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/service.h"
#include "services/chat/room.h"

namespace switchboard::chat {

absl::StatusOr<std::unique_ptr<common::Service>> MakeChatService(
    const common::ServiceOptions& options);

// As above, with the clock that stamps messages (unix milliseconds) given, for tests. (A name of
// its own keeps MakeChatService usable where a ServiceFactory is expected.)
absl::StatusOr<std::unique_ptr<common::Service>> MakeChatServiceWithClock(
    const common::ServiceOptions& options, Clock now_ms);

}  // namespace switchboard::chat
