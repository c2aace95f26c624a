#include "services/chat/chat_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/system_config.h"
#include "services/chat/chat_hub.h"
#include "services/chat/chat_stream.h"
#include "switchboard/chat/v1/chat.grpc.pb.h"

namespace switchboard::chat {
namespace {

// Defaults and bounds of the settings in the services.chat block.
constexpr int64_t kDefaultHistory = 50;
constexpr int64_t kMaxHistory = 100000;
constexpr int64_t kDefaultMaxTextBytes = 4096;
constexpr int64_t kMaxMaxTextBytes = 1024 * 1024;  // well under the 4 MiB message limit
constexpr int64_t kDefaultMemberQueue = 1024;
constexpr int64_t kMaxMemberQueue = 1000000;
constexpr int64_t kDefaultMaxMembers = 10000;
constexpr int64_t kMaxMaxMembers = 1000000;
constexpr int64_t kDefaultMaxRooms = 1000;
constexpr int64_t kMaxMaxRooms = 1000000;

class ChatServiceImpl final : public v1::ChatService::CallbackService {
 public:
  ChatServiceImpl(ChatHub* hub, StreamLimits limits) : hub_(hub), limits_(limits) {}

  grpc::ServerBidiReactor<v1::ChatMessage, v1::ChatMessage>* Chat(
      grpc::CallbackServerContext* context) override {
    return new ChatStream(context, hub_, limits_);
  }

 private:
  ChatHub* hub_;
  StreamLimits limits_;
};

class ChatService final : public common::Service {
 public:
  ChatService(HubLimits hub_limits, StreamLimits stream_limits, Clock now_ms)
      : hub_(hub_limits, std::move(now_ms)), grpc_service_(&hub_, stream_limits) {}
  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }
  void BeginShutdown() override { hub_.BeginShutdown(); }

 private:
  ChatHub hub_;
  ChatServiceImpl grpc_service_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<common::Service>> MakeChatService(
    const common::ServiceOptions& options) {
  return MakeChatServiceWithClock(options, SystemNowMs);
}

absl::StatusOr<std::unique_ptr<common::Service>> MakeChatServiceWithClock(
    const common::ServiceOptions& options, Clock now_ms) {
  const std::string context = "services.chat";
  common::Settings settings(options.settings, context);
  HubLimits hub;
  StreamLimits stream;
  hub.room.history = settings.Int("history", kDefaultHistory, 0, kMaxHistory);
  stream.max_text_bytes = settings.Int("max_text_bytes", kDefaultMaxTextBytes, 1, kMaxMaxTextBytes);
  stream.member_queue = settings.Int("member_queue", kDefaultMemberQueue, 1, kMaxMemberQueue);
  hub.room.max_members = settings.Int("max_members", kDefaultMaxMembers, 1, kMaxMaxMembers);
  hub.max_rooms = settings.Int("max_rooms", kDefaultMaxRooms, 1, kMaxMaxRooms);
  if (auto s = settings.Finish(); !s.ok()) return s;
  // A joining member gets the history and its own join event in its queue at once.
  if (hub.room.history >= stream.member_queue) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ".history: ", hub.room.history, " must be below member_queue ",
                     stream.member_queue, " (the history is replayed through the queue)"));
  }
  return std::unique_ptr<common::Service>(new ChatService(hub, stream, std::move(now_ms)));
}

}  // namespace switchboard::chat
