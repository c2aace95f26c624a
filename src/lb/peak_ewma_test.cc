// Peak-EWMA: the estimate (decay, the peak jump, the first sample), the cost (pending
// weighting), the two-choice pick with a seeded RNG and a fake clock, and the balancer keeping
// estimates across endpoint changes.
#include "lb/peak_ewma.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "lb/balancer.h"

namespace switchboard::lb {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr double kNanosPerMs = 1e6;
constexpr double kToleranceMs = 1e-6;

// A clock the test moves by hand.
struct FakeClock {
  Clock::time_point now{seconds(1000)};
  std::function<Clock::time_point()> Function() {
    return [this] { return now; };
  }
};

PeakEwmaOptions Options(FakeClock& clock) {
  PeakEwmaOptions options;
  options.decay = seconds(10);
  options.default_rtt = milliseconds(30);
  options.clock = clock.Function();
  return options;
}

double Ms(const RttEstimate& estimate, Clock::time_point now, const PeakEwmaOptions& options) {
  return estimate.Nanos(now, options) / kNanosPerMs;
}

struct Sample {
  int at_ms;   // since the start
  int rtt_ms;  // what the call took
};

struct EstimateCase {
  const char* name;
  std::vector<Sample> samples;
  int read_at_ms;
  double expected_ms;
};

TEST(RttEstimate, FollowsPeaksAndDecays) {
  const double e = std::exp(1.0);
  const std::vector<EstimateCase> cases = {
      {"no sample: the default", {}, 0, 30},
      {"no sample: the default does not decay", {}, 60000, 30},
      {"first sample replaces the default, even a lower one", {{0, 5}}, 0, 5},
      {"one decay constant later: down to 1/e", {{0, 100}}, 10000, 100 / e},
      {"two decay constants later: 1/e^2", {{0, 100}}, 20000, 100 / (e * e)},
      {"a higher sample replaces the estimate at once", {{0, 10}, {1, 50}}, 1, 50},
      {"a higher sample than the decayed estimate jumps too", {{0, 100}, {10000, 40}}, 10000, 40},
      {"a lower sample is blended by elapsed time",
       {{0, 100}, {1000, 10}},
       1000,
       100 * std::exp(-0.1) + 10 * (1 - std::exp(-0.1))},
      {"a lower sample at the same instant counts for nothing", {{0, 100}, {0, 10}}, 0, 100},
      {"a steady latency is the estimate", {{0, 20}, {5000, 20}, {10000, 20}}, 10000, 20},
  };
  FakeClock clock;
  const PeakEwmaOptions options = Options(clock);
  const Clock::time_point start = clock.now;
  for (const auto& c : cases) {
    RttEstimate estimate;
    for (const auto& s : c.samples) {
      estimate.Observe(milliseconds(s.rtt_ms), start + milliseconds(s.at_ms), options);
    }
    EXPECT_NEAR(Ms(estimate, start + milliseconds(c.read_at_ms), options), c.expected_ms,
                kToleranceMs)
        << c.name;
    EXPECT_EQ(estimate.measured(), !c.samples.empty()) << c.name;
  }
}

TEST(RttEstimate, ASeededDefaultDecaysUntilTheFirstSampleReplacesIt) {
  FakeClock clock;
  const PeakEwmaOptions options = Options(clock);
  const Clock::time_point start = clock.now;
  RttEstimate estimate;
  estimate.Seed(start, options);
  EXPECT_TRUE(estimate.seeded());
  EXPECT_FALSE(estimate.measured());
  EXPECT_NEAR(Ms(estimate, start, options), 30, kToleranceMs);
  EXPECT_NEAR(Ms(estimate, start + seconds(10), options), 30 / std::exp(1.0), kToleranceMs);
  // An endpoint measured at 25 ms (below the default) no longer starves one never called.
  RttEstimate measured;
  measured.Observe(milliseconds(25), start + seconds(2), options);
  EXPECT_LT(Ms(estimate, start + seconds(2), options), Ms(measured, start + seconds(2), options));
  estimate.Observe(milliseconds(1), start + seconds(2), options);
  EXPECT_TRUE(estimate.measured());
  EXPECT_NEAR(Ms(estimate, start + seconds(2), options), 1, kToleranceMs);
}

TEST(RttEstimate, OptionsAreValidated) {
  PeakEwmaOptions options;
  EXPECT_TRUE(ValidatePeakEwmaOptions(options).ok());
  options.decay = milliseconds(0);
  EXPECT_EQ(ValidatePeakEwmaOptions(options).message(),
            "peak_ewma decay must be positive, got 0ms");
  options = PeakEwmaOptions();
  options.default_rtt = milliseconds(-1);
  EXPECT_EQ(ValidatePeakEwmaOptions(options).message(),
            "peak_ewma default_rtt must be positive, got -1ms");
  options = PeakEwmaOptions();
  options.clock = nullptr;
  EXPECT_FALSE(ValidatePeakEwmaOptions(options).ok());
  EXPECT_FALSE(NewPolicy(kPeakEwma, {}, 1, options).ok());
}

struct CostCase {
  const char* name;
  int rtt_ms;  // 0: no estimate on the candidate
  int64_t in_flight;
  double expected_ms;
};

TEST(PeakEwma, CostIsLatencyTimesPendingPlusOne) {
  const std::vector<CostCase> cases = {
      {"idle, measured", 10, 0, 10},       {"one open call doubles it", 10, 1, 20},
      {"nine open calls", 10, 9, 100},     {"no estimate: default rtt", 0, 0, 30},
      {"no estimate, two open", 0, 2, 90},
  };
  FakeClock clock;
  const PeakEwmaOptions options = Options(clock);
  PeakEwma policy(1, options);
  for (const auto& c : cases) {
    RttEstimate estimate;
    Candidate candidate{"a:1", 1, c.in_flight, true, nullptr};
    if (c.rtt_ms > 0) {
      estimate.Observe(milliseconds(c.rtt_ms), clock.now, options);
      candidate.rtt = &estimate;
    }
    EXPECT_NEAR(policy.Cost(candidate, clock.now) / kNanosPerMs, c.expected_ms, kToleranceMs)
        << c.name;
  }
}

// Picks `n` times and counts how often each index won.
std::map<int, int> Picks(PeakEwma& policy, const std::vector<Candidate>& candidates, int n) {
  std::map<int, int> picks;
  for (int i = 0; i < n; ++i) ++picks[policy.Pick(candidates, nullptr)];
  return picks;
}

TEST(PeakEwma, TwoChoicesPickTheLowerCost) {
  FakeClock clock;
  const PeakEwmaOptions options = Options(clock);
  RttEstimate fast, slow, middle;
  fast.Observe(milliseconds(1), clock.now, options);
  middle.Observe(milliseconds(5), clock.now, options);
  slow.Observe(milliseconds(50), clock.now, options);
  constexpr int kPicks = 3000;

  // Two endpoints: both are always drawn, so the cheaper one always wins.
  PeakEwma two(7, options);
  auto picks = Picks(two, {{"f:1", 1, 0, true, &fast}, {"s:1", 1, 0, true, &slow}}, kPicks);
  EXPECT_EQ(picks[0], kPicks);
  // ...until its open calls make it dearer: 1 ms x 60 > 50 ms x 1.
  picks = Picks(two, {{"f:1", 1, 59, true, &fast}, {"s:1", 1, 0, true, &slow}}, kPicks);
  EXPECT_EQ(picks[1], kPicks);

  // Three endpoints: the slowest is never the lower of two; the fastest wins every draw it is
  // in (2 of the 3 pairs); the middle one wins only the pair without the fastest (1/3).
  PeakEwma three(7, options);
  picks = Picks(
      three, {{"f:1", 1, 0, true, &fast}, {"m:1", 1, 0, true, &middle}, {"s:1", 1, 0, true, &slow}},
      kPicks);
  EXPECT_EQ(picks[2], 0);
  EXPECT_NEAR(picks[0], kPicks * 2 / 3, kPicks / 20);
  EXPECT_NEAR(picks[1], kPicks / 3, kPicks / 20);

  // The same seed makes the same choices.
  const std::vector<Candidate> equal = {
      {"a:1", 1, 0, true, nullptr}, {"b:1", 1, 0, true, nullptr}, {"c:1", 1, 0, true, nullptr}};
  PeakEwma first(42, options);
  PeakEwma second(42, options);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(first.Pick(equal, nullptr), second.Pick(equal, nullptr));
  }
}

