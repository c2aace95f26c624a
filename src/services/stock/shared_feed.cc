#include "services/stock/shared_feed.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/bus/subject.h"

namespace switchboard::stock {
namespace {

// A price is only worth its latest value: keep one per symbol, long enough for a replica that
// starts (or restarts) to take every symbol's last price.
constexpr int64_t kKeptPerSymbol = 1;
constexpr std::chrono::hours kKeptFor{24};
constexpr int64_t kMaxKept = 1000000;

}  // namespace

std::string SymbolSubject(const std::string& symbol) {
  return "sb.stock." + bus::SubjectToken(symbol);
}

SharedFeed::SharedFeed(MarketFeed* feed, std::shared_ptr<bus::Bus> bus, std::string holder,
                       std::chrono::milliseconds lease, UnixMillisClock clock)
    : feed_(feed),
      bus_(std::move(bus)),
      holder_(std::move(holder)),
      lease_(lease),
      clock_(std::move(clock)) {}

SharedFeed::~SharedFeed() { Stop(); }

absl::Status SharedFeed::Start() {
  bus::StreamSpec spec;
  spec.name = kStockStream;
  spec.subjects = kEverySymbolSubject;
  spec.max_age = kKeptFor;
  spec.max_messages = kMaxKept;
  spec.max_messages_per_subject = kKeptPerSymbol;
  if (auto retained = bus_->Retain(spec); !retained.ok()) return retained;
  bus::SubscribeOptions options;
  options.replay = true;
  auto subscribed = bus_->Subscribe(
      kEverySymbolSubject, [this](const bus::Message& message) { Apply(message); }, options);
  if (!subscribed.ok()) return subscribed.status();
  std::lock_guard<std::mutex> lock(mutex_);
  subscription_ = std::move(*subscribed);
  return absl::OkStatus();
}

void SharedFeed::Stop() {
  std::unique_ptr<bus::Subscription> subscription;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    subscription = std::move(subscription_);
  }
  subscription.reset();  // waits for an Apply in progress
}

void SharedFeed::Apply(const bus::Message& message) {
  v1::PriceUpdate update;
  if (!update.ParseFromString(message.data)) {
    spdlog::warn("stock: ignored a malformed price on {} ({} bytes)", message.subject,
                 message.data.size());
    return;
  }
  if (auto applied = feed_->Publish(update.symbol(), update.price(), update.timestamp());
      !applied.ok()) {
    spdlog::warn("stock: ignored a price from the bus: {}", std::string(applied.message()));
  }
}

absl::Status SharedFeed::Ingest(const v1::PriceUpdate& tick) {
  if (auto invalid = MarketFeed::ValidateTick(tick.symbol(), tick.price(), tick.timestamp());
      !invalid.ok()) {
    return invalid;
  }
  if (auto full = feed_->CheckRoomFor(tick.symbol()); !full.ok()) return full;
  v1::PriceUpdate stamped = tick;
  if (stamped.timestamp() == 0) stamped.set_timestamp(clock_());
  return bus_->Publish(SymbolSubject(stamped.symbol()), stamped.SerializeAsString());
}

bool SharedFeed::HoldLease() {
  const int64_t now = clock_();
  // A leader renews every third of the lease, a follower tries as often, so a dead leader is
  // replaced within about one lease.
  if (now - last_attempt_ms_ < lease_.count() / 3) {
    // A leader whose renewal is overdue stops ticking a third of a lease before the lease can
    // pass to another replica: two leaders ticking at once would publish prices out of order.
    return leader_ && now - held_since_ms_ < lease_.count() - lease_.count() / 3;
  }
  last_attempt_ms_ = now;
  auto held = bus_->HoldLease(kStockLeaderLease, holder_, lease_);
  const bool now_leader = held.ok() && *held;
  if (now_leader) held_since_ms_ = now;
  if (now_leader != leader_.exchange(now_leader)) {
    spdlog::info("stock: {} the price feed ({})", now_leader ? "leading" : "no longer leading",
                 held.ok() ? holder_ : std::string(held.status().message()));
  }
  return now_leader;
}

void SharedFeed::Tick() {
  if (!HoldLease()) return;
  for (const v1::PriceUpdate& step : feed_->StepWalks()) {
    if (auto published = bus_->Publish(SymbolSubject(step.symbol()), step.SerializeAsString());
        !published.ok()) {
      spdlog::warn("stock: tick of {} not published: {}", step.symbol(),
                   std::string(published.message()));
      return;  // the bus is down: the walk goes on at the next tick
    }
  }
}

}  // namespace switchboard::stock
