// Seat reservations: idempotent, never oversold, tombstoned releases, deadline-aware.
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/call_budget.h"
#include "common/store/testing/engines.h"
#include "services/ticket/event_store.h"
#include "services/ticket/ticket_service.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::ticket {
namespace {

using common::store::testing::Engine;

// The settings block that puts the service on `engine` (throws, failing the test, when no
// database can be made).
std::string StoreSettings(Engine engine) {
  return common::store::testing::SettingsFor(engine).value();
}

class ReservationTest : public ::testing::TestWithParam<Engine> {
 protected:
  ReservationTest() : stub_(v1::TicketService::NewStub(server_.NewChannel())) {}

  grpc::Status Reserve(const std::string& event, int seats, const std::string& id,
                       v1::Reservation* out = nullptr,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    v1::ReserveSeatsRequest request;
    request.set_event_id(event);
    request.set_seats(seats);
    request.set_reservation_id(id);
    v1::Reservation response;
    grpc::Status status = stub_->ReserveSeats(&context, request, &response);
    if (out != nullptr) *out = response;
    return status;
  }

  grpc::Status Release(const std::string& id, v1::Reservation* out = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ReleaseSeatsRequest request;
    request.set_reservation_id(id);
    v1::Reservation response;
    grpc::Status status = stub_->ReleaseSeats(&context, request, &response);
    if (out != nullptr) *out = response;
    return status;
  }

  int SeatsAvailable(const std::string& event) {
    auto got = TicketStoreOf(server_.service())->Get(event);
    return got.ok() ? got->seats_available() : -1;
  }

  switchboard::testing::TestServer server_{MakeTicketService, StoreSettings(GetParam())};
  std::unique_ptr<v1::TicketService::Stub> stub_;
};

INSTANTIATE_TEST_SUITE_P(Engines, ReservationTest, common::store::testing::kBothEngines,
                         common::store::testing::EngineName);

TEST_P(ReservationTest, ReserveTakesSeatsAndPricesThem) {
  v1::Reservation reservation;
  ASSERT_TRUE(Reserve("evt-10", 3, "bkg_1", &reservation).ok());
  EXPECT_EQ(reservation.state(), v1::Reservation::STATE_HELD);
  EXPECT_EQ(reservation.amount(), 3 * 1500);
  EXPECT_EQ(reservation.currency(), "GBP");
  EXPECT_EQ(SeatsAvailable("evt-10"), 97);
}

TEST_P(ReservationTest, ReserveIsIdempotentPerReservationId) {
  ASSERT_TRUE(Reserve("evt-10", 2, "bkg_1").ok());
  ASSERT_TRUE(Reserve("evt-10", 2, "bkg_1").ok());
  EXPECT_EQ(SeatsAvailable("evt-10"), 98);
  EXPECT_EQ(Reserve("evt-10", 3, "bkg_1").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(ReservationTest, ReleaseGivesSeatsBackOnceAndTombstones) {
  ASSERT_TRUE(Reserve("evt-10", 4, "bkg_1").ok());
  v1::Reservation released;
  ASSERT_TRUE(Release("bkg_1", &released).ok());
  EXPECT_EQ(released.state(), v1::Reservation::STATE_RELEASED);
  ASSERT_TRUE(Release("bkg_1").ok());
  EXPECT_EQ(SeatsAvailable("evt-10"), 100);
  EXPECT_EQ(Reserve("evt-10", 4, "bkg_1").error_code(), grpc::StatusCode::ABORTED);
  // Released before it was ever reserved: the late reservation is refused.
  ASSERT_TRUE(Release("bkg_2").ok());
  EXPECT_EQ(Reserve("evt-10", 1, "bkg_2").error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(SeatsAvailable("evt-10"), 100);
}

TEST_P(ReservationTest, BadRequestsGetTheRightCode) {
  EXPECT_EQ(Reserve("evt-404", 1, "r1").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reserve("evt-10", 0, "r2").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reserve("evt-10", 11, "r3").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reserve("", 1, "r4").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reserve("evt-10", 1, "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Release("").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(SeatsAvailable("evt-10"), 100);
}

TEST_P(ReservationTest, ConcurrentReservationsNeverOversell) {
  std::atomic<int> held{0};
  std::atomic<int> sold_out{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const auto status = Reserve("evt-10", 1, "r" + std::to_string(t) + "_" + std::to_string(i));
        if (status.ok()) ++held;
        if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) ++sold_out;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(held.load(), 100);
  EXPECT_EQ(sold_out.load(), 220);
  EXPECT_EQ(SeatsAvailable("evt-10"), 0);
  EXPECT_EQ(*TicketStoreOf(server_.service())->HeldSeats("evt-10"), 100);
}

TEST_P(ReservationTest, ExpiredRequestTakesNothingAndTraceIsReported) {
  {
    // Expired on arrival, by the exact deadline a calling hop sends (a zero grpc-timeout would
    // race the client's own check and might never be sent).
    grpc::ClientContext late;
    late.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    late.AddMetadata(common::kDeadlineExactHeader,
                     std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count() -
                                    1000));
    v1::ReserveSeatsRequest request;
    request.set_event_id("evt-10");
    request.set_seats(1);
    request.set_reservation_id("late");
    v1::Reservation response;
    EXPECT_EQ(stub_->ReserveSeats(&late, request, &response).error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  EXPECT_EQ(SeatsAvailable("evt-10"), 100);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  context.AddMetadata("x-deadline-trace", "1");
  v1::GetEventRequest request;
  request.set_id("evt-1");
  v1::Event event;
  ASSERT_TRUE(stub_->GetEvent(&context, request, &event).ok());
  auto trace = context.GetServerTrailingMetadata().find("x-deadline-budget");
  ASSERT_NE(trace, context.GetServerTrailingMetadata().end());
  const std::string value(trace->second.data(), trace->second.size());
  ASSERT_EQ(value.rfind("ticket=", 0), 0u) << value;
  const double ms = std::stod(value.substr(7));
  EXPECT_NE(value.find('.'), std::string::npos) << "microsecond precision: " << value;
  EXPECT_GT(ms, 2000);
  EXPECT_LT(ms, 3000) << "a hop must never see more budget than its caller gave";
}

}  // namespace
}  // namespace switchboard::ticket
