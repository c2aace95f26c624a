#include "lb/policy.h"

#include <gtest/gtest.h>

#include <map>

#include "lb/least_request.h"
#include "lb/round_robin.h"
#include "lb/weighted_round_robin.h"

namespace switchboard::lb {
namespace {

std::vector<Candidate> Three() {
  return {{"a:1", 1, 0, true}, {"b:1", 1, 0, true}, {"c:1", 1, 0, true}};
}

TEST(RoundRobin, CyclesAndSkipsUnusable) {
  RoundRobin policy;
  auto c = Three();
  EXPECT_EQ(policy.Pick(c, nullptr), 0);
  EXPECT_EQ(policy.Pick(c, nullptr), 1);
  EXPECT_EQ(policy.Pick(c, nullptr), 2);
  EXPECT_EQ(policy.Pick(c, nullptr), 0);
  c[1].usable = false;
  EXPECT_EQ(policy.Pick(c, nullptr), 2);
  EXPECT_EQ(policy.Pick(c, nullptr), 0);
  EXPECT_EQ(policy.Pick(c, nullptr), 2);
  for (auto& x : c) x.usable = false;
  EXPECT_EQ(policy.Pick(c, nullptr), -1);
  EXPECT_EQ(policy.Pick({}, nullptr), -1);
}

TEST(LeastRequest, PrefersFewerInFlightAndNeverUnusable) {
  LeastRequest policy(7);
  auto c = Three();
  c[0].in_flight = 10;
  c[1].in_flight = 10;
  c[2].in_flight = 0;
  std::map<int, int> picks;
  for (int i = 0; i < 3000; ++i) ++picks[policy.Pick(c, nullptr)];
  // c is in the drawn pair 2/3 of the time and always wins it.
  EXPECT_NEAR(picks[2], 2000, 150);
  c[2].usable = false;
  for (int i = 0; i < 100; ++i) EXPECT_NE(policy.Pick(c, nullptr), 2);
  c[0].usable = false;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(policy.Pick(c, nullptr), 1);
  c[1].usable = false;
  EXPECT_EQ(policy.Pick(c, nullptr), -1);
}

TEST(LeastRequest, EqualLoadSpreadsEvenly) {
  LeastRequest policy(1);
  auto c = Three();
  std::map<int, int> picks;
  for (int i = 0; i < 9000; ++i) ++picks[policy.Pick(c, nullptr)];
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(picks[i], 3000, 200) << i;
}

TEST(WeightedRoundRobin, SmoothSequenceAndExactSplit) {
  std::vector<Candidate> c = {{"a:1", 5, 0, true}, {"b:1", 1, 0, true}, {"c:1", 1, 0, true}};
  WeightedRoundRobin policy(c.size());
  std::string sequence;
  for (int i = 0; i < 7; ++i) sequence.push_back(static_cast<char>('a' + policy.Pick(c, nullptr)));
  EXPECT_EQ(sequence, "aabacaa");  // nginx's documented order for 5:1:1

  std::vector<Candidate> d = {{"a:1", 1, 0, true}, {"b:1", 2, 0, true}, {"c:1", 3, 0, true}};
  WeightedRoundRobin split(d.size());
  std::map<int, int> picks;
  for (int i = 0; i < 600; ++i) ++picks[split.Pick(d, nullptr)];
  EXPECT_EQ(picks[0], 100);
  EXPECT_EQ(picks[1], 200);
  EXPECT_EQ(picks[2], 300);
  d[2].usable = false;
  picks.clear();
  for (int i = 0; i < 300; ++i) ++picks[split.Pick(d, nullptr)];
  EXPECT_EQ(picks[2], 0);
  EXPECT_NEAR(picks[0], 100, 1);
}

TEST(NewPolicy, KnowsEveryNameAndRejectsOthers) {
  auto c = Three();
  for (const char* name : {kRoundRobin, kLeastRequest, kWeighted, kRingHash}) {
    auto policy = NewPolicy(name, c, 1);
    ASSERT_TRUE(policy.ok()) << name;
    EXPECT_GE((*policy)->Pick(c, nullptr), 0) << name;
  }
  auto bad = NewPolicy("random", c, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("random"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::lb
