#include "services/booking/booking_service.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/call_budget.h"
#include "common/data_dir.h"
#include "common/ids.h"
#include "common/status.h"
#include "services/booking/booking_config.h"
#include "services/booking/booking_store.h"
#include "services/booking/create_booking_reactor.h"
#include "services/booking/in_flight.h"
#include "services/booking/upstream.h"
#include "switchboard/booking/v1/booking.grpc.pb.h"

namespace switchboard::booking {
namespace {

// CancelBooking: refund and release with the caller's deadline, then mark CANCELLED.
class CancelBookingReactor : public grpc::ServerUnaryReactor {
 public:
  CancelBookingReactor(grpc::CallbackServerContext* context, const v1::CancelBookingRequest* request,
                       v1::Booking* response, const BookingDeps& deps)
      : request_(request),
        response_(response),
        deps_(deps),
        budget_(context, "booking", deps.config->deadline_policy) {}

  void Start() {
    grpc::Status status = budget_.CheckNotExpired();
    if (status.ok() && request_->id().empty()) {
      status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id: must not be empty");
    }
    absl::StatusOr<BookingRecord> record = absl::UnknownError("");
    if (status.ok()) {
      record = deps_.store->Get(request_->id(), absl::FromChrono(budget_.deadline()));
      status = common::ToGrpcStatus(record.status());
    }
    if (!status.ok()) return Respond(status);
    record_ = *record;
    if (record_.booking.status() == v1::Booking::STATUS_CANCELLED) {
      *response_ = record_.booking;
      return Respond(grpc::Status::OK);
    }
    if (record_.booking.status() != v1::Booking::STATUS_CONFIRMED) {
      return Respond(grpc::Status(
          grpc::StatusCode::FAILED_PRECONDITION,
          absl::StrCat("booking ", request_->id(), " is ",
                       v1::Booking::Status_Name(record_.booking.status()),
                       "; only a confirmed booking can be cancelled")));
    }
    deps_.upstream->Compensate(
        record_.booking.id(), /*refund=*/true, [this] { return budget_.NewClientContext(); },
        [this](const grpc::Status& undone) {
          if (!undone.ok()) return Respond(undone);
          record_.booking.set_status(v1::Booking::STATUS_CANCELLED);
          auto saved = deps_.store->Save(record_);
          if (saved.ok()) *response_ = record_.booking;
          Respond(common::ToGrpcStatus(saved));
        });
  }

  void OnDone() override { delete this; }

 private:
  void Respond(const grpc::Status& status) {
    budget_.AttachTrace();
    Finish(status);
  }

