// CreateBooking's decisions: which requests are refused before anything happens, the answer a
// finished booking gives again, and what is undone when a step fails. The reactor needs a
// grpc server context and stubs to its upstream services, so its steps are driven through
// in-process ticket, payment and fraud servers on loopback, each a real service.
#include "services/booking/create_booking_reactor.h"

#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "services/booking/booking_service.h"
#include "services/booking/booking_store.h"
#include "services/fraud/fraud_service.h"
#include "services/payment/payment_service.h"
#include "services/ticket/event_store.h"
#include "services/ticket/ticket_service.h"
#include "switchboard/booking/v1/booking.grpc.pb.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::booking {
namespace {

using switchboard::testing::TestServer;

constexpr int kMaxSeats = 10;
constexpr size_t kMaxIdBytes = 128;
// evt-10 has 100 seats at 1500 GBP cents each.
constexpr char kEvent[] = "evt-10";
constexpr int kCapacity = 100;
constexpr int64_t kPrice = 1500;
constexpr std::chrono::seconds kTimeout{5};

v1::CreateBookingRequest Request(const std::string& event, const std::string& user, int seats,
                                 const std::string& key = "") {
  v1::CreateBookingRequest request;
  request.set_event_id(event);
  request.set_user_id(user);
  request.set_seats(seats);
  request.set_idempotency_key(key);
  return request;
}

TEST(ValidateCreate, RefusesTheFirstBadFieldWithItsValue) {
  const std::string longest(kMaxIdBytes, 'x');
  const std::string too_long(kMaxIdBytes + 1, 'x');
  struct Case {
    v1::CreateBookingRequest request;
    std::string message;  // empty: valid
  } cases[] = {
      {Request("evt-1", "alice", 1), ""},
      {Request("evt-1", "alice", kMaxSeats, longest), ""},
      {Request(longest, longest, 1), ""},
      {Request("", "", 0), "event_id: must not be empty"},
      {Request("evt-1", "", 1), "user_id: must not be empty"},
      {Request(too_long, "alice", 1), "event_id: 129 bytes, at most 128"},
      {Request("evt-1", too_long, 1), "user_id: 129 bytes, at most 128"},
      {Request("evt-1", "alice", 1, too_long), "idempotency_key: 129 bytes, at most 128"},
      {Request("evt-1", "alice", 0), "seats: 0 is outside 1..10"},
      {Request("evt-1", "alice", -1), "seats: -1 is outside 1..10"},
      {Request("evt-1", "alice", kMaxSeats + 1), "seats: 11 is outside 1..10"},
  };
  for (const auto& c : cases) {
    grpc::Status status = ValidateCreate(c.request, kMaxSeats);
    const std::string name = c.request.ShortDebugString().substr(0, 80);
    if (c.message.empty()) {
      EXPECT_TRUE(status.ok()) << name << ": " << status.error_message();
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name;
      EXPECT_EQ(status.error_message(), c.message) << name;
    }
  }
}

TEST(StatusOf, OnlyAFailedBookingAnswersWithAnError) {
  for (auto ended : {v1::Booking::STATUS_CONFIRMED, v1::Booking::STATUS_CANCELLED}) {
    BookingRecord record;
    record.booking.set_status(ended);
    EXPECT_TRUE(StatusOf(record).ok()) << v1::Booking::Status_Name(ended);
  }
  BookingRecord failed;
  failed.booking.set_status(v1::Booking::STATUS_FAILED);
  failed.booking.set_failure_reason("ticket: event \"evt-404\" not found");
  failed.failure_code = static_cast<int>(grpc::StatusCode::NOT_FOUND);
  grpc::Status status = StatusOf(failed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "ticket: event \"evt-404\" not found");
}

// Booking with its upstream services, each a real service on loopback; no notification
// service, which booking treats as optional.
class ReactorTest : public ::testing::Test {
 protected:
  explicit ReactorTest(const std::string& fraud_settings = "{}",
                       const std::string& booking_settings = "{}")
      : fraud_(fraud::MakeFraudService, fraud_settings),
        payment_(payment::MakePaymentService, "{}", {}, {{"fraud", fraud_.address()}}),
        ticket_(ticket::MakeTicketService),
        booking_(MakeBookingService, booking_settings, {},
                 {{"ticket", ticket_.address()}, {"payment", payment_.address()}}),
        stub_(v1::BookingService::NewStub(booking_.NewChannel())) {}

  grpc::Status Create(const v1::CreateBookingRequest& request, v1::Booking* out = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kTimeout);
    v1::Booking response;
    grpc::Status status = stub_->CreateBooking(&context, request, &response);
    if (out != nullptr) *out = response;
    return status;
  }

  // The one booking `user` has, as stored.
  BookingRecord OnlyBookingOf(const std::string& user) {
    BookingStore* store = BookingStoreOf(booking_.service());
    auto page = store->ListByUser(user, 0, "");
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok() || page->bookings.size() != 1) {
      ADD_FAILURE() << user << " has " << (page.ok() ? page->bookings.size() : 0)
                    << " bookings, not 1";
      return {};
    }
    auto record = store->Get(page->bookings[0].id());
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *record : BookingRecord{};
  }

  int SeatsAvailable() {
    return ticket::TicketStoreOf(ticket_.service())->Get(kEvent)->seats_available();
  }
  int64_t HeldSeats() { return *ticket::TicketStoreOf(ticket_.service())->HeldSeats(kEvent); }
  payment::LedgerSummary Ledger() {
    return *payment::AsPaymentService(payment_.service())->Summary();
  }
  const fraud::FraudStats& Fraud() { return fraud::AsFraudService(fraud_.service())->stats(); }

  // ReserveSeats under a booking's id straight at ticket: refused once booking released it.
  grpc::Status ReserveAgainAtTicket(const std::string& booking_id) {
    auto ticket = ticket::v1::TicketService::NewStub(ticket_.NewChannel());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kTimeout);
    ticket::v1::ReserveSeatsRequest request;
    request.set_event_id(kEvent);
    request.set_seats(1);
    request.set_reservation_id(booking_id);
    ticket::v1::Reservation reservation;
    return ticket->ReserveSeats(&context, request, &reservation);
  }

  TestServer fraud_;
  TestServer payment_;
  TestServer ticket_;
  TestServer booking_;
  std::unique_ptr<v1::BookingService::Stub> stub_;
};

