// The whole chain on loopback: booking -> ticket -> payment -> fraud, then notification, each
// a real service with its own SQLite store. Deadline rules, compensation and idempotency.
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "services/booking/booking_service.h"
#include "services/booking/booking_store.h"
#include "services/fraud/fraud_service.h"
#include "services/notification/notification_service.h"
#include "services/payment/payment_service.h"
#include "services/ticket/event_store.h"
#include "services/ticket/ticket_service.h"
#include "switchboard/booking/v1/booking.grpc.pb.h"
#include "switchboard/notification/v1/notification.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::booking {
namespace {

using std::chrono::milliseconds;
using switchboard::testing::TestServer;

// evt-10 has 100 seats at 1500 GBP cents each.
constexpr char kEvent[] = "evt-10";
constexpr int kCapacity = 100;
constexpr int64_t kPrice = 1500;

class BookingChain {
 public:
  explicit BookingChain(const std::string& fraud_settings = "{}",
                        const std::string& booking_settings = "{}",
                        const std::string& payment_settings = "{}")
      : fraud_(fraud::MakeFraudService, fraud_settings),
        payment_(payment::MakePaymentService, payment_settings, {}, {{"fraud", fraud_.address()}}),
        ticket_(ticket::MakeTicketService),
        notification_(notification::MakeNotificationService),
        booking_(MakeBookingService, booking_settings, {},
                 {{"ticket", ticket_.address()},
                  {"payment", payment_.address()},
                  {"notification", notification_.address()}}),
        stub_(v1::BookingService::NewStub(booking_.NewChannel())) {}

  grpc::Status Create(const std::string& user, int seats, milliseconds timeout,
                      v1::Booking* out = nullptr, const std::string& key = "",
                      grpc::ClientContext* context = nullptr) {
    grpc::ClientContext local;
    grpc::ClientContext& ctx = context != nullptr ? *context : local;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    v1::CreateBookingRequest request;
    request.set_event_id(kEvent);
    request.set_user_id(user);
    request.set_seats(seats);
    request.set_idempotency_key(key);
    v1::Booking response;
    grpc::Status status = stub_->CreateBooking(&ctx, request, &response);
    if (out != nullptr) *out = response;
    return status;
  }

  int SeatsAvailable() {
    return ticket::TicketStoreOf(ticket_.service())->Get(kEvent)->seats_available();
  }
  payment::LedgerSummary Ledger() { return *payment::AsPaymentService(payment_.service())->Summary(); }
  const fraud::FraudStats& Fraud() { return fraud::AsFraudService(fraud_.service())->stats(); }
  BookingStore::Totals Bookings() { return *BookingStoreOf(booking_.service())->TotalsForEvent(kEvent); }

  // Seats, ledger and bookings agree, with no booking left pending.
  bool Consistent() {
    const auto totals = Bookings();
    const auto ledger = Ledger();
    return totals.pending == 0 && kCapacity - SeatsAvailable() == totals.confirmed_seats &&
           ledger.charged_amount == totals.confirmed_amount &&
           totals.confirmed_amount == totals.confirmed_seats * kPrice;
  }

  bool EventuallyConsistent(milliseconds within = milliseconds(10000)) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Consistent()) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return Consistent();
  }

  TestServer fraud_;
  TestServer payment_;
  TestServer ticket_;
  TestServer notification_;
  TestServer booking_;
  std::unique_ptr<v1::BookingService::Stub> stub_;
};

TEST(BookingChainTest, ConfirmsChargesAndNotifies) {
  BookingChain chain;
  auto notifications = notification::v1::NotificationService::NewStub(chain.notification_.NewChannel());
  grpc::ClientContext subscribe_context;
  subscribe_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  notification::v1::SubscribeRequest subscribe;
  subscribe.set_user_id("alice");
  auto reader = notifications->Subscribe(&subscribe_context, subscribe);
  reader->WaitForInitialMetadata();

  v1::Booking booking;
  grpc::Status status = chain.Create("alice", 3, std::chrono::seconds(5), &booking);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(booking.status(), v1::Booking::STATUS_CONFIRMED);
  EXPECT_EQ(booking.amount(), 3 * kPrice);
  EXPECT_EQ(booking.currency(), "GBP");
  EXPECT_FALSE(booking.payment_id().empty());
  EXPECT_EQ(chain.SeatsAvailable(), kCapacity - 3);
  EXPECT_EQ(chain.Ledger().charged_amount, 3 * kPrice);
  EXPECT_TRUE(chain.Consistent());

  notification::v1::Notification note;
  ASSERT_TRUE(reader->Read(&note));
  EXPECT_EQ(note.title(), "Booking confirmed");
  EXPECT_NE(note.body().find(booking.id()), std::string::npos);
  subscribe_context.TryCancel();
}