  const v1::CancelBookingRequest* request_;
  v1::Booking* response_;
  BookingDeps deps_;
  common::CallBudget budget_;
  BookingRecord record_;
};

class BookingServiceImpl final : public v1::BookingService::CallbackService {
 public:
  explicit BookingServiceImpl(const BookingDeps& deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* CreateBooking(grpc::CallbackServerContext* context,
                                          const v1::CreateBookingRequest* request,
                                          v1::Booking* response) override {
    auto budget =
        std::make_unique<common::CallBudget>(context, "booking", deps_.config->deadline_policy);
    // Nothing is written and nobody is called for a request that cannot finish in time.
    grpc::Status status = budget->CheckNotExpired();
    if (status.ok()) status = ValidateCreate(*request, deps_.config->max_seats);
    if (status.ok()) {
      status = budget->Require(deps_.config->min_chain_budget, "the booking chain");
    }
    if (!status.ok()) return Answer(context, *budget, status);

    v1::Booking pending;
    pending.set_id(common::NewId("bkg"));
    pending.set_event_id(request->event_id());
    pending.set_user_id(request->user_id());
    pending.set_seats(request->seats());
    pending.set_status(v1::Booking::STATUS_PENDING);
    // Registered before the row exists, so a concurrent retry that finds the row also finds
    // the running chain to wait for.
    deps_.in_flight->Begin(pending.id());
    auto begun = deps_.store->Begin(pending, request->idempotency_key(),
                                    absl::FromChrono(budget->deadline()));
    if (!begun.ok() || !begun->second) {
      deps_.in_flight->Complete(pending.id(), BookingRecord{pending}, grpc::Status::CANCELLED);
    }
    if (!begun.ok()) return Answer(context, *budget, common::ToGrpcStatus(begun.status()));
    if (begun->second) {
      auto* reactor = new CreateBookingReactor(context, request, response, deps_,
                                               std::move(budget), std::move(begun->first));
      reactor->Start();
      return reactor;
    }
    // The idempotency key is known: the first request's answer, now or when it is ready,
    // provided this is the same request again.
    const BookingRecord& existing = begun->first;
    if (existing.booking.event_id() != request->event_id() ||
        existing.booking.user_id() != request->user_id() ||
        existing.booking.seats() != request->seats()) {
      // Another user's booking is not described to this one.
      const std::string first =
          existing.booking.user_id() == request->user_id()
              ? absl::StrCat(" (booking ", existing.booking.id(), ": event ",
                             existing.booking.event_id(), ", ", existing.booking.seats(),
                             " seats)")
              : std::string();
      return Answer(context, *budget,
                    grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                                 absl::StrCat("idempotency_key ", request->idempotency_key(),
                                              " was used for another request", first,
                                              "; send a new key for a new booking")));
    }
    if (existing.booking.status() != v1::Booking::STATUS_PENDING) {
      *response = existing.booking;
      return Answer(context, *budget, StatusOf(existing));
    }
    auto* waiter = new WaitForBookingReactor(response, deps_.in_flight, existing.booking.id());
    if (!waiter->Start()) {
      // It finished in the meantime, or was left pending by a crash.
      auto now = deps_.store->Get(existing.booking.id());
      if (!now.ok()) {
        waiter->Deliver(existing, common::ToGrpcStatus(now.status()));
      } else if (now->booking.status() == v1::Booking::STATUS_PENDING) {
        waiter->Deliver(*now, grpc::Status(grpc::StatusCode::ABORTED,
                                           absl::StrCat("booking ", now->booking.id(),
                                                        " is being recovered; retry later")));
      } else {
        waiter->Deliver(*now, StatusOf(*now));
      }
    }
    return waiter;
  }

  grpc::ServerUnaryReactor* GetBooking(grpc::CallbackServerContext* context,
                                       const v1::GetBookingRequest* request,
                                       v1::Booking* response) override {
    common::CallBudget budget(context, "booking", deps_.config->deadline_policy);
    grpc::Status status = budget.CheckNotExpired();
    if (status.ok() && request->id().empty()) {
      status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id: must not be empty");
    }
    if (status.ok()) {
      auto record = deps_.store->Get(request->id(), absl::FromChrono(budget.deadline()));
      if (record.ok()) *response = record->booking;
      status = common::ToGrpcStatus(record.status());
    }
    return Answer(context, budget, status);
  }

  grpc::ServerUnaryReactor* ListBookings(grpc::CallbackServerContext* context,
                                         const v1::ListBookingsRequest* request,
                                         v1::ListBookingsResponse* response) override {
    common::CallBudget budget(context, "booking", deps_.config->deadline_policy);
    grpc::Status status = budget.CheckNotExpired();
    if (status.ok() && request->user_id().empty()) {
      status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "user_id: must not be empty");
    }
    if (status.ok()) {
      auto page = deps_.store->ListByUser(request->user_id(), request->page_size(),
                                          request->page_token(),
                                          absl::FromChrono(budget.deadline()));
      if (page.ok()) {
        for (auto& booking : page->bookings) *response->add_bookings() = std::move(booking);
        response->set_next_page_token(page->next_page_token);
      }
      status = common::ToGrpcStatus(page.status());
    }
    return Answer(context, budget, status);
  }

  grpc::ServerUnaryReactor* CancelBooking(grpc::CallbackServerContext* context,
                                          const v1::CancelBookingRequest* request,
                                          v1::Booking* response) override {
    auto* reactor = new CancelBookingReactor(context, request, response, deps_);
    reactor->Start();
    return reactor;
  }

 private:
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context,
                                   common::CallBudget& budget, const grpc::Status& status) {
    budget.AttachTrace();
    auto* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  BookingDeps deps_;
};

class BookingService final : public common::Service {
 public:
  BookingService(BookingConfig config, std::unique_ptr<BookingStore> store,
                 std::unique_ptr<Upstream> upstream)
      : config_(std::move(config)),
        store_(std::move(store)),
        upstream_(std::move(upstream)),
        grpc_service_(BookingDeps{store_.get(), upstream_.get(), &in_flight_, &config_}),
        recovery_([this] { RecoveryLoop(); }) {}

