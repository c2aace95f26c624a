// A booking whose chain fails is FAILED at once with the step that failed as its reason; what
// could not be undone then (its upstream out of rotation) is undone in the background later,
// leaving the booking as it was. Real ticket, payment and fraud services on loopback.
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/service_host.h"
#include "services/booking/booking_service.h"
#include "services/booking/booking_store.h"
#include "services/fraud/fraud_service.h"
#include "services/payment/payment_service.h"
#include "services/ticket/event_store.h"
#include "services/ticket/ticket_service.h"
#include "switchboard/booking/v1/booking.grpc.pb.h"
#include "testing/temp_dir.h"
#include "testing/test_server.h"

namespace switchboard::booking {
namespace {

using std::chrono::milliseconds;
using switchboard::testing::TestServer;

// evt-10 has 100 seats.
constexpr char kEvent[] = "evt-10";
constexpr int kCapacity = 100;
constexpr std::chrono::seconds kTimeout{5};
// The background retry runs this often here, so the test sees it within its wait.
constexpr char kBookingSettings[] = "{recovery_interval: 100ms, compensation_timeout: 1s}";
constexpr milliseconds kRetryWait{10000};

// Ticket on a host of its own, so the test can take it out of rotation (NOT_SERVING) as an
// operator does with SIGUSR1.
class TicketHost {
 public:
  TicketHost() {
    common::ServiceOptions options;
    options.name = "ticket";
    options.data_dir = dir_.path();
    options.settings = YAML::Node(YAML::NodeType::Map);
    service_ = std::move(*ticket::MakeTicketService(options));
    host_ = std::move(*common::ServiceHost::Start("127.0.0.1:0", {service_.get()}));
  }
  std::string address() const { return host_->address(); }
  void SetServing(bool serving) { host_->SetServing(serving); }
  int SeatsAvailable() {
    return ticket::TicketStoreOf(service_.get())->Get(kEvent)->seats_available();
  }

 private:
  testing::TempDir dir_;
  std::unique_ptr<common::Service> service_;
  std::unique_ptr<common::ServiceHost> host_;
};

TEST(BookingFailureTest, TicketOutOfRotationFailsTheBookingAtOnceWithItsReason) {
  TestServer fraud(fraud::MakeFraudService);
  TestServer payment(payment::MakePaymentService, "{}", {}, {{"fraud", fraud.address()}});
  TicketHost ticket;
  TestServer booking(MakeBookingService, kBookingSettings, {},
                     {{"ticket", ticket.address()}, {"payment", payment.address()}});
  BookingStore* store = BookingStoreOf(booking.service());
  auto stub = v1::BookingService::NewStub(booking.NewChannel());

  // A held seat first, so that a release which never happens would show.
  ticket.SetServing(false);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kTimeout);
  v1::CreateBookingRequest request;
  request.set_event_id(kEvent);
  request.set_user_id("ursula");
  request.set_seats(2);
  v1::Booking response;
  const grpc::Status status = stub->CreateBooking(&context, request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(status.error_message().rfind("ticket: ", 0), 0u) << status.error_message();

  // As soon as the caller has its answer the booking says the same: FAILED, the ticket step's
  // error, nothing charged; no minute as PENDING, no refund that never was.
  auto page = store->ListByUser("ursula", 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->bookings.size(), 1u);
  const v1::Booking failed = page->bookings[0];
  EXPECT_EQ(failed.status(), v1::Booking::STATUS_FAILED) << failed.ShortDebugString();
  EXPECT_EQ(failed.failure_reason(), status.error_message());
  EXPECT_EQ(failed.amount(), 0);
  EXPECT_EQ(failed.failure_reason().find("refunded"), std::string::npos);
  auto record = store->Get(failed.id());
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->failure_code, static_cast<int>(grpc::StatusCode::UNAVAILABLE));
  EXPECT_EQ(record->owed, OwedCompensation::kRelease);

  // Back in rotation: the release it owes is made, and the booking keeps its reason.
  ticket.SetServing(true);
  const auto deadline = std::chrono::steady_clock::now() + kRetryWait;
  while (std::chrono::steady_clock::now() < deadline &&
         store->Get(failed.id())->owed != OwedCompensation::kNone) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  auto after = store->Get(failed.id());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->owed, OwedCompensation::kNone);
  EXPECT_EQ(after->booking.status(), v1::Booking::STATUS_FAILED);
  EXPECT_EQ(after->booking.failure_reason(), status.error_message());
  EXPECT_EQ(ticket.SeatsAvailable(), kCapacity);
  EXPECT_EQ(store->TotalsForEvent(kEvent)->pending, 0);
}

TEST(BookingFailureTest, FailedPaymentIsCompensatedAndOwesNothing) {
  // Fraud refuses everything: the charge fails, the seats held are released at once.
  TestServer fraud(fraud::MakeFraudService, "{max_amount: 1}");
  TestServer payment(payment::MakePaymentService, "{}", {}, {{"fraud", fraud.address()}});
  TicketHost ticket;
  TestServer booking(MakeBookingService, kBookingSettings, {},
                     {{"ticket", ticket.address()}, {"payment", payment.address()}});
  BookingStore* store = BookingStoreOf(booking.service());
  auto stub = v1::BookingService::NewStub(booking.NewChannel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kTimeout);
  v1::CreateBookingRequest request;
  request.set_event_id(kEvent);
  request.set_user_id("victor");
  request.set_seats(1);
  v1::Booking response;
  const grpc::Status status = stub->CreateBooking(&context, request, &response);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error_message().rfind("payment: ", 0), 0u) << status.error_message();
  auto page = store->ListByUser("victor", 0, "");
  ASSERT_TRUE(page.ok() && page->bookings.size() == 1u);
  auto record = store->Get(page->bookings[0].id());
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->booking.status(), v1::Booking::STATUS_FAILED);
  EXPECT_EQ(record->booking.failure_reason(), status.error_message());
  EXPECT_EQ(record->owed, OwedCompensation::kNone);
  EXPECT_EQ(ticket.SeatsAvailable(), kCapacity);
}

}  // namespace
}  // namespace switchboard::booking
