// One price feed for every replica, through a shared bus. Every price goes on the bus, on one
// retained subject per symbol, and each replica applies what the bus delivers to its own
// MarketFeed, which fans it out to that replica's watchers: every watcher on every replica sees
// the same prices in the bus's one order. One replica, the holder of a lease on the bus, moves
// the random walks; when it dies its lease expires and another takes over, continuing from the
// last prices on the bus.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "common/bus/bus.h"
#include "services/stock/market_feed.h"

namespace switchboard::stock {

inline constexpr char kStockStream[] = "SB_STOCK";
inline constexpr char kStockLeaderLease[] = "SB_STOCK_LEADER";
inline constexpr char kEverySymbolSubject[] = "sb.stock.>";

// "sb.stock.<symbol in hex>" (symbols may hold '.', which separates subject tokens).
std::string SymbolSubject(const std::string& symbol);

class SharedFeed {
 public:
  // `holder` names this replica in the lease; `lease` is how long a leader that stops renewing
  // keeps the role.
  SharedFeed(MarketFeed* feed, std::shared_ptr<bus::Bus> bus, std::string holder,
             std::chrono::milliseconds lease, UnixMillisClock clock);
  ~SharedFeed();

  // Declares the stream and applies what the bus delivers: the last price of every symbol it
  // holds, then every new one.
  absl::Status Start();
  // PublishPrices: checks the tick, stamps it (0 = now) and publishes it for every replica.
  absl::Status Ingest(const v1::PriceUpdate& tick);
  // The ticker's step: the leader publishes the next step of every random walk; the others
  // only try to become leader (at most once per lease/3).
  void Tick();
  // Stops applying bus messages; called before the feed closes.
  void Stop();

  bool leader() const { return leader_.load(); }

 private:
  void Apply(const bus::Message& message);
  bool HoldLease();

  MarketFeed* const feed_;
  const std::shared_ptr<bus::Bus> bus_;
  const std::string holder_;
  const std::chrono::milliseconds lease_;
  const UnixMillisClock clock_;
  std::atomic<bool> leader_{false};
  int64_t last_attempt_ms_ = 0;  // ticker thread only
  int64_t held_since_ms_ = 0;    // last successful hold; ticker thread only
  std::mutex mutex_;             // guards subscription_
  std::unique_ptr<bus::Subscription> subscription_;
};

}  // namespace switchboard::stock
