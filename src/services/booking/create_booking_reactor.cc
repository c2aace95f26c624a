#include "services/booking/create_booking_reactor.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace switchboard::booking {
namespace {

constexpr size_t kMaxIdBytes = 128;

grpc::Status CheckId(const std::string& value, const char* field, bool required) {
  if (value.empty() && required) {
    return {grpc::StatusCode::INVALID_ARGUMENT, absl::StrCat(field, ": must not be empty")};
  }
  if (value.size() > kMaxIdBytes) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat(field, ": ", value.size(), " bytes, at most ", kMaxIdBytes)};
  }
  return grpc::Status::OK;
}

grpc::Status Prefixed(const char* step, const grpc::Status& status) {
  return grpc::Status(status.error_code(), absl::StrCat(step, ": ", status.error_message()));
}

}  // namespace

grpc::Status StatusOf(const BookingRecord& record) {
  if (record.booking.status() != v1::Booking::STATUS_FAILED) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(record.failure_code),
                      record.booking.failure_reason());
}

grpc::Status ValidateCreate(const v1::CreateBookingRequest& request, int max_seats) {
  if (auto s = CheckId(request.event_id(), "event_id", true); !s.ok()) return s;
  if (auto s = CheckId(request.user_id(), "user_id", true); !s.ok()) return s;
  if (auto s = CheckId(request.idempotency_key(), "idempotency_key", false); !s.ok()) return s;
  if (request.seats() < 1 || request.seats() > max_seats) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("seats: ", request.seats(), " is outside 1..", max_seats)};
  }
  return grpc::Status::OK;
}

CreateBookingReactor::CreateBookingReactor(grpc::CallbackServerContext* context,
                                           const v1::CreateBookingRequest* request,
                                           v1::Booking* response, const BookingDeps& deps,
                                           std::unique_ptr<common::CallBudget> budget,
                                           BookingRecord record)
    : context_(context),
      request_(request),
      response_(response),
      deps_(deps),
      budget_(std::move(budget)),
      record_(std::move(record)) {}

void CreateBookingReactor::Reserve() {
  reserve_context_ = budget_->NewClientContext();
  reserve_request_.set_event_id(request_->event_id());
  reserve_request_.set_seats(request_->seats());
  reserve_request_.set_reservation_id(record_.booking.id());
  deps_.upstream->ticket()->ReserveSeats(reserve_context_.get(), &reserve_request_,
                                         &reservation_,
                                         [this](grpc::Status status) { OnReserved(status); });
}

void CreateBookingReactor::OnReserved(const grpc::Status& status) {
  budget_->Collect(*reserve_context_);
  if (!status.ok()) {
    // A timed-out reservation may still have been made: release it either way.
    Fail(Prefixed("ticket", status), /*refund=*/false);
    return;
  }
  record_.booking.set_amount(reservation_.amount());
  record_.booking.set_currency(reservation_.currency());
  grpc::Status enough = budget_->Require(deps_.config->min_payment_budget, "payment");
  if (!enough.ok()) {
    Fail(enough, /*refund=*/false);
    return;
  }
  Charge();
}

void CreateBookingReactor::Charge() {
  charge_context_ = budget_->NewClientContext();
  charge_request_.set_booking_id(record_.booking.id());
  charge_request_.set_user_id(request_->user_id());
  charge_request_.set_amount(record_.booking.amount());
  charge_request_.set_currency(record_.booking.currency());
  deps_.upstream->payment()->Charge(charge_context_.get(), &charge_request_, &payment_,
                                    [this](grpc::Status status) { OnCharged(status); });
}

void CreateBookingReactor::OnCharged(const grpc::Status& status) {
  budget_->Collect(*charge_context_);
  if (!status.ok()) {
    Fail(Prefixed("payment", status), /*refund=*/true);
    return;
  }
  // The caller gave up while the charge was in flight: it must not end up paid and unbooked.
  if (context_->IsCancelled() || !budget_->CheckNotExpired().ok()) {
    Fail(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                      "booking: deadline passed before the booking was confirmed"),
         /*refund=*/true);
    return;
  }
  Confirm();
}

void CreateBookingReactor::Confirm() {
  record_.booking.set_status(v1::Booking::STATUS_CONFIRMED);
  record_.booking.set_payment_id(payment_.id());
  if (auto saved = deps_.store->Save(record_); !saved.ok()) {
    Fail(common::ToGrpcStatus(saved), /*refund=*/true);
    return;
  }
  deps_.in_flight->Complete(record_.booking.id(), record_, grpc::Status::OK);
  deps_.upstream->NotifyConfirmed(record_.booking.user_id(), record_.booking.id(),
                                  record_.booking.event_id(), deps_.config->notification_timeout);
  *response_ = record_.booking;
  Respond(grpc::Status::OK);
}

void CreateBookingReactor::Fail(const grpc::Status& status, bool refund) {
  // FAILED at once, with the step that failed as the reason: what is still to undo is a
  // matter between this service and its upstream, not the caller's booking.
  record_.booking.set_status(v1::Booking::STATUS_FAILED);
  record_.booking.set_failure_reason(status.error_message());
  record_.failure_code = static_cast<int>(status.error_code());
  record_.owed = refund ? OwedCompensation::kRefundAndRelease : OwedCompensation::kRelease;
  if (auto saved = deps_.store->Save(record_); !saved.ok()) {
    spdlog::error("booking {}: failed, but its state was not saved: {}", record_.booking.id(),
                  saved.ToString());
  }
  // Compensation outlives the caller's deadline on purpose: it has a timeout of its own.
  const auto timeout = deps_.config->compensation_timeout;
  auto make_context = [timeout] {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + timeout);
    return context;
  };
  deps_.upstream->Compensate(
      record_.booking.id(), refund, make_context, [this, status](const grpc::Status& undone) {
        if (undone.ok()) {
          record_.owed = OwedCompensation::kNone;
          if (auto saved = deps_.store->Save(record_); !saved.ok()) {
            spdlog::error("booking {}: compensated, but that was not saved: {}",
                          record_.booking.id(), saved.ToString());
          }
        } else {
          // Still owed: the background retry undoes it once the upstream answers again.
          spdlog::warn("booking {}: compensation incomplete ({}); retried in the background",
                       record_.booking.id(), undone.error_message());
        }
        deps_.in_flight->Complete(record_.booking.id(), record_, status);
        Respond(status);
      });
}

void CreateBookingReactor::Respond(const grpc::Status& status) {
  budget_->AttachTrace();
  Finish(status);
}

bool WaitForBookingReactor::Start() {
  return in_flight_->Wait(booking_id_, &token_,
                          [this](const BookingRecord& record, const grpc::Status& status) {
                            Deliver(record, status);
                          });
}

void WaitForBookingReactor::Deliver(const BookingRecord& record, const grpc::Status& status) {
  if (finished_.exchange(true)) return;
  *response_ = record.booking;
  Finish(status);
}

void WaitForBookingReactor::OnCancel() {
  in_flight_->Forget(booking_id_, token_);
  if (!finished_.exchange(true)) Finish(grpc::Status::CANCELLED);
}

}  // namespace switchboard::booking
