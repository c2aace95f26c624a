#include "services/chat/chat_service.h"

#include <utility>

#include "common/bus/bus_health.h"
#include "common/bus/open_bus.h"
#include "services/chat/bus_room.h"
#include "services/chat/chat_bus.h"
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

HubLimits HubLimitsOf(const ChatConfig& config) {
  HubLimits hub;
  hub.room.history = static_cast<size_t>(config.history);
  hub.room.max_members = static_cast<size_t>(config.max_members);
  hub.max_rooms = static_cast<size_t>(config.max_rooms);
  return hub;
}

StreamLimits StreamLimitsOf(const ChatConfig& config) {
  StreamLimits stream;
  stream.max_text_bytes = static_cast<size_t>(config.max_text_bytes);
  stream.member_queue = static_cast<size_t>(config.member_queue);
  stream.default_room = config.default_room;
  return stream;
}

BusRoomLimits BusRoomLimitsOf(const ChatConfig& config) {
  BusRoomLimits room;
  room.history = static_cast<size_t>(config.history);
  room.max_members = static_cast<size_t>(config.max_members);
  room.resume_max = static_cast<size_t>(config.resume_max);
  room.resume_window = config.resume_window;
  room.room_queue = static_cast<size_t>(config.room_queue);
  room.load_timeout = config.load_timeout;
  return room;
}

class ChatServiceHost final : public ChatService {
 public:
  // Rooms of this process only.
  ChatServiceHost(const ChatConfig& config, Clock now_ms)
      : hub_(HubLimitsOf(config), std::move(now_ms)),
        grpc_service_(&hub_, StreamLimitsOf(config)) {}
  // Rooms shared through `bus`.
  ChatServiceHost(const ChatConfig& config, Clock now_ms, std::shared_ptr<bus::Bus> bus)
      : bus_(std::move(bus)),
        hub_(HubLimitsOf(config),
             [limits = BusRoomLimitsOf(config), bus = bus_.get(),
              now_ms = std::move(now_ms)](const std::string& name) -> std::shared_ptr<ChatRoom> {
               return std::make_shared<BusRoom>(name, limits, bus, now_ms);
             }),
        grpc_service_(&hub_, StreamLimitsOf(config)) {}

  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }
  bool HasEndlessStreams() const override { return true; }
  size_t room_count() override { return hub_.room_count(); }

  void AttachHealth(SetServing set_serving) override {
    health_.Attach(bus_, std::move(set_serving));
  }

  void BeginShutdown() override {
    health_.Stop();
    hub_.BeginShutdown();
  }

 private:
  std::shared_ptr<bus::Bus> bus_;  // null for rooms of this process only
  ChatHub hub_;
  ChatServiceImpl grpc_service_;
  bus::BusHealth health_;  // after hub_: stops before the rooms go
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
  auto bus = bus::OpenSharedBus(options.bus, options.name);
  if (!bus.ok()) return bus.status();
  auto service = NewChatService(options, std::move(now_ms), std::move(*bus));
  if (!service.ok()) return service.status();
  return std::unique_ptr<common::Service>(std::move(*service));
}

absl::StatusOr<std::unique_ptr<ChatService>> NewChatService(const common::ServiceOptions& options,
                                                            Clock now_ms,
                                                            std::shared_ptr<bus::Bus> bus) {
  auto config = ReadChatConfig(options.settings);
  if (!config.ok()) return config.status();
  if (bus == nullptr) return std::make_unique<ChatServiceHost>(*config, std::move(now_ms));
  if (auto retained = bus->Retain(ChatStreamSpec(*config)); !retained.ok()) return retained;
  return std::make_unique<ChatServiceHost>(*config, std::move(now_ms), std::move(bus));
}

}  // namespace switchboard::chat