TEST_F(ReactorTest, ConfirmsWithoutANotificationService) {
  v1::Booking booking;
  grpc::Status status = Create(Request(kEvent, "alice", 2), &booking);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(booking.status(), v1::Booking::STATUS_CONFIRMED);
  EXPECT_EQ(booking.amount(), 2 * kPrice);
  EXPECT_EQ(booking.currency(), "GBP");
  EXPECT_FALSE(booking.payment_id().empty());
  const BookingRecord stored = OnlyBookingOf("alice");
  EXPECT_EQ(stored.booking.id(), booking.id());
  EXPECT_EQ(stored.booking.status(), v1::Booking::STATUS_CONFIRMED);
  EXPECT_EQ(stored.booking.payment_id(), booking.payment_id());
  EXPECT_EQ(SeatsAvailable(), kCapacity - 2);
  const auto ledger = Ledger();
  EXPECT_EQ(ledger.charged, 1);
  EXPECT_EQ(ledger.charged_amount, 2 * kPrice);
  EXPECT_EQ(ledger.refunded + ledger.voided, 0);
}

// Ticket refused: nothing was charged, so nothing is refunded, but the reservation is released
// all the same (a timed-out one may have been made).
TEST_F(ReactorTest, TicketRefusalReleasesWithoutCallingPayment) {
  grpc::Status status = Create(Request("evt-404", "bob", 1, "key-bob"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_EQ(status.error_message(), "ticket: event \"evt-404\" not found");

  EXPECT_EQ(Fraud().checks_started.load(), 0);
  const auto ledger = Ledger();
  EXPECT_EQ(ledger.charged + ledger.refunded + ledger.voided, 0)
      << "payment was called (a refund voids an uncharged booking) after ticket refused";
  const BookingRecord stored = OnlyBookingOf("bob");
  EXPECT_EQ(stored.booking.status(), v1::Booking::STATUS_FAILED);
  EXPECT_EQ(stored.failure_code, static_cast<int>(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(stored.booking.failure_reason(), status.error_message());
  const grpc::Status late = ReserveAgainAtTicket(stored.booking.id());
  EXPECT_EQ(late.error_code(), grpc::StatusCode::ABORTED)
      << "the reservation was not released: " << late.error_message();

  // The same request again gets the stored answer; nothing runs twice.
  grpc::Status again = Create(Request("evt-404", "bob", 1, "key-bob"));
  EXPECT_EQ(again.error_code(), status.error_code());
  EXPECT_EQ(again.error_message(), status.error_message());
  EXPECT_EQ(Fraud().checks_started.load(), 0);
}

class DecliningFraudTest : public ReactorTest {
 protected:
  // One seat costs more than fraud allows.
  DecliningFraudTest() : ReactorTest("{max_amount: 1000}") {}
};

// Payment refused: the charge may have landed, so it is refunded (here: voided, so a late
// charge is refused) and the seats are released.
TEST_F(DecliningFraudTest, PaymentRefusalRefundsAndReleases) {
  grpc::Status status = Create(Request(kEvent, "carol", 3));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "payment: fraud check declined"))
      << status.error_message();

  EXPECT_EQ(Fraud().checks_declined.load(), 1);
  const auto ledger = Ledger();
  EXPECT_EQ(ledger.charged, 0);
  EXPECT_EQ(ledger.voided, 1) << "no refund was attempted after the payment step failed";
  EXPECT_EQ(SeatsAvailable(), kCapacity);
  EXPECT_EQ(HeldSeats(), 0);
  const BookingRecord stored = OnlyBookingOf("carol");
  EXPECT_EQ(stored.booking.status(), v1::Booking::STATUS_FAILED);
  EXPECT_EQ(stored.failure_code, static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_EQ(stored.booking.failure_reason(), status.error_message());
}

class NoPaymentBudgetTest : public ReactorTest {
 protected:
  // More than any caller's deadline can leave once the seats are held.
  NoPaymentBudgetTest() : ReactorTest("{}", "{min_payment_budget: 1h}") {}
};

// Too little time left for payment: do not charge, release the seats, refund nothing.
TEST_F(NoPaymentBudgetTest, SeatsAreReleasedWithoutCharging) {
  grpc::Status status = Create(Request(kEvent, "dave", 4));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "payment needs at least 3600000ms"))
      << status.error_message();

  EXPECT_EQ(Fraud().checks_started.load(), 0);
  const auto ledger = Ledger();
  EXPECT_EQ(ledger.charged + ledger.refunded + ledger.voided, 0)
      << "payment was called though the budget check failed before the charge";
  EXPECT_EQ(SeatsAvailable(), kCapacity);
  EXPECT_EQ(HeldSeats(), 0);
  const BookingRecord stored = OnlyBookingOf("dave");
  EXPECT_EQ(stored.booking.status(), v1::Booking::STATUS_FAILED);
  EXPECT_EQ(stored.failure_code, static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED));
  // The reservation's price was recorded before the chain stopped.
  EXPECT_EQ(stored.booking.amount(), 4 * kPrice);
}

}  // namespace
}  // namespace switchboard::booking
