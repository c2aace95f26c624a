// InFlight decides whether a retry with a known idempotency key waits for the running chain or
// reads the store: waiters get the result exactly once, forgotten ones never.
#include "services/booking/in_flight.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace switchboard::booking {
namespace {

struct Delivered {
  std::string id;
  v1::Booking::Status booking_status;
  grpc::StatusCode code;
  std::string message;
};

InFlight::Waiter RecordInto(std::vector<Delivered>* out) {
  return [out](const BookingRecord& record, const grpc::Status& status) {
    out->push_back({record.booking.id(), record.booking.status(), status.error_code(),
                    status.error_message()});
  };
}

BookingRecord Record(const std::string& id, v1::Booking::Status status) {
  BookingRecord record;
  record.booking.set_id(id);
  record.booking.set_status(status);
  return record;
}

TEST(InFlight, ABookingThatIsNotRunningIsNotWaitedFor) {
  InFlight in_flight;
  std::vector<Delivered> delivered;
  uint64_t token = 0;
  EXPECT_FALSE(in_flight.Contains("bkg-1"));
  EXPECT_FALSE(in_flight.Wait("bkg-1", &token, RecordInto(&delivered)));
  // Completing what nobody began or waits for is harmless.
  in_flight.Complete("bkg-1", Record("bkg-1", v1::Booking::STATUS_CONFIRMED), grpc::Status::OK);
  EXPECT_TRUE(delivered.empty());
}

TEST(InFlight, EveryWaiterGetsTheResultOnceAndLaterCallersReadTheStore) {
  InFlight in_flight;
  in_flight.Begin("bkg-1");
  in_flight.Begin("bkg-2");
  EXPECT_TRUE(in_flight.Contains("bkg-1"));
  std::vector<Delivered> first;
  std::vector<Delivered> second;
  std::vector<Delivered> other;
  uint64_t token_first = 0;
  uint64_t token_second = 0;
  uint64_t token_other = 0;
  ASSERT_TRUE(in_flight.Wait("bkg-1", &token_first, RecordInto(&first)));
  ASSERT_TRUE(in_flight.Wait("bkg-1", &token_second, RecordInto(&second)));
  ASSERT_TRUE(in_flight.Wait("bkg-2", &token_other, RecordInto(&other)));
  EXPECT_NE(token_first, token_second);
  EXPECT_TRUE(first.empty()) << "delivered before the booking completed";

  const grpc::Status failed(grpc::StatusCode::PERMISSION_DENIED, "payment: declined");
  in_flight.Complete("bkg-1", Record("bkg-1", v1::Booking::STATUS_FAILED), failed);
  for (const auto* got : {&first, &second}) {
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ((*got)[0].id, "bkg-1");
    EXPECT_EQ((*got)[0].booking_status, v1::Booking::STATUS_FAILED);
    EXPECT_EQ((*got)[0].code, grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ((*got)[0].message, "payment: declined");
  }
  EXPECT_TRUE(other.empty()) << "another booking's waiter was woken";
  EXPECT_FALSE(in_flight.Contains("bkg-1"));
  EXPECT_TRUE(in_flight.Contains("bkg-2"));

  // Completed: a new waiter is told to read the store, old ones are not called again.
  uint64_t token_late = 0;
  EXPECT_FALSE(in_flight.Wait("bkg-1", &token_late, RecordInto(&first)));
  in_flight.Complete("bkg-1", Record("bkg-1", v1::Booking::STATUS_FAILED), failed);
  EXPECT_EQ(first.size(), 1u);
  EXPECT_EQ(second.size(), 1u);
}

TEST(InFlight, AForgottenWaiterIsNeverCalled) {
  InFlight in_flight;
  in_flight.Begin("bkg-1");
  std::vector<Delivered> gone;
  std::vector<Delivered> staying;
  uint64_t token_gone = 0;
  uint64_t token_staying = 0;
  ASSERT_TRUE(in_flight.Wait("bkg-1", &token_gone, RecordInto(&gone)));
  ASSERT_TRUE(in_flight.Wait("bkg-1", &token_staying, RecordInto(&staying)));
  in_flight.Forget("bkg-1", token_gone);
  EXPECT_TRUE(in_flight.Contains("bkg-1")) << "a caller giving up does not end the booking";
  in_flight.Complete("bkg-1", Record("bkg-1", v1::Booking::STATUS_CONFIRMED), grpc::Status::OK);
  EXPECT_TRUE(gone.empty());
  ASSERT_EQ(staying.size(), 1u);
  EXPECT_EQ(staying[0].code, grpc::StatusCode::OK);
  EXPECT_EQ(staying[0].booking_status, v1::Booking::STATUS_CONFIRMED);
}

}  // namespace
}  // namespace switchboard::booking