TEST(PeakEwma, NeverPicksUnusableAndDecayBringsASlowEndpointBack) {
  FakeClock clock;
  const PeakEwmaOptions options = Options(clock);
  RttEstimate fast, slow;
  fast.Observe(milliseconds(2), clock.now, options);
  slow.Observe(milliseconds(200), clock.now, options);
  PeakEwma policy(3, options);
  std::vector<Candidate> c = {{"f:1", 1, 0, true, &fast}, {"s:1", 1, 0, true, &slow}};
  c[0].usable = false;
  EXPECT_EQ(policy.Pick(c, nullptr), 1);
  c[1].usable = false;
  EXPECT_EQ(policy.Pick(c, nullptr), -1);
  EXPECT_EQ(policy.Pick({}, nullptr), -1);
  c[0].usable = c[1].usable = true;
  EXPECT_EQ(policy.Pick(c, nullptr), 0);
  // A minute on, the fast one still answers in 2 ms while the slow one has had no call: its
  // 200 ms has decayed to 200 x e^-6 (0.5 ms) and it is tried again.
  clock.now += seconds(60);
  fast.Observe(milliseconds(2), clock.now, options);
  EXPECT_EQ(policy.Pick(c, nullptr), 1);
}

TEST(PeakEwma, IsANamedPolicy) {
  EXPECT_TRUE(IsPolicyName("peak_ewma"));
  EXPECT_FALSE(IsPolicyName("peak-ewma"));
  auto policy = NewPolicy(kPeakEwma, {}, 1);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_NE(dynamic_cast<PeakEwma*>(policy->get()), nullptr);
  auto unknown = NewPolicy("fastest", {}, 1);
  EXPECT_EQ(unknown.status().message(),
            "unknown balancing policy \"fastest\" (known: round_robin, least_request, weighted, "
            "ring_hash, peak_ewma)");
}

