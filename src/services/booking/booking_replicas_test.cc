// Booking and ticket replicas on one PostgreSQL database: three of each, every one a real
// service in this process with its own connection pool (as three processes would have), with
// real payment and fraud services beside them. Seat counts stay exact whatever replica takes a
// booking, and a PostgreSQL restart under load fails calls with UNAVAILABLE, then heals itself
// with no booking left half-written.
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/store/testing/postgres_server.h"
#include "services/booking/booking_service.h"
#include "services/booking/booking_store.h"
#include "services/fraud/fraud_service.h"
#include "services/payment/payment_service.h"
#include "services/ticket/event_store.h"
#include "services/ticket/ticket_service.h"
#include "switchboard/booking/v1/booking.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::booking {
namespace {

using common::store::testing::PostgresServer;
using std::chrono::milliseconds;
using switchboard::testing::TestServer;

constexpr int kReplicas = 3;
// A long-running stream of bookings must never approach the fraud velocity limit.
constexpr char kFraudSettings[] = "{max_checks_per_user: 100000}";

struct Event {
  const char* id;
  int capacity;
  int64_t price;
};
constexpr Event kSmallVenue = {"evt-10", 100, 1500};
constexpr Event kLargeVenue = {"evt-5", 5200, 8500};

// Three ticket and three booking replicas on the database at `store_url`; booking replica i
// calls ticket replica i, all of them one payment service.
class ReplicatedSystem {
 public:
  ReplicatedSystem(const std::string& store_url, const std::string& booking_extra = "")
      : fraud_(fraud::MakeFraudService, kFraudSettings),
        payment_(payment::MakePaymentService, "{}", {}, {{"fraud", fraud_.address()}}) {
    const std::string store = absl::StrCat("store: '", store_url, "'");
    for (int r = 0; r < kReplicas; ++r) {
      tickets_.push_back(
          std::make_unique<TestServer>(ticket::MakeTicketService, absl::StrCat("{", store, "}")));
      bookings_.push_back(std::make_unique<TestServer>(
          MakeBookingService,
          absl::StrCat("{", store, booking_extra.empty() ? "" : ", ", booking_extra, "}"),
          common::HostOptions{},
          std::map<std::string, std::string>{{"ticket", tickets_.back()->address()},
                                             {"payment", payment_.address()}}));
      stubs_.push_back(v1::BookingService::NewStub(bookings_.back()->NewChannel()));
    }
  }

  v1::BookingService::Stub& stub(int replica) { return *stubs_[replica % kReplicas]; }

  // Read through replica 0's stores: on one database every replica sees the same rows.
  int SeatsAvailable(const Event& event) {
    auto got = ticket::TicketStoreOf(tickets_[0]->service())->Get(event.id);
    return got.ok() ? got->seats_available() : -1;
  }
  int64_t HeldSeats(const Event& event) {
    auto held = ticket::TicketStoreOf(tickets_[0]->service())->HeldSeats(event.id);
    return held.ok() ? *held : -1;
  }
  BookingStore::Totals Bookings(const Event& event) {
    auto totals = BookingStoreOf(bookings_[0]->service())->TotalsForEvent(event.id);
    return totals.ok() ? *totals : BookingStore::Totals{-1, -1, -1};
  }
  int64_t Charged() {
    auto ledger = payment::AsPaymentService(payment_.service())->Summary();
    return ledger.ok() ? ledger->charged_amount : -1;
  }

  // Every seat taken is held for a confirmed booking and paid for; nothing is left pending.
  std::string Inconsistency(const Event& event) {
    const auto totals = Bookings(event);
    const int taken = event.capacity - SeatsAvailable(event);
    const int64_t held = HeldSeats(event);
    const int64_t charged = Charged();
    if (totals.pending == 0 && taken == held && held == totals.confirmed_seats &&
        charged == totals.confirmed_amount &&
        totals.confirmed_amount == totals.confirmed_seats * event.price) {
      return "";
    }
    return absl::StrCat("pending ", totals.pending, ", seats taken ", taken, ", held ", held,
                        ", confirmed ", totals.confirmed_seats, ", confirmed amount ",
                        totals.confirmed_amount, ", charged ", charged);
  }

  std::string EventuallyConsistent(const Event& event, milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    std::string why = Inconsistency(event);
    while (!why.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(100));
      why = Inconsistency(event);
    }
    return why;
  }

 private:
  TestServer fraud_;
  TestServer payment_;
  std::vector<std::unique_ptr<TestServer>> tickets_;
  std::vector<std::unique_ptr<TestServer>> bookings_;
  std::vector<std::unique_ptr<v1::BookingService::Stub>> stubs_;
};

