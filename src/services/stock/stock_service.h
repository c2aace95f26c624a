// StockService: live prices from one market feed per process, fanned out to every watcher.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bus/bus.h"
#include "common/bus/bus_health.h"
#include "common/service.h"
#include "services/stock/market_feed.h"
#include "services/stock/publish_reactor.h"
#include "services/stock/shared_feed.h"
#include "services/stock/stock_config.h"
#include "services/stock/ticker.h"

namespace switchboard::stock {

// What tests replace: the clock, and whether a thread moves prices on its own.
struct StockDeps {
  UnixMillisClock clock = SystemUnixMillis;
  // False: prices move only when a test calls feed().Tick().
  bool run_ticker = true;
  // A bus shared with other replicas (shared_feed.h); nullptr: this process's own feed.
  std::shared_ptr<bus::Bus> bus;
};

class StockGrpcService;

class StockService final : public common::Service {
 public:
  StockService(const StockConfig& config, StockDeps deps);
  // With a bus: declares the shared feed and starts applying it; UNAVAILABLE when the bus
  // refuses.
  absl::Status Start();
  ~StockService() override;

  std::vector<grpc::Service*> GrpcServices() override;
  // With a bus: NOT_SERVING while it is down (prices stop and PublishPrices fails), so health
  // checkers send new watches elsewhere; SERVING again once it is back.
  void AttachHealth(std::function<void(bool serving)> set_serving) override;
  // Stops the ticker and ends every watch and publish stream with UNAVAILABLE.
  void BeginShutdown() override;
  bool HasEndlessStreams() const override { return true; }

  MarketFeed& feed() { return feed_; }
  // Price updates dropped so far because watchers read too slowly.
  int64_t dropped_total() const { return feed_.DroppedTotal(); }
  int64_t open_watch_streams() const;
  // Null without a bus.
  SharedFeed* shared_feed() { return shared_.get(); }

 private:
  MarketFeed feed_;
  std::unique_ptr<SharedFeed> shared_;  // with a bus: where ticks and published prices go
  TickSink sink_;
  std::unique_ptr<StockGrpcService> grpc_service_;
  std::unique_ptr<Ticker> ticker_;  // stopped (destroyed) before what it ticks
  std::shared_ptr<bus::Bus> bus_;   // null without a bus; the one shared_ feeds from
  bus::BusHealth health_;           // last: stops before what it reports on
};

// The factory the registry uses: settings from options.settings ("services.stock").
absl::StatusOr<std::unique_ptr<common::Service>> MakeStockService(
    const common::ServiceOptions& options);

// The same with the dependencies tests replace.
absl::StatusOr<std::unique_ptr<StockService>> NewStockService(const common::ServiceOptions& options,
                                                              StockDeps deps);

}  // namespace switchboard::stock
