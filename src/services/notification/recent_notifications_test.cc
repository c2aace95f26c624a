// RecentNotifications: what a resuming subscriber gets, and the window's count and age limits.
#include "services/notification/recent_notifications.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace switchboard::notification {
namespace {

v1::Notification Made(const std::string& id, const std::string& user_id) {
  v1::Notification notification;
  notification.set_id(id);
  notification.set_user_id(user_id);
  return notification;
}

std::vector<std::string> Ids(const std::vector<v1::Notification>& notifications) {
  std::vector<std::string> ids;
  for (const auto& n : notifications) ids.push_back(n.id());
  return ids;
}

TEST(RecentNotifications, AfterGivesTheUsersLaterOnesOldestFirst) {
  RecentNotifications recent({100, std::chrono::seconds(60)});
  recent.Add(Made("a1", "alice"), 0);
  recent.Add(Made("b1", "bob"), 1);
  recent.Add(Made("a2", "alice"), 2);
  recent.Add(Made("a3", "alice"), 3);
  auto after = recent.After("alice", "a1", 4);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(Ids(*after), (std::vector<std::string>{"a2", "a3"}));
  after = recent.After("alice", "a3", 4);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
}

TEST(RecentNotifications, UnknownExpiredOrForeignIdsAreRefused) {
  RecentNotifications recent({3, std::chrono::milliseconds(1000)});
  recent.Add(Made("a1", "alice"), 0);
  EXPECT_EQ(recent.After("alice", "nope", 0).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(recent.After("bob", "a1", 0).status().code(), absl::StatusCode::kInvalidArgument);
  // Aged out.
  EXPECT_EQ(recent.After("alice", "a1", 1001).status().code(), absl::StatusCode::kOutOfRange);
  // Pushed out by count.
  for (int i = 0; i < 4; ++i) recent.Add(Made("x" + std::to_string(i), "alice"), 2000);
  EXPECT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent.After("alice", "x0", 2000).status().code(), absl::StatusCode::kOutOfRange);
  auto after = recent.After("alice", "x1", 2000);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Ids(*after), (std::vector<std::string>{"x2", "x3"}));
  EXPECT_NE(recent.After("alice", "x0", 2000).status().message().find("retention window"),
            std::string::npos);
}

}  // namespace
}  // namespace switchboard::notification
