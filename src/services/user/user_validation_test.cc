// Table-driven tests of the UserService input rules.
#include "services/user/user_validation.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::user {
namespace {

TEST(NormalizeEmail, AcceptsAndLowercases) {
  struct Case {
    std::string in;
    std::string out;
  } cases[] = {
      {"a@b", "a@b"},
      {"Ada.Lovelace@Example.COM", "ada.lovelace@example.com"},
      {std::string(250, 'x') + "@y.z", std::string(250, 'x') + "@y.z"},  // 254 bytes
  };
  for (const auto& c : cases) {
    auto email = NormalizeEmail(c.in);
    ASSERT_TRUE(email.ok()) << c.in.substr(0, 20) << ": " << email.status();
    EXPECT_EQ(*email, c.out);
  }
}

TEST(NormalizeEmail, RejectsMalformed) {
  const std::string cases[] = {
      "", "a@", "@b", "ab", "a@b@c", "abc", "@@@", std::string(251, 'x') + "@y.z",  // 255
  };
  for (const auto& c : cases) {
    auto email = NormalizeEmail(c);
    ASSERT_FALSE(email.ok()) << c;
    EXPECT_EQ(email.status().code(), absl::StatusCode::kInvalidArgument) << c;
    EXPECT_EQ(email.status().message().rfind("email:", 0), 0u) << email.status();
  }
}

TEST(ValidateDisplayName, Bounds) {
  EXPECT_TRUE(ValidateDisplayName("A").ok());
  EXPECT_TRUE(ValidateDisplayName(std::string(kMaxDisplayNameBytes, 'n')).ok());
  for (const std::string& bad : {std::string(), std::string(kMaxDisplayNameBytes + 1, 'n')}) {
    auto s = ValidateDisplayName(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("display_name"), std::string::npos) << s;
  }
}

TEST(ValidateUserId, Bounds) {
  EXPECT_TRUE(ValidateUserId("usr_0123456789abcdef").ok());
  EXPECT_EQ(ValidateUserId("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateUserId(std::string(kMaxUserIdBytes + 1, 'u')).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(QuoteForMessage, EscapesAndShortens) {
  EXPECT_EQ(QuoteForMessage("a\nb"), "\"a\\nb\"");
  EXPECT_EQ(QuoteForMessage(std::string(1000, 'x')).size(), 40u + 5u);
}

}  // namespace
}  // namespace switchboard::user
