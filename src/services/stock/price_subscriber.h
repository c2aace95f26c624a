// What the market feed fans prices out to: one open WatchStockPrice stream, in production.
#pragma once

#include <cstdint>

#include "switchboard/stock/v1/stock.pb.h"

namespace switchboard::stock {

class PriceSubscriber {
 public:
  virtual ~PriceSubscriber() = default;
  // Called under the symbol's registry lock for every price change; must only queue, never
  // block, so one slow subscriber cannot delay the others.
  virtual void OnPrice(const v1::PriceUpdate& update) = 0;
  // The feed is closing (server shutdown): end the stream.
  virtual void OnFeedClosed() = 0;
  // Updates this subscriber has dropped so far because it read too slowly.
  virtual int64_t DroppedUpdates() = 0;
};

}  // namespace switchboard::stock
