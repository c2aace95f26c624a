// The market: the latest price of every symbol, a random walk per configured symbol, ticks
// published from outside, and the registry of subscribers each price change fans out to.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/stock/price_subscriber.h"
#include "services/stock/price_walk.h"
#include "switchboard/stock/v1/stock.pb.h"

namespace switchboard::stock {

// How streams ended by a server shutdown are told so.
inline constexpr char kShuttingDownMessage[] = "server shutting down";

// Unix time in milliseconds; injectable so tests control timestamps.
using UnixMillisClock = std::function<int64_t()>;
int64_t SystemUnixMillis();

struct MarketFeedOptions {
  uint64_t seed = 0;
  std::vector<std::string> symbols;  // driven by the random walk; must be valid and distinct
  size_t max_symbols = 0;            // generated plus published
  UnixMillisClock clock = SystemUnixMillis;
};

class MarketFeed {
 public:
  explicit MarketFeed(MarketFeedOptions options);
  MarketFeed(const MarketFeed&) = delete;
  MarketFeed& operator=(const MarketFeed&) = delete;

  // One step of every generated symbol, each fanned out to that symbol's subscribers. The
  // ticker thread calls this; tests call it directly to be deterministic.
  void Tick();

  // The next step of every generated symbol, without setting or fanning it out: what the
  // replica leading a shared feed publishes on the bus (each replica then applies it with
  // Publish).
  std::vector<v1::PriceUpdate> StepWalks();

  // A tick from outside (PublishPrices): `price` must be finite and > 0, `timestamp_ms` >= 0
  // (0 = now). An unknown but valid symbol is added, up to max_symbols. A generated symbol's
  // walk continues from the published price.
  absl::Status Publish(const std::string& symbol, float price, int64_t timestamp_ms);
  // The checks Publish makes before it changes anything.
  static absl::Status ValidateTick(const std::string& symbol, float price, int64_t timestamp_ms);
  // RESOURCE_EXHAUSTED when `symbol` is new and max_symbols are already tracked.
  absl::Status CheckRoomFor(const std::string& symbol) const;

  // NOT_FOUND for a symbol that is neither configured nor published.
  absl::StatusOr<v1::PriceUpdate> Latest(const std::string& symbol) const;

  // Registers `subscriber` and hands it the current price at once. NOT_FOUND for an unknown
  // symbol, UNAVAILABLE once the feed is closed. The subscriber must call Unsubscribe before
  // it is destroyed.
  absl::Status Subscribe(const std::string& symbol, PriceSubscriber* subscriber);
  void Unsubscribe(const std::string& symbol, PriceSubscriber* subscriber);

  // Ends every subscription (OnFeedClosed) and refuses new ones and new ticks.
  void Close();

  size_t SubscriberCount(const std::string& symbol) const;
  size_t SymbolCount() const;
  // Updates dropped for slow readers, over open and finished subscriptions.
  int64_t DroppedTotal() const;

 private:
  // One symbol with its own lock, so a tick of one symbol never waits for another's fan-out.
  struct SymbolState {
    SymbolState(std::string name, std::optional<PriceWalk> walk)
        : symbol(std::move(name)), walk(std::move(walk)) {}
    const std::string symbol;
    mutable std::mutex mutex;
    std::optional<PriceWalk> walk;  // absent for symbols known only from PublishPrices
    v1::PriceUpdate latest;
    std::unordered_set<PriceSubscriber*> subscribers;
    int64_t dropped_by_finished = 0;  // drops of subscribers that have unsubscribed
  };

  SymbolState* Find(const std::string& symbol) const;
  absl::StatusOr<SymbolState*> FindOrAdd(const std::string& symbol);
  // Sets the latest price and fans it out; `state.mutex` must be held.
  void SetPriceLocked(SymbolState& state, double price, int64_t timestamp_ms);

  const MarketFeedOptions options_;
  mutable std::shared_mutex symbols_mutex_;  // guards the map, not the states in it
  std::map<std::string, std::unique_ptr<SymbolState>> symbols_;
  std::vector<SymbolState*> generated_;  // fixed at construction; states are never removed
  // Checked under a symbol's mutex by Subscribe and set before Close visits the symbols, so no
  // subscriber can slip in unclosed.
  std::atomic<bool> closed_{false};
};

}  // namespace switchboard::stock