TEST(BookingChainTest, BudgetTraceDecreasesAlongTheChain) {
  BookingChain chain;
  grpc::ClientContext context;
  context.AddMetadata("x-deadline-trace", "1");
  ASSERT_TRUE(chain.Create("bob", 1, std::chrono::seconds(5), nullptr, "", &context).ok());
  auto it = context.GetServerTrailingMetadata().find("x-deadline-budget");
  ASSERT_NE(it, context.GetServerTrailingMetadata().end());
  const std::string trace(it->second.data(), it->second.size());
  const std::vector<std::string> hops = {"booking", "ticket", "payment", "fraud"};
  double previous = 5000.0;
  size_t at = 0;
  for (const auto& hop : hops) {
    const size_t found = trace.find(hop + "=", at);
    ASSERT_NE(found, std::string::npos) << hop << " missing or out of order in " << trace;
    const double ms = std::stod(trace.substr(found + hop.size() + 1));
    EXPECT_LT(ms, previous) << hop << " in " << trace;
    previous = ms;
    at = found;
  }
}

TEST(BookingChainTest, SlowFraudTimesOutAndEverythingIsUndone) {
  BookingChain chain("{delay: 2s}");
  const auto start = std::chrono::steady_clock::now();
  grpc::Status status = chain.Create("carol", 2, milliseconds(500));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(elapsed, milliseconds(1000)) << "the caller waited past its deadline";
  // Fraud saw the cancellation promptly, long before its own 2 s delay.
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(500);
  while (chain.Fraud().checks_cancelled.load() == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(chain.Fraud().checks_cancelled.load(), 1);
  EXPECT_EQ(chain.Fraud().checks_completed.load(), 0);
  EXPECT_TRUE(chain.EventuallyConsistent()) << "seats " << chain.SeatsAvailable();
  EXPECT_EQ(chain.SeatsAvailable(), kCapacity);
  EXPECT_EQ(chain.Ledger().charged_amount, 0);
}

// The control experiment: with propagation off, nobody downstream learns that the caller
// gave up, and fraud finishes work whose answer nobody will read.
TEST(BookingChainTest, WithoutPropagationDownstreamWorkIsWasted) {
  BookingChain chain("{delay: 600ms}", "{propagate_deadlines: 0}", "{propagate_deadlines: 0}");
  EXPECT_EQ(chain.Create("hank", 1, milliseconds(200)).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (chain.Fraud().checks_completed.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(chain.Fraud().checks_completed.load(), 1) << "fraud ran to the end for nobody";
  EXPECT_EQ(chain.Fraud().checks_cancelled.load(), 0);
  // Seats and money still add up: the chain compensates once it sees the late answer.
  EXPECT_TRUE(chain.EventuallyConsistent());
}

TEST(BookingChainTest, TooShortADeadlineCallsNobody) {
  BookingChain chain("{}", "{min_chain_budget: 100ms}");
  EXPECT_EQ(chain.Create("dave", 1, milliseconds(30)).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(chain.Create("dave", 1, milliseconds(0)).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(chain.Fraud().checks_started.load(), 0);
  const auto ledger = chain.Ledger();
  EXPECT_EQ(ledger.charged + ledger.refunded + ledger.voided, 0);
  EXPECT_EQ(chain.SeatsAvailable(), kCapacity);
  const auto totals = chain.Bookings();
  EXPECT_EQ(totals.pending + totals.confirmed_seats, 0) << "no booking row may be written";
}

TEST(BookingChainTest, SameIdempotencyKeyConcurrentlyBooksOnce) {
  BookingChain chain("{delay: 100ms}");
  constexpr int kCallers = 8;
  std::vector<v1::Booking> results(kCallers);
  std::vector<grpc::Status> statuses(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      statuses[i] = chain.Create("erin", 2, std::chrono::seconds(5), &results[i], "key-erin-1");
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << i << ": " << statuses[i].error_message();
    EXPECT_EQ(results[i].id(), results[0].id());
    EXPECT_EQ(results[i].status(), v1::Booking::STATUS_CONFIRMED);
  }
  EXPECT_EQ(chain.SeatsAvailable(), kCapacity - 2);
  EXPECT_EQ(chain.Ledger().charged, 1);
  // And a retry later gets the same answer.
  v1::Booking again;
  ASSERT_TRUE(chain.Create("erin", 2, std::chrono::seconds(5), &again, "key-erin-1").ok());
  EXPECT_EQ(again.id(), results[0].id());
  // The same key with a different request is refused, not answered with the first booking.
  const grpc::Status reused = chain.Create("erin", 3, std::chrono::seconds(5), &again, "key-erin-1");
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::ALREADY_EXISTS) << reused.error_message();
  EXPECT_NE(reused.error_message().find(results[0].id()), std::string::npos)
      << reused.error_message();
  // Another user with the same key learns nothing of erin's booking.
  const grpc::Status other = chain.Create("frank", 2, std::chrono::seconds(5), &again, "key-erin-1");
  EXPECT_EQ(other.error_code(), grpc::StatusCode::ALREADY_EXISTS) << other.error_message();
  EXPECT_EQ(other.error_message().find(results[0].id()), std::string::npos)
      << other.error_message();
  EXPECT_EQ(other.error_message().find("seats"), std::string::npos) << other.error_message();
  EXPECT_EQ(chain.SeatsAvailable(), kCapacity - 2);
}

TEST(BookingChainTest, CancelRefundsAndReleases) {
  BookingChain chain;
  v1::Booking booking;
  ASSERT_TRUE(chain.Create("frank", 4, std::chrono::seconds(5), &booking).ok());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::CancelBookingRequest request;
  request.set_id(booking.id());
  v1::Booking cancelled;
  ASSERT_TRUE(chain.stub_->CancelBooking(&context, request, &cancelled).ok());
  EXPECT_EQ(cancelled.status(), v1::Booking::STATUS_CANCELLED);
  EXPECT_EQ(chain.SeatsAvailable(), kCapacity);
  EXPECT_EQ(chain.Ledger().charged_amount, 0);
  EXPECT_EQ(chain.Ledger().refunded, 1);
}

TEST(BookingChainTest, BadRequestsAreInvalidArgument) {
  BookingChain chain;
  EXPECT_EQ(chain.Create("", 1, std::chrono::seconds(5)).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(chain.Create("gina", 0, std::chrono::seconds(5)).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(chain.Create("gina", 11, std::chrono::seconds(5)).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(chain.Fraud().checks_started.load(), 0);
}

// 1,000 concurrent bookings of one seat for 100 seats, a fifth of them with deadlines too
// short to finish: exactly the paid seats are sold, never more, and the ledger balances.
TEST(BookingChainTest, ThousandConcurrentBookingsNeverOversell) {
  BookingChain chain("{delay: 5ms, max_checks_per_user: 1000}");
  constexpr int kBookings = 1000;
  std::atomic<int> ok{0};
  std::atomic<int> sold_out{0};
  std::atomic<int> timed_out{0};
  std::atomic<int> other{0};
  std::atomic<int> done{0};
  std::string first_other;
  std::mutex mutex;
  std::condition_variable all_done;
  struct Call {
    grpc::ClientContext context;
    v1::CreateBookingRequest request;
    v1::Booking response;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < kBookings; ++i) {
    auto call = std::make_unique<Call>();
    const milliseconds timeout = i % 5 == 0 ? milliseconds(25) : std::chrono::seconds(30);
    call->context.set_deadline(std::chrono::system_clock::now() + timeout);
    call->request.set_event_id(kEvent);
    call->request.set_user_id("user-" + std::to_string(i % 50));
    call->request.set_seats(1);
    chain.stub_->async()->CreateBooking(
        &call->context, &call->request, &call->response, [&](grpc::Status status) {
          if (status.ok()) {
            ++ok;
          } else if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
            ++sold_out;
          } else if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                     status.error_code() == grpc::StatusCode::CANCELLED) {
            ++timed_out;
          } else if (++other == 1) {
            std::lock_guard<std::mutex> lock(mutex);
            first_other = status.error_message();
          }
          std::lock_guard<std::mutex> lock(mutex);
          if (++done == kBookings) all_done.notify_one();
        });
    calls.push_back(std::move(call));
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(60), [&] { return done == kBookings; }));
  }
  EXPECT_EQ(other.load(), 0) << "first: " << first_other;
  EXPECT_LE(ok.load(), kCapacity);
  EXPECT_GT(ok.load(), 0);
  EXPECT_TRUE(chain.EventuallyConsistent(std::chrono::seconds(20)))
      << "seats available " << chain.SeatsAvailable() << ", confirmed "
      << chain.Bookings().confirmed_seats << ", charged " << chain.Ledger().charged_amount;
  EXPECT_EQ(chain.Bookings().confirmed_seats, ok.load());
  EXPECT_EQ(kCapacity - chain.SeatsAvailable(), ok.load());
}

}  // namespace
}  // namespace switchboard::booking