// 1,000 concurrent bookings of one seat for 100 seats, spread over three booking replicas (and
// through them three ticket replicas): exactly 100 confirmed, none oversold, none lost.
TEST(BookingReplicasTest, ThousandConcurrentBookingsOnThreeReplicasSellExactlyTheSeats) {
  auto url = common::store::testing::FreshPostgresDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  ReplicatedSystem system(*url);
  constexpr int kBookings = 1000;
  std::atomic<int> ok{0};
  std::atomic<int> sold_out{0};
  std::atomic<int> other{0};
  std::string first_other;
  std::mutex mutex;
  std::condition_variable all_done;
  int done = 0;
  struct Call {
    grpc::ClientContext context;
    v1::CreateBookingRequest request;
    v1::Booking response;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < kBookings; ++i) {
    auto call = std::make_unique<Call>();
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    call->request.set_event_id(kSmallVenue.id);
    call->request.set_user_id("user-" + std::to_string(i % 50));
    call->request.set_seats(1);
    system.stub(i).async()->CreateBooking(
        &call->context, &call->request, &call->response, [&](grpc::Status status) {
          std::lock_guard<std::mutex> lock(mutex);
          if (status.ok()) {
            ++ok;
          } else if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
            ++sold_out;
          } else if (++other == 1) {
            first_other = absl::StrCat(status.error_code(), ": ", status.error_message());
          }
          if (++done == kBookings) all_done.notify_one();
        });
    calls.push_back(std::move(call));
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(
        all_done.wait_for(lock, std::chrono::seconds(90), [&] { return done == kBookings; }));
  }
  EXPECT_EQ(other.load(), 0) << "first: " << first_other;
  EXPECT_EQ(ok.load(), kSmallVenue.capacity);
  EXPECT_EQ(sold_out.load(), kBookings - kSmallVenue.capacity);
  EXPECT_EQ(system.SeatsAvailable(kSmallVenue), 0);
  EXPECT_EQ(system.Bookings(kSmallVenue).confirmed_seats, kSmallVenue.capacity);
  EXPECT_EQ(system.Inconsistency(kSmallVenue), "");
}

// Bookings keep arriving at all three replicas while PostgreSQL stops and starts again: calls
// during the outage fail UNAVAILABLE (naming the store), calls after it succeed without any
// restart of the services, and once the recovery sweep has run no booking is left half-written.
TEST(BookingReplicasTest, APostgresRestartUnderLoadFailsCallsUnavailableThenHeals) {
  auto server = PostgresServer::Create();
  ASSERT_TRUE(server.ok()) << server.status();
  // A short deadline cap, so bookings the outage interrupted count as abandoned within seconds
  // and the sweep (every 200 ms) finishes them.
  ReplicatedSystem system((*server)->Url(),
                          "max_timeout: 2s, compensation_timeout: 1s, recovery_interval: 200ms");
  constexpr int kClients = 6;
  constexpr milliseconds kCallTimeout{2000};
  constexpr milliseconds kOutage{1500};
  std::atomic<bool> stop{false};
  std::atomic<bool> down{false};
  std::atomic<int> ok_before{0};
  std::atomic<int> ok_after{0};
  std::atomic<int> unavailable{0};
  std::atomic<int> unexpected{0};
  std::atomic<bool> restarted{false};
  std::mutex mutex;
  std::string unavailable_message;
  std::string unexpected_message;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; !stop; ++i) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
        v1::CreateBookingRequest request;
        request.set_event_id(kLargeVenue.id);
        request.set_user_id("user-" + std::to_string(c));
        request.set_seats(1);
        v1::Booking response;
        const grpc::Status status = system.stub(c + i).CreateBooking(&context, request, &response);
        std::lock_guard<std::mutex> lock(mutex);
        if (status.ok()) {
          ++(restarted ? ok_after : ok_before);
        } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          ++unavailable;
          if (unavailable_message.empty()) unavailable_message = status.error_message();
        } else if (!down && !restarted) {
          // Before the outage nothing fails; while and just after it a call may also run out of
          // time (DEADLINE_EXCEEDED) or be refused by a half-done chain (ABORTED).
          ++unexpected;
          unexpected_message = absl::StrCat(status.error_code(), ": ", status.error_message());
        }
      }
    });
  }
  const auto wait_for = [](const std::atomic<int>& counter, int at_least, milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (counter.load() < at_least && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    return counter.load() >= at_least;
  };
  EXPECT_TRUE(wait_for(ok_before, 30, std::chrono::seconds(20))) << "no load before the outage";
  down = true;
  (*server)->Stop();
  std::this_thread::sleep_for(kOutage);
  ASSERT_TRUE((*server)->Start().ok()) << (*server)->Log();
  restarted = true;
  down = false;
  EXPECT_TRUE(wait_for(ok_after, 30, std::chrono::seconds(20)))
      << "the services did not recover by themselves";
  stop = true;
  for (auto& t : clients) t.join();

  EXPECT_GT(unavailable.load(), 0);
  EXPECT_NE(unavailable_message.find("postgres://"), std::string::npos) << unavailable_message;
  EXPECT_EQ(unexpected.load(), 0) << unexpected_message;
  EXPECT_EQ(system.EventuallyConsistent(kLargeVenue, std::chrono::seconds(30)), "");
}

}  // namespace
}  // namespace switchboard::booking