  ~BookingService() override { StopRecovery(); }

  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }
  void BeginShutdown() override { StopRecovery(); }
  BookingStore* store() { return store_.get(); }

 private:
  void StopRecovery() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (recovery_.joinable()) recovery_.join();
  }

  // PENDING bookings that no running chain owns were left by a crash: undo them (both steps
  // are idempotent) and mark them FAILED. (A chain that fails marks its booking FAILED itself.)
  // With several replicas on one database, each booking is swept by one of them.
  void RecoverOnce() {
    const auto older_than = std::chrono::system_clock::now() -
                            config_.deadline_policy.max_timeout - config_.compensation_timeout;
    absl::Status swept = store_->RecoverStalePending(
        older_than, [this](const BookingRecord& stale) -> std::optional<BookingRecord> {
          if (in_flight_.Contains(stale.booking.id())) return std::nullopt;
          grpc::Status undone = upstream_->CompensateBlocking(
              stale.booking.id(), /*refund=*/true, config_.compensation_timeout);
          if (!undone.ok()) {
            spdlog::warn("booking recovery: {} not compensated yet: {}", stale.booking.id(),
                         undone.error_message());
            return std::nullopt;
          }
          BookingRecord record = stale;
          record.booking.set_status(v1::Booking::STATUS_FAILED);
          record.booking.set_failure_reason(
              "abandoned before completion; seats released and payment refunded");
          record.failure_code = static_cast<int>(grpc::StatusCode::ABORTED);
          spdlog::info("booking recovery: {} compensated", record.booking.id());
          return record;
        });
    if (!swept.ok()) spdlog::error("booking recovery: {}", swept.ToString());
  }

  // FAILED bookings whose compensation did not go through when they failed: undone now,
  // their status and reason left as they are.
  void RetryOwedCompensation() {
    absl::Status swept = store_->RecoverOwingCompensation(
        [this](const BookingRecord& owing) -> std::optional<BookingRecord> {
          if (in_flight_.Contains(owing.booking.id())) return std::nullopt;
          grpc::Status undone = upstream_->CompensateBlocking(
              owing.booking.id(), owing.owed == OwedCompensation::kRefundAndRelease,
              config_.compensation_timeout);
          if (!undone.ok()) {
            spdlog::warn("booking {}: compensation still incomplete: {}", owing.booking.id(),
                         undone.error_message());
            return std::nullopt;
          }
          BookingRecord record = owing;
          record.owed = OwedCompensation::kNone;
          spdlog::info("booking {}: compensation completed", record.booking.id());
          return record;
        });
    if (!swept.ok()) spdlog::error("booking compensation retry: {}", swept.ToString());
  }

  void RecoveryLoop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      RecoverOnce();
      RetryOwedCompensation();
      lock.lock();
      wake_.wait_for(lock, config_.recovery_interval, [this] { return stopping_; });
    }
  }

  BookingConfig config_;
  std::unique_ptr<BookingStore> store_;
  std::unique_ptr<Upstream> upstream_;
  InFlight in_flight_;
  BookingServiceImpl grpc_service_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread recovery_;
};

}  // namespace

BookingStore* BookingStoreOf(common::Service* service) {
  auto* booking = dynamic_cast<BookingService*>(service);
  return booking == nullptr ? nullptr : booking->store();
}

absl::StatusOr<std::unique_ptr<common::Service>> MakeBookingService(
    const common::ServiceOptions& options) {
  auto config = ReadBookingConfig(options.settings);
  if (!config.ok()) return config.status();
  for (const char* peer : {"ticket", "payment"}) {
    if (options.peers.count(peer) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("services.booking: needs the address of ", peer));
    }
  }
  auto notification = options.peers.find("notification");
  auto upstream = std::make_unique<Upstream>(
      options.peers.at("ticket"), options.peers.at("payment"),
      notification == options.peers.end() ? std::string() : notification->second,
      options.channel_policy);
  auto path = common::DataPath(options.data_dir, config->database);
  if (!path.ok()) return path.status();
  auto store = OpenBookingStore(config->store, *path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<common::Service>(
      new BookingService(std::move(*config), std::move(*store), std::move(upstream)));
}

}  // namespace switchboard::booking
