#include "services/ticket/ticket_service.h"

#include "absl/strings/str_cat.h"
#include "common/call_budget.h"
#include "common/data_dir.h"
#include "common/status.h"
#include "services/ticket/event_store.h"
#include "services/ticket/ticket_config.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"

namespace switchboard::ticket {
namespace {

constexpr size_t kMaxIdBytes = 128;

grpc::Status ValidateId(const std::string& id, const char* field = "id") {
  if (id.empty()) {
    return {grpc::StatusCode::INVALID_ARGUMENT, absl::StrCat(field, ": must not be empty")};
  }
  if (id.size() > kMaxIdBytes) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat(field, ": ", id.size(), " bytes, at most ", kMaxIdBytes)};
  }
  return grpc::Status::OK;
}

class TicketServiceImpl final : public v1::TicketService::CallbackService {
 public:
  TicketServiceImpl(EventStore* store, const TicketConfig& config)
      : store_(store), config_(config) {}

  grpc::ServerUnaryReactor* GetEvent(grpc::CallbackServerContext* context,
                                     const v1::GetEventRequest* request,
                                     v1::Event* response) override {
    common::CallBudget budget(context, "ticket", config_.deadline_policy);
    return Finish(context, budget, [&]() -> grpc::Status {
      if (auto invalid = ValidateId(request->id()); !invalid.ok()) return invalid;
      auto event = store_->Get(request->id(), absl::FromChrono(budget.deadline()));
      if (event.ok()) *response = std::move(*event);
      return common::ToGrpcStatus(event.status());
    });
  }

  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* context,
                                       const v1::ListEventsRequest* request,
                                       v1::ListEventsResponse* response) override {
    common::CallBudget budget(context, "ticket", config_.deadline_policy);
    return Finish(context, budget, [&]() -> grpc::Status {
      auto page = store_->List(request->page_size(), request->page_token(),
                               absl::FromChrono(budget.deadline()));
      if (page.ok()) {
        for (auto& event : page->events) *response->add_events() = std::move(event);
        response->set_next_page_token(page->next_page_token);
      }
      return common::ToGrpcStatus(page.status());
    });
  }

  grpc::ServerUnaryReactor* ReserveSeats(grpc::CallbackServerContext* context,
                                         const v1::ReserveSeatsRequest* request,
                                         v1::Reservation* response) override {
    common::CallBudget budget(context, "ticket", config_.deadline_policy);
    return Finish(context, budget, [&]() -> grpc::Status {
      if (auto invalid = ValidateId(request->event_id(), "event_id"); !invalid.ok()) {
        return invalid;
      }
      if (auto invalid = ValidateId(request->reservation_id(), "reservation_id"); !invalid.ok()) {
        return invalid;
      }
      if (request->seats() < 1 || request->seats() > config_.max_seats_per_reservation) {
        return {grpc::StatusCode::INVALID_ARGUMENT,
                absl::StrCat("seats: ", request->seats(), " is outside 1..",
                             config_.max_seats_per_reservation)};
      }
      // Checked again just before commit: a caller that gave up takes no seats.
      auto still_wanted = [&]() -> absl::Status {
        grpc::Status expired = budget.CheckNotExpired();
        if (expired.ok() && !context->IsCancelled()) return absl::OkStatus();
        return absl::DeadlineExceededError("ticket: caller gave up before the seats were taken");
      };
      auto reservation =
          store_->Reserve(request->event_id(), request->seats(), request->reservation_id(),
                          still_wanted, absl::FromChrono(budget.deadline()));
      if (reservation.ok()) *response = std::move(*reservation);
      return common::ToGrpcStatus(reservation.status());
    });
  }

  grpc::ServerUnaryReactor* ReleaseSeats(grpc::CallbackServerContext* context,
                                         const v1::ReleaseSeatsRequest* request,
                                         v1::Reservation* response) override {
    common::CallBudget budget(context, "ticket", config_.deadline_policy);
    return Finish(context, budget, [&]() -> grpc::Status {
      if (auto invalid = ValidateId(request->reservation_id(), "reservation_id"); !invalid.ok()) {
        return invalid;
      }
      auto reservation =
          store_->Release(request->reservation_id(), absl::FromChrono(budget.deadline()));
      if (reservation.ok()) *response = std::move(*reservation);
      return common::ToGrpcStatus(reservation.status());
    });
  }

 private:
  // Every handler: refuse an expired request before any work, run `body`, report the budget.
  template <typename Body>
  grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context, common::CallBudget& budget,
                                   Body&& body) {
    auto* reactor = context->DefaultReactor();
    grpc::Status status = budget.CheckNotExpired();
    if (status.ok()) status = body();
    budget.AttachTrace();
    reactor->Finish(status);
    return reactor;
  }

  EventStore* store_;
  TicketConfig config_;
};

class TicketService final : public common::Service {
 public:
  TicketService(std::unique_ptr<EventStore> store, const TicketConfig& config)
      : store_(std::move(store)), grpc_service_(store_.get(), config) {}
  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }
  EventStore* store() { return store_.get(); }

 private:
  std::unique_ptr<EventStore> store_;
  TicketServiceImpl grpc_service_;
};

}  // namespace

EventStore* TicketStoreOf(common::Service* service) {
  auto* ticket = dynamic_cast<TicketService*>(service);
  return ticket == nullptr ? nullptr : ticket->store();
}

absl::StatusOr<std::unique_ptr<common::Service>> MakeTicketService(
    const common::ServiceOptions& options) {
  auto config = ReadTicketConfig(options.settings);
  if (!config.ok()) return config.status();
  auto path = common::DataPath(options.data_dir, config->database);
  if (!path.ok()) return path.status();
  auto store = OpenEventStore(config->store, *path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<common::Service>(new TicketService(std::move(*store), *config));
}

}  // namespace switchboard::ticket