// The balancer measures each call from its pick to its result, keeps estimates of endpoints
// that stay across an update, and starts new ones at the default.
TEST(PeakEwma, BalancerMeasuresCallsAndKeepsEstimatesAcrossUpdates) {
  FakeClock clock;
  BalancerOptions options;
  options.policy = kPeakEwma;
  options.peak_ewma = Options(clock);
  auto created = Balancer::Create("pkg.Svc", options, {{"a:1"}, {"b:1"}}, 5);
  ASSERT_TRUE(created.ok()) << created.status();
  Balancer& balancer = **created;

  // One call per endpoint: both start at the default, so the first pick's open call makes
  // the other endpoint the cheaper for the second. a takes 2 ms, b 40 ms.
  std::map<std::string, std::shared_ptr<Endpoint>> by_address;
  for (int i = 0; i < 2; ++i) {
    auto picked = balancer.Pick(nullptr, {}, clock.now);
    ASSERT_TRUE(picked.ok());
    ++(*picked)->in_flight;
    by_address[(*picked)->address] = *picked;
  }
  ASSERT_EQ(by_address.size(), 2u) << "the idle endpoint should win the second pick";
  auto end = [&](const std::string& address, int after_ms) {
    Endpoint& endpoint = *by_address[address];
    --endpoint.in_flight;
    balancer.RecordResult(endpoint, false, clock.now + milliseconds(after_ms));
  };
  end("a:1", 2);
  end("b:1", 40);
  EXPECT_NEAR(by_address["a:1"]->rtt.Nanos(clock.now, options.peak_ewma) / kNanosPerMs, 2,
              kToleranceMs);
  EXPECT_NEAR(by_address["b:1"]->rtt.Nanos(clock.now, options.peak_ewma) / kNanosPerMs, 40,
              kToleranceMs);
  EXPECT_TRUE(by_address["a:1"]->picked_at.empty());

  // Every later pick goes to a (two endpoints: both drawn, a is cheaper).
  for (int i = 0; i < 50; ++i) EXPECT_EQ((*balancer.Pick(nullptr, {}, clock.now))->address, "a:1");

  // b removed, c added: a keeps its estimate, c starts at the default 30 ms and so loses to a.
  auto removed = balancer.Update(options, {{"a:1"}, {"c:1"}});
  ASSERT_TRUE(removed.ok()) << removed.status();
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_EQ((*removed)[0]->address, "b:1");
  Endpoint& a = *balancer.endpoints()[0];
  Endpoint& c = *balancer.endpoints()[1];
  EXPECT_TRUE(a.rtt.measured());
  EXPECT_FALSE(c.rtt.measured());
  EXPECT_TRUE(c.rtt.seeded());  // its default decays from now on
  for (int i = 0; i < 50; ++i) EXPECT_EQ((*balancer.Pick(nullptr, {}, clock.now))->address, "a:1");

  // Picks without a result (tries cancelled) are forgotten once calls end: only in_flight + 1
  // are kept, so the next measured call is timed from its own pick.
  a.picked_at.clear();
  a.picked_at.push_back(clock.now - seconds(5));  // a cancelled try
  a.picked_at.push_back(clock.now);
  balancer.RecordResult(a, false, clock.now + milliseconds(2));
  EXPECT_NEAR(a.rtt.Nanos(clock.now + milliseconds(2), options.peak_ewma) / kNanosPerMs, 2,
              kToleranceMs);
  EXPECT_TRUE(a.picked_at.empty());

  // Another policy: nothing is tracked.
  options.policy = kRoundRobin;
  ASSERT_TRUE(balancer.Update(options, {{"a:1"}, {"c:1"}}).ok());
  ASSERT_TRUE(balancer.Pick(nullptr, {}, clock.now).ok());
  EXPECT_TRUE(a.picked_at.empty() && c.picked_at.empty());
}

}  // namespace
}  // namespace switchboard::lb
