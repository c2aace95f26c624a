// The services a booking calls (its upstream side: ticket, payment, notification), and the
// compensation that undoes a partial booking: refund the payment (voiding it if the charge has
// not landed yet), then release the seats.
#pragma once

#include <grpcpp/client_context.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/internal_channel.h"
#include "switchboard/notification/v1/notification.grpc.pb.h"
#include "switchboard/payment/v1/payment.grpc.pb.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"

namespace switchboard::booking {

class Upstream {
 public:
  using ContextFactory = std::function<std::unique_ptr<grpc::ClientContext>()>;
  using Done = std::function<void(const grpc::Status&)>;

  // `notification_target` may be empty: bookings are then confirmed without a notification.
  Upstream(const std::string& ticket_target, const std::string& payment_target,
           const std::string& notification_target, const common::ChannelPolicy& policy);

  ticket::v1::TicketService::StubInterface::async_interface* ticket() { return ticket_->async(); }
  payment::v1::PaymentService::StubInterface::async_interface* payment() {
    return payment_->async();
  }

  // Refund (when `refund`), then release; `done` gets the first failure or OK. Both steps are
  // idempotent, so running this twice, or after a partial run, is safe.
  void Compensate(const std::string& booking_id, bool refund, ContextFactory make_context,
                  Done done);
  // The same, blocking: for the recovery sweep, which runs on its own thread.
  grpc::Status CompensateBlocking(const std::string& booking_id, bool refund,
                                  std::chrono::milliseconds timeout);

  // Fire and forget, with its own timeout: a confirmed booking stays confirmed when the
  // notification cannot be delivered.
  void NotifyConfirmed(const std::string& user_id, const std::string& booking_id,
                       const std::string& event_id, std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<ticket::v1::TicketService::Stub> ticket_;
  std::unique_ptr<payment::v1::PaymentService::Stub> payment_;
  std::unique_ptr<notification::v1::NotificationService::Stub> notification_;
};

}  // namespace switchboard::booking
