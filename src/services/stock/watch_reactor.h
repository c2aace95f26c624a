// One WatchStockPrice stream: a bounded queue where the newest price wins, and a count of the
// updates a slow reader missed stamped onto the next one it gets.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <cstdint>

#include "common/queued_write_reactor.h"
#include "services/stock/market_feed.h"
#include "services/stock/price_subscriber.h"
#include "switchboard/stock/v1/stock.pb.h"

namespace switchboard::stock {

class WatchReactor final : public common::QueuedWriteReactor<v1::PriceUpdate>,
                           public PriceSubscriber {
 public:
  explicit WatchReactor(size_t queue_capacity)
      : QueuedWriteReactor(queue_capacity, common::Overflow::kDropOldest) {}

  void OnPrice(const v1::PriceUpdate& update) override { Send(update); }
  void OnFeedClosed() override {
    Close(grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDownMessage));
  }
  int64_t DroppedUpdates() override { return dropped_total(); }

 protected:
  void BeforeWrite(v1::PriceUpdate& message, int64_t dropped_before) override {
    message.set_dropped_since_last(dropped_before);
  }
};

}  // namespace switchboard::stock
