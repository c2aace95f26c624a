// The stock service's settings block (services.stock in the system config), with its defaults.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace switchboard::stock {

struct StockConfig {
  // Seed of every symbol's random walk: the same seed replays the same prices.
  int64_t seed = 42;
  // How often the feed moves every generated symbol.
  std::chrono::milliseconds tick_interval{100};
  // Symbols driven by the random walk; others appear when published. AAPL is here because the
  // contract's own example watches it.
  std::vector<std::string> symbols = {"AAPL", "ACME", "GRPC", "HTTP", "PROTO", "QUIC"};
  // Updates queued per watch stream before the oldest is dropped (1: the newest price wins).
  int64_t stream_queue = 1;
  // Concurrent WatchStockPrice streams; more are refused with RESOURCE_EXHAUSTED.
  int64_t max_streams = 20000;
  // Symbols tracked in all (configured plus published), so publishers cannot grow memory
  // without bound.
  int64_t max_symbols = 10000;
  // With a shared bus: how long the replica moving the prices keeps that role after it stops
  // renewing it (dies, hangs); another takes over within about this long.
  std::chrono::milliseconds leader_lease{2000};
};

// Reads `settings` over the defaults; an unknown key or bad value is an error naming it
// ("services.stock.tick_interval: ...").
absl::StatusOr<StockConfig> ParseStockConfig(const YAML::Node& settings);

}  // namespace switchboard::stock
