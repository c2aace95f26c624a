// Table-driven tests of the NotificationService input rules.
#include "services/notification/notification_validation.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::notification {
namespace {

v1::NotifyRequest Request(std::string user_id, std::string title, std::string body) {
  v1::NotifyRequest request;
  request.set_user_id(std::move(user_id));
  request.set_title(std::move(title));
  request.set_body(std::move(body));
  return request;
}

TEST(ValidateNotify, AcceptsTheLimits) {
  EXPECT_TRUE(ValidateNotify(Request("u", "t", "")).ok());
  EXPECT_TRUE(
      ValidateNotify(Request(std::string(kMaxUserIdBytes, 'u'), std::string(kMaxTitleBytes, 't'),
                             std::string(kMaxBodyBytes, 'b')))
          .ok());
}

TEST(ValidateNotify, RejectsNamingTheField) {
  struct Case {
    v1::NotifyRequest request;
    std::string field;
  } cases[] = {
      {Request("", "t", "b"), "user_id"},
      {Request(std::string(kMaxUserIdBytes + 1, 'u'), "t", "b"), "user_id"},
      {Request("u", "", "b"), "title"},
      {Request("u", std::string(kMaxTitleBytes + 1, 't'), "b"), "title"},
      {Request("u", "t", std::string(kMaxBodyBytes + 1, 'b')), "body"},
  };
  for (const auto& c : cases) {
    absl::Status status = ValidateNotify(c.request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(status.message().rfind(c.field + ":", 0), 0u) << status;
  }
}

TEST(ValidateSubscribe, UserIdBounds) {
  v1::SubscribeRequest request;
  EXPECT_EQ(ValidateSubscribe(request).code(), absl::StatusCode::kInvalidArgument);
  request.set_user_id(std::string(kMaxUserIdBytes + 1, 'u'));
  EXPECT_EQ(ValidateSubscribe(request).code(), absl::StatusCode::kInvalidArgument);
  request.set_user_id("usr_1");
  EXPECT_TRUE(ValidateSubscribe(request).ok());
}

}  // namespace
}  // namespace switchboard::notification
