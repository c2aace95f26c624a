#include "common/system_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace switchboard::common {
namespace {

std::string WriteTemp(const std::string& text) {
  char pattern[] = "/tmp/sb-config-XXXXXX";
  const int fd = mkstemp(pattern);
  close(fd);
  std::ofstream(pattern) << text;
  return pattern;
}

TEST(SystemConfig, DefaultsMatchTheDocumentedPorts) {
  const SystemConfig config = DefaultSystemConfig();
  EXPECT_EQ(config.AddressOf("ticket"), "127.0.0.1:50051");
  EXPECT_EQ(config.AddressOf("booking"), "127.0.0.1:50061");
  EXPECT_EQ(config.AddressOf("chat"), "127.0.0.1:50131");
  EXPECT_TRUE(config.Validate().ok());
  EXPECT_EQ(config.data_dir, "./var");
  EXPECT_EQ(config.gateway_port, 8080);
  EXPECT_EQ(config.services.size(), 9u);
}

TEST(SystemConfig, FileOverridesDefaults) {
  const std::string path = WriteTemp(
      "host: 127.0.0.2\ndata_dir: /tmp/x\nservices:\n  stock: {port: 6000, seed: 7}\n");
  auto config = LoadSystemConfig(path);
  std::remove(path.c_str());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->AddressOf("stock"), "127.0.0.2:6000");
  EXPECT_EQ(config->services.at("stock").settings["seed"].as<int>(), 7);
  EXPECT_EQ(config->AddressOf("ticket"), "127.0.0.2:50051");
}

TEST(SystemConfig, CorsOriginsRoundTrip) {
  const std::string path =
      WriteTemp("cors_allow_origins: [\"http://localhost:5173\", \"https://app.example\"]\n");
  auto config = LoadSystemConfig(path);
  std::remove(path.c_str());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cors_allow_origins,
            (std::vector<std::string>{"http://localhost:5173", "https://app.example"}));
  const std::string again = WriteTemp(SystemConfigToYaml(*config));
  auto reread = LoadSystemConfig(again);
  std::remove(again.c_str());
  ASSERT_TRUE(reread.ok()) << reread.status();
  EXPECT_EQ(reread->cors_allow_origins, config->cors_allow_origins);
}

TEST(SystemConfig, TheBusIsInProcessUnlessTheFileNamesNats) {
  EXPECT_EQ(DefaultSystemConfig().bus.kind, "inprocess");
  EXPECT_FALSE(DefaultSystemConfig().bus.shared());
  EXPECT_EQ(SystemConfigToYaml(DefaultSystemConfig()).find("bus"), std::string::npos);
  const std::string path = WriteTemp("bus: {kind: nats, url: \"nats://127.0.0.1:4333\"}\n");
  auto config = LoadSystemConfig(path);
  std::remove(path.c_str());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->bus.shared());
  EXPECT_EQ(config->bus.url, "nats://127.0.0.1:4333");
  // The config `up` writes for its children carries the bus to every replica.
  const std::string written = WriteTemp(SystemConfigToYaml(*config));
  auto reread = LoadSystemConfig(written);
  std::remove(written.c_str());
  ASSERT_TRUE(reread.ok()) << reread.status();
  EXPECT_EQ(reread->bus.kind, "nats");
  EXPECT_EQ(reread->bus.url, "nats://127.0.0.1:4333");
  // Naming only the kind takes the default URL.
  const std::string kind_only = WriteTemp("bus: {kind: nats}\n");
  auto defaulted = LoadSystemConfig(kind_only);
  std::remove(kind_only.c_str());
  ASSERT_TRUE(defaulted.ok()) << defaulted.status();
  EXPECT_EQ(defaulted->bus.url, "nats://127.0.0.1:4222");
}

