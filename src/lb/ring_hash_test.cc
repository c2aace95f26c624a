// RingHash and Hash64: stickiness, spread, minimal movement on removal, weights, and the hash
// values themselves, pinned so a key keeps its owner across restarts and builds.
#include "lb/ring_hash.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace switchboard::lb {
namespace {

std::vector<Candidate> Endpoints(const std::vector<std::string>& addresses) {
  static std::vector<std::string> storage;  // keeps the string_views valid for the test
  storage = addresses;
  std::vector<Candidate> out;
  for (const auto& a : storage) out.push_back({a, 1, 0, true});
  return out;
}

TEST(RingHash, SameKeySameEndpointAndSpread) {
  auto c = Endpoints({"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"});
  RingHash ring(c);
  EXPECT_EQ(ring.ring_size(), 300u);
  std::map<int, int> owners;
  for (int k = 0; k < 3000; ++k) {
    const std::string key = "room-" + std::to_string(k);
    const int first = ring.Pick(c, &key);
    EXPECT_EQ(ring.Pick(c, &key), first);
    ++owners[first];
  }
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(owners[i], 1000, 250) << i;
}

TEST(RingHash, RemovingAnEndpointMovesOnlyItsKeys) {
  const std::vector<std::string> all = {"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"};
  auto c3 = Endpoints(all);
  RingHash three(c3);
  std::map<std::string, std::string> before;
  for (int k = 0; k < 2000; ++k) {
    const std::string key = "user-" + std::to_string(k);
    before[key] = all[three.Pick(c3, &key)];
  }
  const std::vector<std::string> two = {"10.0.0.1:1", "10.0.0.3:1"};
  auto c2 = Endpoints(two);
  RingHash smaller(c2);
  int moved = 0;
  for (const auto& [key, owner] : before) {
    const std::string now = two[smaller.Pick(c2, &key)];
    if (owner != "10.0.0.2:1") {
      EXPECT_EQ(now, owner) << key;
    } else {
      ++moved;
    }
  }
  EXPECT_GT(moved, 400);
}

TEST(RingHash, UnusableOwnerFallsToNextAndNoKeyIsRoundRobin) {
  auto c = Endpoints({"a:1", "b:1", "c:1"});
  RingHash ring(c);
  const std::string key = "k";
  const int owner = ring.Pick(c, &key);
  c[owner].usable = false;
  const int next = ring.Pick(c, &key);
  EXPECT_NE(next, owner);
  EXPECT_GE(next, 0);
  c[owner].usable = true;
  EXPECT_EQ(ring.Pick(c, &key), owner);
  std::map<int, int> picks;
  for (int i = 0; i < 30; ++i) ++picks[ring.Pick(c, nullptr)];
  EXPECT_EQ(picks[0], 10);
  EXPECT_EQ(picks[1], 10);
  for (auto& x : c) x.usable = false;
  EXPECT_EQ(ring.Pick(c, &key), -1);
}

TEST(RingHash, WeightsScalePointsAndLargeWeightsAreBounded) {
  std::vector<Candidate> c = {{"a:1", 1, 0, true}, {"b:1", 3, 0, true}};
  RingHash ring(c);
  EXPECT_EQ(ring.ring_size(), 400u);
  std::vector<Candidate> heavy;
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back("h" + std::to_string(i) + ":1");
  for (const auto& n : names) heavy.push_back({n, 1000, 0, true});
  RingHash big(heavy);
  EXPECT_LE(big.ring_size(), RingHash::kMaxRingPoints);
  EXPECT_NE(Hash64("abc"), Hash64("abd"));
}

// A key's owner must not change when the gateway restarts: a chat room pinned to one replica
// would move (and its members split) if the hash were seeded per process or changed between
// builds. So the values are pinned as literals, computed once from FNV-1a + splitmix64 (and
// checked against an independent implementation), never from Hash64 itself.
TEST(RingHash, Hash64IsPinnedSoKeysKeepTheirOwnersAcrossRestarts) {
  const struct {
    const char* key;
    uint64_t hash;
  } kPinned[] = {
      {"", 0xf52a15e9a9b5e89bull},           {"a", 0x02c0bdbf481420f8ull},
      {"abc", 0x0dd490490804b508ull},        {"room-1", 0x8092b68d8a8c9e8cull},
      {"chat:lobby", 0xa43892c217aaff4bull}, {"user-42", 0x7a1596f0e94b5793ull},
  };
  for (const auto& pinned : kPinned) {
    EXPECT_EQ(Hash64(pinned.key), pinned.hash) << "\"" << pinned.key << "\"";
  }
  // The ring's points derive from the addresses alone, so a fresh ring over the same
  // endpoints gives every key the owner it had before the restart.
  const std::vector<std::string> addresses = {"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"};
  auto c = Endpoints(addresses);
  RingHash ring(c);
  const struct {
    const char* key;
    const char* owner;
  } kOwners[] = {
      {"room-1", "10.0.0.1:1"}, {"room-2", "10.0.0.3:1"}, {"room-3", "10.0.0.3:1"},
      {"room-4", "10.0.0.1:1"}, {"lobby", "10.0.0.1:1"},  {"general", "10.0.0.2:1"},
  };
  for (const auto& pinned : kOwners) {
    const std::string key = pinned.key;
    const int owner = ring.Pick(c, &key);
    ASSERT_GE(owner, 0) << key;
    EXPECT_EQ(addresses[static_cast<size_t>(owner)], pinned.owner) << key;
  }
}

}  // namespace
}  // namespace switchboard::lb
