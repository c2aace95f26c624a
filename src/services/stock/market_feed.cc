#include "services/stock/market_feed.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "services/stock/symbol.h"

namespace switchboard::stock {
namespace {

constexpr double kCentsPerUnit = 100.0;

// Prices go out in whole cents; the walk itself keeps full precision.
float ToCents(double price) {
  return static_cast<float>(std::round(price * kCentsPerUnit) / kCentsPerUnit);
}

}  // namespace

int64_t SystemUnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

MarketFeed::MarketFeed(MarketFeedOptions options) : options_(std::move(options)) {
  const int64_t now = options_.clock();
  for (const std::string& symbol : options_.symbols) {
    if (symbols_.count(symbol) > 0) continue;
    auto state = std::make_unique<SymbolState>(symbol, PriceWalk(options_.seed, symbol));
    state->latest.set_symbol(symbol);
    state->latest.set_price(ToCents(state->walk->price()));
    state->latest.set_timestamp(now);
    generated_.push_back(state.get());
    symbols_.emplace(symbol, std::move(state));
  }
}

void MarketFeed::Tick() {
  if (closed_) return;
  const int64_t now = options_.clock();
  for (SymbolState* state : generated_) {
    std::lock_guard<std::mutex> lock(state->mutex);
    // Never older than the previous price, even if the wall clock steps back.
    SetPriceLocked(*state, state->walk->Step(), std::max(now, state->latest.timestamp()));
  }
}

std::vector<v1::PriceUpdate> MarketFeed::StepWalks() {
  std::vector<v1::PriceUpdate> steps;
  if (closed_) return steps;
  const int64_t now = options_.clock();
  for (SymbolState* state : generated_) {
    std::lock_guard<std::mutex> lock(state->mutex);
    v1::PriceUpdate step;
    step.set_symbol(state->symbol);
    step.set_price(ToCents(state->walk->Step()));
    step.set_timestamp(std::max(now, state->latest.timestamp()));
    steps.push_back(std::move(step));
  }
  return steps;
}

absl::Status MarketFeed::ValidateTick(const std::string& symbol, float price,
                                      int64_t timestamp_ms) {
  if (auto invalid = ValidateSymbol(symbol); !invalid.ok()) return invalid;
  if (!std::isfinite(price) || price <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("price: ", price, " for ", symbol, " must be finite and greater than 0"));
  }
  if (timestamp_ms < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp: ", timestamp_ms, " for ", symbol, " must not be negative"));
  }
  return absl::OkStatus();
}

