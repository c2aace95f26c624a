// Store URLs: what parses, what is refused and why, and that no message shows a password.
#include "common/store/store_config.h"

#include <gtest/gtest.h>

namespace switchboard::common::store {
namespace {

TEST(StoreConfig, PostgresUrlsParse) {
  auto url = ParsePostgresUrl("postgres://sb:s3cret@db.internal:6543/bookings?sslmode=require");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->user, "sb");
  EXPECT_EQ(url->host, "db.internal");
  EXPECT_EQ(url->port, 6543);
  EXPECT_EQ(url->database, "bookings");
  EXPECT_TRUE(ParsePostgresUrl("postgresql://sb@127.0.0.1:5432/switchboard").ok());
}

TEST(StoreConfig, BadUrlsSayWhatIsMissing) {
  struct Case {
    std::string url;
    std::string message;
  } cases[] = {
      {"sqlite://x", "does not start with postgres://"},
      {"postgres://127.0.0.1:5432/db", "has no user@"},
      {"postgres://sb@127.0.0.1:5432", "has no /database"},
      {"postgres://sb@127.0.0.1/db", "has no port 1..65535"},
      {"postgres://sb@127.0.0.1:0/db", "has no port 1..65535"},
      {"postgres://sb@127.0.0.1:65536/db", "has no port 1..65535"},
      {"postgres://sb@:5432/db", "has no host"},
      {"postgres://sb@127.0.0.1:5432/", "has no database"},
      {"postgres://:pw@127.0.0.1:5432/db", "has no user"},
  };
  for (const auto& c : cases) {
    auto parsed = ParsePostgresUrl(c.url);
    ASSERT_FALSE(parsed.ok()) << c.url;
    EXPECT_EQ(parsed.status().message(), c.message) << c.url;
  }
}

TEST(StoreConfig, NoMessageShowsThePassword) {
  EXPECT_EQ(RedactedUrl("postgres://sb:s3cret@127.0.0.1:5432/db?password=s3cret"),
            "postgres://sb@127.0.0.1:5432/db");
  for (const char* url : {"postgres://sb:s3cret@127.0.0.1/db", "postgres://sb:s3cret@h:1"}) {
    auto bad = ValidatePostgresUrl(url);
    ASSERT_FALSE(bad.ok()) << url;
    EXPECT_EQ(std::string(bad.message()).find("s3cret"), std::string::npos) << bad;
    EXPECT_EQ(RedactedUrl(url).find("s3cret"), std::string::npos);
  }
}

}  // namespace
}  // namespace switchboard::common::store
