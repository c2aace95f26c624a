#include "common/duration.h"

#include <gtest/gtest.h>

namespace switchboard::common {
namespace {

TEST(ParseDuration, AcceptsEveryUnit) {
  struct Case {
    const char* text;
    int64_t ms;
  } cases[] = {{"0ms", 0}, {"250ms", 250}, {"5s", 5000}, {"2m", 120000}, {"1h", 3600000}};
  for (const auto& c : cases) {
    auto parsed = ParseDuration(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status();
    EXPECT_EQ(parsed->count(), c.ms) << c.text;
  }
}

TEST(ParseDuration, RejectsMalformedInput) {
  for (const char* text : {"", "ms", "5", "5 s", "-5s", "5d", "1.5s", "99999999999999h"}) {
    auto parsed = ParseDuration(text);
    EXPECT_FALSE(parsed.ok()) << text;
    if (!parsed.ok()) EXPECT_NE(parsed.status().message().find("duration"), std::string::npos);
  }
}

TEST(FormatDuration, UsesTheLargestWholeUnit) {
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(5000)), "5s");
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(120000)), "2m");
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(0)), "0ms");
}

}  // namespace
}  // namespace switchboard::common
