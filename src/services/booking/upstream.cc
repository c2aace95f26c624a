#include "services/booking/upstream.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/internal_channel.h"

namespace switchboard::booking {
namespace {

// One compensation in flight: owns the contexts and messages until the last callback.
struct Compensation {
  std::string booking_id;
  Upstream::ContextFactory make_context;
  Upstream::Done done;
  std::unique_ptr<grpc::ClientContext> refund_context;
  payment::v1::RefundRequest refund_request;
  payment::v1::Payment refund_response;
  std::unique_ptr<grpc::ClientContext> release_context;
  ticket::v1::ReleaseSeatsRequest release_request;
  ticket::v1::Reservation release_response;
};

grpc::Status Prefixed(const char* step, const grpc::Status& status) {
  if (status.ok()) return status;
  return grpc::Status(status.error_code(), absl::StrCat(step, ": ", status.error_message()));
}

}  // namespace

Upstream::Upstream(const std::string& ticket_target, const std::string& payment_target,
                   const std::string& notification_target, const common::ChannelPolicy& policy)
    : ticket_(ticket::v1::TicketService::NewStub(common::MakeInternalChannel(
          ticket_target, ticket::v1::TicketService::service_full_name(), policy))),
      payment_(payment::v1::PaymentService::NewStub(common::MakeInternalChannel(
          payment_target, payment::v1::PaymentService::service_full_name(), policy))) {
  if (!notification_target.empty()) {
    notification_ = notification::v1::NotificationService::NewStub(common::MakeInternalChannel(
        notification_target, notification::v1::NotificationService::service_full_name(), policy));
  }
}

void Upstream::Compensate(const std::string& booking_id, bool refund, ContextFactory make_context,
                          Done done) {
  auto state = std::make_shared<Compensation>();
  state->booking_id = booking_id;
  state->make_context = std::move(make_context);
  state->done = std::move(done);
  auto release = [this, state] {
    state->release_context = state->make_context();
    state->release_request.set_reservation_id(state->booking_id);
    ticket_->async()->ReleaseSeats(
        state->release_context.get(), &state->release_request, &state->release_response,
        [state](grpc::Status status) { state->done(Prefixed("release seats", status)); });
  };
  if (!refund) {
    release();
    return;
  }
  state->refund_context = state->make_context();
  state->refund_request.set_booking_id(booking_id);
  payment_->async()->Refund(state->refund_context.get(), &state->refund_request,
                            &state->refund_response, [state, release](grpc::Status status) {
                              if (!status.ok()) {
                                state->done(Prefixed("refund", status));
                                return;
                              }
                              release();
                            });
}

grpc::Status Upstream::CompensateBlocking(const std::string& booking_id, bool refund,
                                          std::chrono::milliseconds timeout) {
  if (refund) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    payment::v1::RefundRequest request;
    request.set_booking_id(booking_id);
    payment::v1::Payment response;
    grpc::Status status = payment_->Refund(&context, request, &response);
    if (!status.ok()) return Prefixed("refund", status);
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  ticket::v1::ReleaseSeatsRequest request;
  request.set_reservation_id(booking_id);
  ticket::v1::Reservation response;
  return Prefixed("release seats", ticket_->ReleaseSeats(&context, request, &response));
}

void Upstream::NotifyConfirmed(const std::string& user_id, const std::string& booking_id,
                               const std::string& event_id, std::chrono::milliseconds timeout) {
  if (notification_ == nullptr) return;
  struct Call {
    grpc::ClientContext context;
    notification::v1::NotifyRequest request;
    notification::v1::NotifyResponse response;
  };
  auto call = std::make_shared<Call>();
  call->context.set_deadline(std::chrono::system_clock::now() + timeout);
  call->request.set_user_id(user_id);
  call->request.set_title("Booking confirmed");
  call->request.set_body(
      absl::StrCat("Booking ", booking_id, " for event ", event_id, " is confirmed."));
  notification_->async()->Notify(
      &call->context, &call->request, &call->response, [call, booking_id](grpc::Status status) {
        if (!status.ok()) {
          spdlog::warn("booking {}: notification not sent: {}", booking_id, status.error_message());
        }
      });
}

}  // namespace switchboard::booking
