// Subjects: validation, wildcard matching and the token an arbitrary id becomes.
#include "common/bus/subject.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::bus {
namespace {

TEST(Subject, ValidationNamesTheProblem) {
  struct Case {
    std::string subject;
    bool wildcards;
    bool ok;
  } cases[] = {
      {"sb.notify.616c696365", false, true},
      {"sb.stock.AAPL", false, true},
      {"sb.*.x", true, true},
      {"sb.>", true, true},
      {"sb.>", false, false},
      {"sb.>.x", true, false},
      {"", false, false},
      {"sb..x", false, false},
      {"sb.x.", false, false},
      {"sb.a b", false, false},
      {"sb.a/b", false, false},
      {std::string(kMaxSubjectBytes + 1, 'a'), false, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ValidateSubject(c.subject, c.wildcards).ok(), c.ok) << c.subject;
  }
  EXPECT_EQ(ValidateSubject("sb.a b", false).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Subject, WildcardsMatchAsNatsDoes) {
  EXPECT_TRUE(SubjectMatches("sb.stock.AAPL", "sb.stock.AAPL"));
  EXPECT_FALSE(SubjectMatches("sb.stock.AAPL", "sb.stock.ACME"));
  EXPECT_TRUE(SubjectMatches("sb.stock.*", "sb.stock.ACME"));
  EXPECT_FALSE(SubjectMatches("sb.stock.*", "sb.stock.ACME.x"));
  EXPECT_FALSE(SubjectMatches("sb.stock.*", "sb.stock"));
  EXPECT_TRUE(SubjectMatches("sb.>", "sb.stock.ACME"));
  EXPECT_FALSE(SubjectMatches("sb.>", "sb"));
  EXPECT_TRUE(SubjectMatches("*.stock.>", "sb.stock.ACME"));
  EXPECT_FALSE(SubjectMatches("sb.stock", "sb.stock.ACME"));
}

TEST(Subject, AnyIdBecomesOneDistinctToken) {
  EXPECT_EQ(SubjectToken("alice"), "616c696365");
  EXPECT_EQ(SubjectToken("a.b"), "612e62");
  EXPECT_NE(SubjectToken("a"), SubjectToken("a "));
  EXPECT_TRUE(ValidateSubject("sb.notify." + SubjectToken("*> \x01\xff"), false).ok());
}

}  // namespace
}  // namespace switchboard::bus
