#include "lb/outlier.h"

#include <gtest/gtest.h>

namespace switchboard::lb {
namespace {

using std::chrono::milliseconds;

TEST(Outlier, EjectsAfterConsecutiveFailuresWithDoublingBackoff) {
  OutlierOptions options;
  options.consecutive_failures = 3;
  options.base_ejection = milliseconds(1000);
  options.max_ejection = milliseconds(3000);
  OutlierState state;
  const Clock::time_point t0{};
  EXPECT_FALSE(state.RecordFailure(t0, options));
  EXPECT_FALSE(state.RecordFailure(t0, options));
  state.RecordSuccess();  // the run starts over
  EXPECT_FALSE(state.RecordFailure(t0, options));
  EXPECT_FALSE(state.RecordFailure(t0, options));
  EXPECT_TRUE(state.RecordFailure(t0, options));
  EXPECT_TRUE(state.Ejected(t0 + milliseconds(999)));
  EXPECT_FALSE(state.Ejected(t0 + milliseconds(1000)));
  // Failures while ejected (calls already in flight) do not extend it.
  EXPECT_FALSE(state.RecordFailure(t0 + milliseconds(10), options));

  auto t1 = t0 + milliseconds(1000);
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(state.RecordFailure(t1, options));
  EXPECT_TRUE(state.RecordFailure(t1, options));
  EXPECT_EQ(state.ejected_until(), t1 + milliseconds(2000));
  auto t2 = t1 + milliseconds(2000);
  for (int i = 0; i < 3; ++i) state.RecordFailure(t2, options);
  EXPECT_EQ(state.ejected_until(), t2 + milliseconds(3000));  // capped, not 4000
  auto t3 = t2 + milliseconds(3000);
  for (int i = 0; i < 3; ++i) state.RecordFailure(t3, options);
  EXPECT_EQ(state.ejected_until(), t3 + milliseconds(3000));
  EXPECT_EQ(state.ejections(), 4u);

  state.Reset();
  EXPECT_FALSE(state.Ejected(t3));
  for (int i = 0; i < 3; ++i) state.RecordFailure(t3, options);
  EXPECT_EQ(state.ejected_until(), t3 + milliseconds(1000));
}

TEST(Outlier, ZeroTurnsItOff) {
  OutlierOptions options;
  options.consecutive_failures = 0;
  OutlierState state;
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(state.RecordFailure(Clock::time_point{}, options));
}

}  // namespace
}  // namespace switchboard::lb
