// The services.ticket block: its defaults, an override, and errors that name the bad key.
#include "services/ticket/ticket_config.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace switchboard::ticket {
namespace {

using std::chrono::milliseconds;

TEST(TicketConfig, DefaultsWithAnEmptyOrAbsentBlock) {
  for (const YAML::Node& block : {YAML::Load("{}"), YAML::Node()}) {
    auto config = ReadTicketConfig(block);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->database, "ticket.db");
    EXPECT_EQ(config->max_seats_per_reservation, 10);
    EXPECT_EQ(config->deadline_policy.default_timeout, milliseconds(10000));
    EXPECT_EQ(config->deadline_policy.max_timeout, milliseconds(60000));
    EXPECT_TRUE(config->deadline_policy.propagate);
  }
}

TEST(TicketConfig, OverridesAreRead) {
  auto config = ReadTicketConfig(
      YAML::Load("{database: events.db, max_seats_per_reservation: 10000, default_timeout: 2s,"
                 " max_timeout: 30s, propagate_deadlines: 0}"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->database, "events.db");
  EXPECT_EQ(config->max_seats_per_reservation, 10000);
  EXPECT_EQ(config->deadline_policy.default_timeout, milliseconds(2000));
  EXPECT_EQ(config->deadline_policy.max_timeout, milliseconds(30000));
  EXPECT_FALSE(config->deadline_policy.propagate);
}

TEST(TicketConfig, StoreIsSqliteUnlessAPostgresUrlIsGiven) {
  auto embedded = ReadTicketConfig(YAML::Load("{}"));
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  EXPECT_FALSE(embedded->store.postgres());
  auto shared = ReadTicketConfig(
      YAML::Load("{store: 'postgres://sb:pw@127.0.0.1:5432/switchboard', store_pool_size: 3}"));
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_TRUE(shared->store.postgres());
  EXPECT_EQ(shared->store.url, "postgres://sb:pw@127.0.0.1:5432/switchboard");
  EXPECT_EQ(shared->store.pool_size, 3);
}

TEST(TicketConfig, BadSettingsAreNamed) {
  struct Case {
    std::string yaml;
    std::string message;
  } cases[] = {
      {"{max_seats_per_reservation: 0}",
       "services.ticket.max_seats_per_reservation: 0 is outside 1..10000"},
      {"{max_seats_per_reservation: 10001}",
       "services.ticket.max_seats_per_reservation: 10001 is outside 1..10000"},
      {"{colour: red}",
       "services.ticket.colour: unknown setting (known: port, database, max_seats_per_reservation,"
       " default_timeout, max_timeout, propagate_deadlines, store, store_pool_size)"},
      {"{store: 'mysql://u@h:1/db'}",
       "services.ticket.store: the store URL does not start with postgres:// (expected e.g. "
       "postgres://user@127.0.0.1:5432/switchboard)"},
      {"{store: 'postgres://u:secret@h/db'}",
       "services.ticket.store: the store URL has no port 1..65535 (expected e.g. "
       "postgres://user@127.0.0.1:5432/switchboard)"},
      {"{store: 'postgres://u@h:5432/db', store_pool_size: 0}",
       "services.ticket.store_pool_size: 0 is outside 1..256"},
  };
  for (const auto& c : cases) {
    auto config = ReadTicketConfig(YAML::Load(c.yaml));
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_EQ(std::string(config.status().message()), c.message) << c.yaml;
  }
}

}  // namespace
}  // namespace switchboard::ticket
