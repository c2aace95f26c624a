// Token buckets with an injected clock: the burst, the refill, Retry-After, and the bound on
// the number of buckets that a client rotating keys runs into.
#include "gateway/limits/token_buckets.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace switchboard::gateway::limits {
namespace {

using std::chrono::milliseconds;

class TokenBucketsTest : public ::testing::Test {
 protected:
  TokenBuckets Make(double rate, double burst, size_t max_keys = 100) {
    return TokenBuckets(rate, burst, max_keys, [this] { return now_; });
  }
  TokenBuckets::Clock::time_point now_{std::chrono::seconds(1000)};
};

TEST_F(TokenBucketsTest, BurstThenRefusedUntilRefilled) {
  auto buckets = Make(/*rate=*/2, /*burst=*/5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(buckets.Take("a").allowed) << i;
  const auto refused = buckets.Take("a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(refused.retry_after), milliseconds(500));
  now_ += milliseconds(499);
  EXPECT_FALSE(buckets.Take("a").allowed);
  now_ += milliseconds(1);
  EXPECT_TRUE(buckets.Take("a").allowed);
  EXPECT_FALSE(buckets.Take("a").allowed);
  // Idle long enough, the bucket is full again, never fuller.
  now_ += std::chrono::seconds(60);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(buckets.Take("a").allowed) << i;
  EXPECT_FALSE(buckets.Take("a").allowed);
}

TEST_F(TokenBucketsTest, KeysHaveTheirOwnBuckets) {
  auto buckets = Make(1, 1);
  EXPECT_TRUE(buckets.Take("a").allowed);
  EXPECT_FALSE(buckets.Take("a").allowed);
  EXPECT_TRUE(buckets.Take("b").allowed);
  EXPECT_FALSE(buckets.Take("b").allowed);
}

TEST_F(TokenBucketsTest, RotatingKeysCannotGrowMemory) {
  auto buckets = Make(1, 1, /*max_keys=*/10);
  for (int i = 0; i < 10000; ++i) buckets.Take(absl::StrCat("attacker-", i));
  EXPECT_EQ(buckets.size(), 10u);
  // Long keys are held as their hash: the size of a bucket does not follow the client.
  buckets.Take(std::string(1 << 20, 'k'));
  EXPECT_EQ(buckets.size(), 10u);
}

TEST_F(TokenBucketsTest, TheLeastRecentlyUsedBucketIsEvicted) {
  auto buckets = Make(1, 1, /*max_keys=*/2);
  EXPECT_TRUE(buckets.Take("a").allowed);
  EXPECT_TRUE(buckets.Take("b").allowed);
  EXPECT_FALSE(buckets.Take("a").allowed);  // a is now the most recent
  EXPECT_TRUE(buckets.Take("c").allowed);   // evicts b
  EXPECT_FALSE(buckets.Take("a").allowed);  // a kept its empty bucket
  EXPECT_TRUE(buckets.Take("b").allowed);   // b starts full again
}

}  // namespace
}  // namespace switchboard::gateway::limits