TEST(SystemConfig, TheStoreIsSqliteUnlessTheFileNamesPostgres) {
  EXPECT_FALSE(DefaultSystemConfig().store.postgres());
  EXPECT_EQ(SystemConfigToYaml(DefaultSystemConfig()).find("store"), std::string::npos);
  const std::string path = WriteTemp(
      "store: \"postgres://sb:pw@127.0.0.1:5433/switchboard\"\n"
      "services:\n  booking: {store: \"postgres://other@127.0.0.1:5434/bookings\"}\n");
  auto config = LoadSystemConfig(path);
  std::remove(path.c_str());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->store.url, "postgres://sb:pw@127.0.0.1:5433/switchboard");
  EXPECT_EQ(config->store.pool_size, 8);
  // Every service with a store gets the system's, unless its block names its own.
  const YAML::Node& ticket = config->services.at("ticket").settings;
  EXPECT_EQ(ticket["store"].as<std::string>(), "postgres://sb:pw@127.0.0.1:5433/switchboard");
  EXPECT_EQ(ticket["store_pool_size"].as<int>(), 8);
  EXPECT_EQ(config->services.at("booking").settings["store"].as<std::string>(),
            "postgres://other@127.0.0.1:5434/bookings");
  EXPECT_FALSE(config->services.at("stock").settings["store"]);
  // The config `up` writes for its children carries the store to every replica.
  const std::string written = WriteTemp(SystemConfigToYaml(*config));
  auto reread = LoadSystemConfig(written);
  std::remove(written.c_str());
  ASSERT_TRUE(reread.ok()) << reread.status();
  EXPECT_EQ(reread->store.url, config->store.url);
  EXPECT_EQ(reread->services.at("booking").settings["store"].as<std::string>(),
            "postgres://other@127.0.0.1:5434/bookings");
  // The map form sets the pool size.
  const std::string sized =
      WriteTemp("store: {url: \"postgres://sb@127.0.0.1:5433/db\", pool_size: 3}\n");
  auto with_size = LoadSystemConfig(sized);
  std::remove(sized.c_str());
  ASSERT_TRUE(with_size.ok()) << with_size.status();
  EXPECT_EQ(with_size->store.pool_size, 3);
  EXPECT_EQ(with_size->services.at("booking").settings["store_pool_size"].as<int>(), 3);
}

TEST(SystemConfig, ScaleIsOffUnlessTheFileTurnsItOn) {
  EXPECT_FALSE(DefaultSystemConfig().scale);
  const std::string on = WriteTemp("scale: true\n");
  auto config = LoadSystemConfig(on);
  std::remove(on.c_str());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->scale);
  const std::string bad = WriteTemp("scale: maybe\n");
  auto refused = LoadSystemConfig(bad);
  std::remove(bad.c_str());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("scale"), std::string::npos) << refused.status();
}

TEST(SystemConfig, ReplicasTakeConsecutivePortsAndOneTargetReachesAll) {
  SystemConfig config = DefaultSystemConfig();
  ASSERT_TRUE(ApplyReplicaCounts("ticket=3,stock=2", config).ok());
  EXPECT_EQ(config.ReplicaAddresses("ticket"),
            (std::vector<std::string>{"127.0.0.1:50051", "127.0.0.1:50052", "127.0.0.1:50053"}));
  EXPECT_EQ(config.Peers().at("ticket"), "ipv4:127.0.0.1:50051,127.0.0.1:50052,127.0.0.1:50053");
  EXPECT_EQ(config.Peers().at("stock"), "ipv4:127.0.0.1:50111,127.0.0.1:50112");
  EXPECT_EQ(config.Peers().at("user"), "127.0.0.1:50091");
  // The effective config written for the children keeps the counts.
  EXPECT_NE(SystemConfigToYaml(config).find("replicas: 3"), std::string::npos);
}

TEST(SystemConfig, BadReplicaFlagsNameThePart) {
  struct Case {
    const char* spec;
    const char* expected;
  } cases[] = {
      {"ticket", "\"ticket\" is not service=count"},
      {"ticket=x", "is not service=count"},
      {"nosuch=2", "unknown service \"nosuch\""},
      {"ticket=0", "ticket=0 is outside 1..10"},
      {"ticket=11", "ticket=11 is outside 1..10"},
  };
  for (const auto& c : cases) {
    SystemConfig config = DefaultSystemConfig();
    const absl::Status status = ApplyReplicaCounts(c.spec, config);
    ASSERT_FALSE(status.ok()) << c.spec;
    EXPECT_NE(std::string(status.message()).find(c.expected), std::string::npos)
        << status.message();
  }
}

