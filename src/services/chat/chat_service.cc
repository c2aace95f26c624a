#include "services/chat/chat_service.h"

#include <utility>

#include "services/chat/chat_config.h"
#include "services/chat/chat_hub.h"
#include "services/chat/chat_stream.h"
#include "switchboard/chat/v1/chat.grpc.pb.h"

namespace switchboard::chat {
namespace {

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
  bool HasEndlessStreams() const override { return true; }

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
  auto config = ReadChatConfig(options.settings);
  if (!config.ok()) return config.status();
  HubLimits hub;
  hub.room.history = static_cast<size_t>(config->history);
  hub.room.max_members = static_cast<size_t>(config->max_members);
  hub.max_rooms = static_cast<size_t>(config->max_rooms);
  StreamLimits stream;
  stream.max_text_bytes = static_cast<size_t>(config->max_text_bytes);
  stream.member_queue = static_cast<size_t>(config->member_queue);
  stream.default_room = config->default_room;
  return std::unique_ptr<common::Service>(new ChatService(hub, stream, std::move(now_ms)));
}

}  // namespace switchboard::chat
