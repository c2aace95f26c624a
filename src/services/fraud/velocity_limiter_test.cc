#include "services/fraud/velocity_limiter.h"

#include <gtest/gtest.h>

namespace switchboard::fraud {
namespace {

using std::chrono::milliseconds;

class FakeClock {
 public:
  std::chrono::steady_clock::time_point Now() const { return now_; }
  void Advance(milliseconds by) { now_ += by; }
  VelocityLimiter::Clock AsClock() {
    return [this] { return Now(); };
  }

 private:
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
};

TEST(VelocityLimiter, AllowsUpToTheLimitWithinTheWindow) {
  FakeClock clock;
  VelocityLimiter limiter(3, milliseconds(1000), 100, clock.AsClock());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.TryRecord("u1"), VelocityLimiter::Verdict::kRecorded) << i;
    clock.Advance(milliseconds(100));
  }
  EXPECT_EQ(limiter.TryRecord("u1"), VelocityLimiter::Verdict::kOverLimit);
  EXPECT_EQ(limiter.CountInWindow("u1"), 3);
  // Other users have their own window.
  EXPECT_EQ(limiter.TryRecord("u2"), VelocityLimiter::Verdict::kRecorded);
}

TEST(VelocityLimiter, WindowSlides) {
  FakeClock clock;
  VelocityLimiter limiter(2, milliseconds(1000), 100, clock.AsClock());
  ASSERT_EQ(limiter.TryRecord("u"), VelocityLimiter::Verdict::kRecorded);  // t=0
  clock.Advance(milliseconds(600));
  ASSERT_EQ(limiter.TryRecord("u"), VelocityLimiter::Verdict::kRecorded);  // t=600
  clock.Advance(milliseconds(399));                                        // t=999
  EXPECT_EQ(limiter.TryRecord("u"), VelocityLimiter::Verdict::kOverLimit);
  clock.Advance(milliseconds(1));  // t=1000: the first check has left the window
  EXPECT_EQ(limiter.TryRecord("u"), VelocityLimiter::Verdict::kRecorded);
  EXPECT_EQ(limiter.TryRecord("u"), VelocityLimiter::Verdict::kOverLimit);
  clock.Advance(milliseconds(5000));
  EXPECT_EQ(limiter.CountInWindow("u"), 0);
}

TEST(VelocityLimiter, RefusedChecksDoNotCount) {
  FakeClock clock;
  VelocityLimiter limiter(1, milliseconds(1000), 100, clock.AsClock());
  ASSERT_EQ(limiter.TryRecord("u"), VelocityLimiter::Verdict::kRecorded);
  for (int i = 0; i < 10; ++i) {
    clock.Advance(milliseconds(50));
    ASSERT_EQ(limiter.TryRecord("u"), VelocityLimiter::Verdict::kOverLimit);
  }
  clock.Advance(milliseconds(500));  // t=1000 after the only recorded check
  EXPECT_EQ(limiter.TryRecord("u"), VelocityLimiter::Verdict::kRecorded);
}

TEST(VelocityLimiter, TrackerIsBoundedAndForgetsIdleUsers) {
  FakeClock clock;
  VelocityLimiter limiter(5, milliseconds(1000), 2, clock.AsClock());
  ASSERT_EQ(limiter.TryRecord("a"), VelocityLimiter::Verdict::kRecorded);
  ASSERT_EQ(limiter.TryRecord("b"), VelocityLimiter::Verdict::kRecorded);
  EXPECT_EQ(limiter.TryRecord("c"), VelocityLimiter::Verdict::kTrackerFull);
  // Known users still work while full.
  EXPECT_EQ(limiter.TryRecord("a"), VelocityLimiter::Verdict::kRecorded);
  clock.Advance(milliseconds(1000));
  EXPECT_EQ(limiter.TryRecord("c"), VelocityLimiter::Verdict::kRecorded);
  EXPECT_EQ(limiter.TrackedUsers(), 1u);
}

}  // namespace
}  // namespace switchboard::fraud