TEST(SystemConfig, BadFilesNameTheKey) {
  struct Case {
    const char* yaml;
    const char* expected;
  } cases[] = {
      {"colour: blue\n", "colour: unknown key"},
      {"services:\n  nosuch: {}\n", "services.nosuch: unknown service"},
      {"services:\n  ticket: {port: 99999}\n", "services.ticket.port"},
      {"services:\n  ticket: [1]\n", "services.ticket: expected a map"},
      {"host: [a]\n", "host: expected"},
      {"services: {ticket: {port: 1}\n", "yaml"},
      {"services:\n  ticket: {replicas: 11}\n", "services.ticket.replicas: 11 is outside 1..10"},
      {"services:\n  ticket: {replicas: many}\n", "services.ticket.replicas: expected a count"},
      {"services:\n  ticket: {port: 50051, replicas: 3}\n  booking: {port: 50053}\n",
       "reach port 50053 of booking"},
      {"host: localhost\nservices:\n  ticket: {replicas: 2}\n", "is not an IP address"},
      {"client_lb: random\n", "client_lb: \"random\" is not round_robin or pick_first"},
      {"cors_allow_origins: https://a.example\n", "cors_allow_origins: expected a list"},
      {"cors_allow_origins: [\"\"]\n", "cors_allow_origins: expected each origin"},
      {"bus: nats\n", "bus: expected a map"},
      {"bus: {kind: kafka}\n", "bus.kind: \"kafka\" is not inprocess or nats"},
      {"bus: {kind: nats, url: 127.0.0.1:4222}\n", "bus.url: \"127.0.0.1:4222\" does not start"},
      {"bus: {kind: nats, url: \"nats://h:0\"}\n", "bus.url: \"nats://h:0\" has no port"},
      {"bus: {kind: nats, colour: red}\n", "bus.colour: unknown key (known: kind, url)"},
      {"store: mysql://sb@h:1/db\n", "store: the store URL does not start with postgres://"},
      {"store: \"postgres://sb:pw@h/db\"\n", "store: the store URL has no port 1..65535"},
      {"store: [1]\n", "store: expected a postgres:// URL or {url: postgres://..."},
      {"store: {pool_size: 4}\n", "store.url: missing"},
      {"store: {url: \"postgres://sb@h:5432/db\", pool_size: 0}\n",
       "store.pool_size: \"0\" is not a count 1..256"},
      {"store: {url: \"postgres://sb@h:5432/db\", colour: red}\n",
       "store.colour: unknown key (known: url, pool_size)"},
  };
  for (const auto& c : cases) {
    const std::string path = WriteTemp(c.yaml);
    auto config = LoadSystemConfig(path);
    std::remove(path.c_str());
    ASSERT_FALSE(config.ok()) << c.yaml;
    const std::string message(config.status().message());
    if (std::string(c.expected) != "yaml") {
      EXPECT_NE(message.find(c.expected), std::string::npos) << message;
    }
  }
}

TEST(Settings, ReadsValuesAndRejectsUnknownKeys) {
  YAML::Node node = YAML::Load("{seed: 5, tick_interval: 250ms, extra: 1}");
  Settings settings(node, "services.stock");
  EXPECT_EQ(settings.Int("seed", 1, 0, 100), 5);
  EXPECT_EQ(settings.Duration("tick_interval", std::chrono::milliseconds(100),
                              std::chrono::milliseconds(1), std::chrono::milliseconds(60000))
                .count(),
            250);
  auto status = settings.Finish();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("services.stock.extra: unknown setting"), std::string::npos)
      << status;
}

TEST(Settings, ReportsOutOfRangeValues) {
  YAML::Node node = YAML::Load("{seed: 500, tick_interval: fast}");
  Settings settings(node, "services.stock");
  EXPECT_EQ(settings.Int("seed", 1, 0, 100), 1);
  settings.Duration("tick_interval", std::chrono::milliseconds(100), std::chrono::milliseconds(1),
                    std::chrono::milliseconds(60000));
  auto status = settings.Finish();
  EXPECT_NE(status.message().find("services.stock.seed: 500 is outside 0..100"),
            std::string::npos)
      << status;
}

}  // namespace
}  // namespace switchboard::common
