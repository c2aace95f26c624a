#include "xds/replica_address.h"

#include <gtest/gtest.h>

namespace switchboard::xds {
namespace {

TEST(ReplicaAddress, AcceptsIpLiterals) {
  auto v4 = ParseReplicaAddress("127.0.0.1:50051");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->ip, "127.0.0.1");
  EXPECT_EQ(v4->port, 50051u);
  auto v6 = ParseReplicaAddress("[::1]:1");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->ip, "::1");
  EXPECT_EQ(v6->port, 1u);
}

TEST(ReplicaAddress, RefusesWhatClientsCannotUse) {
  struct Case {
    const char* text;
    const char* expected;
  } cases[] = {
      {"", "empty"},
      {"127.0.0.1", "no port"},
      {"localhost:50051", "IPv4 literal"},
      {"::1:50051", "IPv4 literal"},
      {"[127.0.0.1]:5", "IPv4 literal"},
      {"127.0.0.1:0", "port \"0\""},
      {"127.0.0.1:65536", "port \"65536\""},
      {"127.0.0.1:-3", "port \"-3\""},
      {"127.0.0.1:80x", "port \"80x\""},
      {"1.2.3.4.5:80", "IPv4 literal"},
  };
  for (const auto& c : cases) {
    auto address = ParseReplicaAddress(c.text);
    ASSERT_FALSE(address.ok()) << c.text;
    EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(address.status().message());
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.text << ": " << message;
    EXPECT_NE(message.find("address \""), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace switchboard::xds
