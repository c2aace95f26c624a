// Range headers a download takes, and the ones it answers whole.
#include "raw_body.h"

#include <gtest/gtest.h>

namespace switchboard::gateway::rest {
namespace {

TEST(ParseRangeHeaderTest, TakesOneRangeFromAByte) {
  struct Case {
    const char* header;
    int64_t first;
    std::optional<int64_t> last;
  };
  for (const Case& c :
       {Case{"bytes=0-0", 0, 0}, Case{"bytes=10-19", 10, 19}, Case{"bytes=5-", 5, std::nullopt},
        Case{"bytes=0-9223372036854775807", 0, INT64_MAX}}) {
    auto range = ParseRangeHeader(c.header);
    ASSERT_TRUE(range.has_value()) << c.header;
    EXPECT_EQ(range->first, c.first) << c.header;
    EXPECT_EQ(range->last, c.last) << c.header;
  }
}

TEST(ParseRangeHeaderTest, AnswersAnythingElseWhole) {
  for (const char* header :
       {"", "bytes=", "bytes=-5", "bytes=5-1", "bytes=0-1,3-4", "items=0-1", "bytes=a-b",
        "bytes= 1-2", "bytes=+1-2", "bytes=1-+2", "bytes=99999999999999999999-"}) {
    EXPECT_FALSE(ParseRangeHeader(header).has_value()) << header;
  }
}

TEST(RangeQueryTest, NamesOffsetAndLimit) {
  EXPECT_EQ(RangeQuery({10, 19}), "offset=10&limit=10");
  EXPECT_EQ(RangeQuery({7, std::nullopt}), "offset=7");
}

}  // namespace
}  // namespace switchboard::gateway::rest
