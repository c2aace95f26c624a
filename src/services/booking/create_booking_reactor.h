// One CreateBooking call: reserve seats, charge, confirm; compensate whatever was done when
// any step fails, times out or is cancelled. Each step is a callback of the one before, so no
// thread waits on an upstream call.
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <memory>

#include "common/call_budget.h"
#include "services/booking/booking_config.h"
#include "services/booking/booking_store.h"
#include "services/booking/in_flight.h"
#include "services/booking/upstream.h"
#include "switchboard/booking/v1/booking.pb.h"

namespace switchboard::booking {

struct BookingDeps {
  BookingStore* store;
  Upstream* upstream;
  InFlight* in_flight;
  const BookingConfig* config;
};

class CreateBookingReactor : public grpc::ServerUnaryReactor {
 public:
  // `record` is the PENDING booking just stored, already registered in deps.in_flight.
  CreateBookingReactor(grpc::CallbackServerContext* context,
                       const v1::CreateBookingRequest* request, v1::Booking* response,
                       const BookingDeps& deps, std::unique_ptr<common::CallBudget> budget,
                       BookingRecord record);
  // Starts the chain; the steps follow from callbacks.
  void Start() { Reserve(); }

  void OnDone() override { delete this; }

 private:
  void Reserve();
  void OnReserved(const grpc::Status& status);
  void Charge();
  void OnCharged(const grpc::Status& status);
  void Confirm();
  // Records the failure (FAILED, `status` as the reason, the compensation owed), undoes what
  // may have happened (refund when a charge was attempted, always release), then answers.
  void Fail(const grpc::Status& status, bool refund);
  void Respond(const grpc::Status& status);

  grpc::CallbackServerContext* context_;
  const v1::CreateBookingRequest* request_;
  v1::Booking* response_;
  BookingDeps deps_;
  std::unique_ptr<common::CallBudget> budget_;
  BookingRecord record_;

  std::unique_ptr<grpc::ClientContext> reserve_context_;
  ticket::v1::ReserveSeatsRequest reserve_request_;
  ticket::v1::Reservation reservation_;
  std::unique_ptr<grpc::ClientContext> charge_context_;
  payment::v1::ChargeRequest charge_request_;
  payment::v1::Payment payment_;
};

// Waits for the booking that holds the same idempotency key to finish, then answers alike.
class WaitForBookingReactor : public grpc::ServerUnaryReactor {
 public:
  WaitForBookingReactor(v1::Booking* response, InFlight* in_flight, std::string booking_id)
      : response_(response), in_flight_(in_flight), booking_id_(std::move(booking_id)) {}
  // False when the booking is no longer running; the caller then answers with Deliver.
  bool Start();
  void Deliver(const BookingRecord& record, const grpc::Status& status);
  void OnCancel() override;
  void OnDone() override { delete this; }

 private:
  v1::Booking* response_;
  InFlight* in_flight_;
  std::string booking_id_;
  uint64_t token_ = 0;
  std::atomic<bool> finished_{false};
};

// The answer a finished booking gives: the booking, or the error it failed with.
grpc::Status StatusOf(const BookingRecord& record);

// INVALID_ARGUMENT naming the first bad field of a CreateBooking request.
grpc::Status ValidateCreate(const v1::CreateBookingRequest& request, int max_seats);

}  // namespace switchboard::booking
