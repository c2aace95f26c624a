#include "common/outbound_queue.h"

#include <gtest/gtest.h>

namespace switchboard::common {
namespace {

TEST(OutboundQueue, DropOldestKeepsTheNewestAndCountsDrops) {
  OutboundQueue<int> queue(2, Overflow::kDropOldest);
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(queue.Push(i));
  auto first = queue.Pop();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->message, 4);
  EXPECT_EQ(first->dropped_before, 3);
  auto second = queue.Pop();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->message, 5);
  EXPECT_EQ(second->dropped_before, 0);
  EXPECT_FALSE(queue.Pop());
  EXPECT_EQ(queue.dropped_total(), 3);
}

TEST(OutboundQueue, CapacityOneIsNewestWins) {
  OutboundQueue<int> queue(1, Overflow::kDropOldest);
  queue.Push(1);
  queue.Push(2);
  queue.Push(3);
  auto item = queue.Pop();
  EXPECT_EQ(item->message, 3);
  EXPECT_EQ(item->dropped_before, 2);
}

TEST(OutboundQueue, FailRefusesWhenFull) {
  OutboundQueue<int> queue(2, Overflow::kFail);
  EXPECT_TRUE(queue.Push(1));
  EXPECT_TRUE(queue.Push(2));
  EXPECT_FALSE(queue.Push(3));
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.Pop()->message, 1);
  EXPECT_TRUE(queue.Push(3));
}

}  // namespace
}  // namespace switchboard::common
