#include "services/ticket/ticket_service.h"

#include "absl/strings/str_cat.h"
#include "common/data_dir.h"
#include "common/status.h"
#include "common/system_config.h"
#include "services/ticket/event_store.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"

namespace switchboard::ticket {
namespace {

constexpr size_t kMaxIdBytes = 128;

grpc::Status ValidateId(const std::string& id) {
  if (id.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "id: must not be empty"};
  if (id.size() > kMaxIdBytes) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("id: ", id.size(), " bytes, at most ", kMaxIdBytes)};
  }
  return grpc::Status::OK;
}

class TicketServiceImpl final : public v1::TicketService::CallbackService {
 public:
  explicit TicketServiceImpl(EventStore* store) : store_(store) {}

  grpc::ServerUnaryReactor* GetEvent(grpc::CallbackServerContext* context,
                                     const v1::GetEventRequest* request,
                                     v1::Event* response) override {
    auto* reactor = context->DefaultReactor();
    if (auto invalid = ValidateId(request->id()); !invalid.ok()) {
      reactor->Finish(invalid);
      return reactor;
    }
    auto event = store_->Get(request->id());
    if (event.ok()) *response = std::move(*event);
    reactor->Finish(common::ToGrpcStatus(event.status()));
    return reactor;
  }

  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* context,
                                       const v1::ListEventsRequest* request,
                                       v1::ListEventsResponse* response) override {
    auto* reactor = context->DefaultReactor();
    auto page = store_->List(request->page_size(), request->page_token());
    if (page.ok()) {
      for (auto& event : page->events) *response->add_events() = std::move(event);
      response->set_next_page_token(page->next_page_token);
    }
    reactor->Finish(common::ToGrpcStatus(page.status()));
    return reactor;
  }

 private:
  EventStore* store_;
};

class TicketService final : public common::Service {
 public:
  explicit TicketService(std::unique_ptr<EventStore> store)
      : store_(std::move(store)), grpc_service_(store_.get()) {}
  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }

 private:
  std::unique_ptr<EventStore> store_;
  TicketServiceImpl grpc_service_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<common::Service>> MakeTicketService(
    const common::ServiceOptions& options) {
  common::Settings settings(options.settings, "services.ticket");
  const std::string file = settings.String("database", "ticket.db");
  if (auto s = settings.Finish(); !s.ok()) return s;
  auto path = common::DataPath(options.data_dir, file);
  if (!path.ok()) return path.status();
  auto store = EventStore::Open(*path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<common::Service>(new TicketService(std::move(*store)));
}

}  // namespace switchboard::ticket
