// The settings block: defaults, overrides, and a message naming every bad key or value.
#include "services/stock/stock_config.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::stock {
namespace {

TEST(StockConfig, Defaults) {
  auto config = ParseStockConfig(YAML::Load("{}"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->seed, 42);
  EXPECT_EQ(config->tick_interval, std::chrono::milliseconds(100));
  EXPECT_EQ(config->symbols,
            (std::vector<std::string>{"AAPL", "ACME", "GRPC", "HTTP", "PROTO", "QUIC"}));
  EXPECT_EQ(config->stream_queue, 1);
  EXPECT_EQ(config->max_streams, 20000);
  EXPECT_EQ(config->leader_lease, std::chrono::seconds(2));
  EXPECT_TRUE(ParseStockConfig(YAML::Node()).ok());  // no block at all
}

TEST(StockConfig, Overrides) {
  auto config = ParseStockConfig(YAML::Load(
      "{seed: 7, tick_interval: 250ms, symbols: [BRK.B, X], stream_queue: 4, max_streams: 10,"
      " max_symbols: 50, leader_lease: 5s}"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->seed, 7);
  EXPECT_EQ(config->tick_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(config->symbols, (std::vector<std::string>{"BRK.B", "X"}));
  EXPECT_EQ(config->stream_queue, 4);
  EXPECT_EQ(config->max_streams, 10);
  EXPECT_EQ(config->max_symbols, 50);
  EXPECT_EQ(config->leader_lease, std::chrono::seconds(5));
}

TEST(StockConfig, BadSettingsAreNamed) {
  struct Case {
    std::string yaml;
    std::string mentions;
  } cases[] = {
      {"{colour: red}", "services.stock.colour"},
      {"{seed: -1}", "services.stock.seed"},
      {"{seed: many}", "services.stock.seed"},
      {"{tick_interval: 0ms}", "services.stock.tick_interval"},
      {"{tick_interval: soon}", "services.stock.tick_interval"},
      {"{symbols: ACME}", "services.stock.symbols"},
      {"{symbols: [acme]}", "services.stock.symbols"},
      {"{symbols: [ACME, ACME]}", "services.stock.symbols"},
      {"{symbols: [A, B, C], max_symbols: 2}", "services.stock.symbols"},
      {"{stream_queue: 0}", "services.stock.stream_queue"},
      {"{max_streams: 0}", "services.stock.max_streams"},
      {"{leader_lease: 100ms}", "services.stock.leader_lease"},
      {"{leader_lease: 2m}", "services.stock.leader_lease"},
  };
  for (const auto& c : cases) {
    auto config = ParseStockConfig(YAML::Load(c.yaml));
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_NE(config.status().message().find(c.mentions), std::string::npos)
        << c.yaml << ": " << config.status().message();
  }
}

}  // namespace
}  // namespace switchboard::stock