absl::Status MarketFeed::CheckRoomFor(const std::string& symbol) const {
  std::shared_lock<std::shared_mutex> lock(symbols_mutex_);
  if (symbols_.count(symbol) > 0 || symbols_.size() < options_.max_symbols) {
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(absl::StrCat("symbol ", symbol, ": already tracking ",
                                                   symbols_.size(),
                                                   " symbols, the limit (max_symbols)"));
}

absl::Status MarketFeed::Publish(const std::string& symbol, float price, int64_t timestamp_ms) {
  if (auto invalid = ValidateTick(symbol, price, timestamp_ms); !invalid.ok()) return invalid;
  if (closed_) return absl::UnavailableError(kShuttingDownMessage);
  auto state = FindOrAdd(symbol);
  if (!state.ok()) return state.status();
  std::lock_guard<std::mutex> lock((*state)->mutex);
  if ((*state)->walk) (*state)->walk->Reset(price);
  // A publisher's own timestamp is kept as it is: its clock is the market's.
  const int64_t stamp =
      timestamp_ms == 0 ? std::max(options_.clock(), (*state)->latest.timestamp()) : timestamp_ms;
  SetPriceLocked(**state, price, stamp);
  return absl::OkStatus();
}

void MarketFeed::SetPriceLocked(SymbolState& state, double price, int64_t timestamp_ms) {
  v1::PriceUpdate& latest = state.latest;
  latest.set_price(ToCents(price));
  latest.set_timestamp(timestamp_ms);
  // Each subscriber only queues (dropping its own oldest update when full), so this loop
  // costs the same however slowly any one of them reads.
  for (PriceSubscriber* subscriber : state.subscribers) subscriber->OnPrice(latest);
}

absl::StatusOr<v1::PriceUpdate> MarketFeed::Latest(const std::string& symbol) const {
  SymbolState* state = Find(symbol);
  if (state == nullptr) {
    return absl::NotFoundError(absl::StrCat("symbol \"", symbol, "\" is not traded here"));
  }
  std::lock_guard<std::mutex> lock(state->mutex);
  return state->latest;
}

absl::Status MarketFeed::Subscribe(const std::string& symbol, PriceSubscriber* subscriber) {
  SymbolState* state = Find(symbol);
  if (state == nullptr) {
    return absl::NotFoundError(absl::StrCat("symbol \"", symbol, "\" is not traded here"));
  }
  std::lock_guard<std::mutex> lock(state->mutex);
  if (closed_) return absl::UnavailableError(kShuttingDownMessage);
  state->subscribers.insert(subscriber);
  subscriber->OnPrice(state->latest);
  return absl::OkStatus();
}

void MarketFeed::Unsubscribe(const std::string& symbol, PriceSubscriber* subscriber) {
  SymbolState* state = Find(symbol);
  if (state == nullptr) return;
  std::lock_guard<std::mutex> lock(state->mutex);
  if (state->subscribers.erase(subscriber) > 0) {
    state->dropped_by_finished += subscriber->DroppedUpdates();
  }
}

void MarketFeed::Close() {
  closed_ = true;
  std::shared_lock<std::shared_mutex> symbols_lock(symbols_mutex_);
  for (auto& [symbol, state] : symbols_) {
    std::lock_guard<std::mutex> lock(state->mutex);
    for (PriceSubscriber* subscriber : state->subscribers) subscriber->OnFeedClosed();
  }
}

size_t MarketFeed::SubscriberCount(const std::string& symbol) const {
  SymbolState* state = Find(symbol);
  if (state == nullptr) return 0;
  std::lock_guard<std::mutex> lock(state->mutex);
  return state->subscribers.size();
}

size_t MarketFeed::SymbolCount() const {
  std::shared_lock<std::shared_mutex> lock(symbols_mutex_);
  return symbols_.size();
}

int64_t MarketFeed::DroppedTotal() const {
  int64_t total = 0;
  std::shared_lock<std::shared_mutex> symbols_lock(symbols_mutex_);
  for (const auto& [symbol, state] : symbols_) {
    std::lock_guard<std::mutex> lock(state->mutex);
    total += state->dropped_by_finished;
    for (PriceSubscriber* subscriber : state->subscribers) total += subscriber->DroppedUpdates();
  }
  return total;
}

MarketFeed::SymbolState* MarketFeed::Find(const std::string& symbol) const {
  std::shared_lock<std::shared_mutex> lock(symbols_mutex_);
  auto it = symbols_.find(symbol);
  return it == symbols_.end() ? nullptr : it->second.get();
}

absl::StatusOr<MarketFeed::SymbolState*> MarketFeed::FindOrAdd(const std::string& symbol) {
  if (SymbolState* state = Find(symbol)) return state;
  std::unique_lock<std::shared_mutex> lock(symbols_mutex_);
  auto it = symbols_.find(symbol);  // another publisher may have added it meanwhile
  if (it != symbols_.end()) return it->second.get();
  if (symbols_.size() >= options_.max_symbols) {
    return absl::ResourceExhaustedError(absl::StrCat("symbol ", symbol, ": already tracking ",
                                                     symbols_.size(),
                                                     " symbols, the limit (max_symbols)"));
  }
  auto state = std::make_unique<SymbolState>(symbol, std::nullopt);
  state->latest.set_symbol(symbol);
  SymbolState* added = state.get();
  symbols_.emplace(symbol, std::move(state));
  return added;
}

}  // namespace switchboard::stock
