// One PublishPrices stream: validates each tick, hands it to the market feed (which fans it out
// to every watcher of the symbol), and answers with the number accepted.
#pragma once

#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_set>

#include "services/stock/market_feed.h"
#include "switchboard/stock/v1/stock.pb.h"

namespace switchboard::stock {

class PublishReactor;

// Where an accepted tick goes: the market feed, or the bus all replicas' feeds read. Checks the
// tick and returns why it was refused.
using TickSink = std::function<absl::Status(const v1::PriceUpdate& tick)>;

// The PublishPrices streams still open, so a shutdown can end publishers that never hang up.
class OpenPublishers {
 public:
  // False once CloseAll has run.
  bool Add(PublishReactor* reactor);
  void Remove(PublishReactor* reactor);
  // Ends every open stream with UNAVAILABLE and refuses new ones.
  void CloseAll();

 private:
  std::mutex mutex_;  // held by Remove (from OnDone), so CloseAll never sees a deleted reactor
  std::unordered_set<PublishReactor*> open_;
  bool closed_ = false;
};

class PublishReactor final : public grpc::ServerReadReactor<v1::PriceUpdate> {
 public:
  // `sink` outlives every stream.
  PublishReactor(const TickSink* sink, OpenPublishers* open, v1::PublishPricesResponse* response);

  // Thread-safe; ends the stream with `status` unless it has already ended.
  void Close(const grpc::Status& status);

 private:
  void OnReadDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;
  void FinishLocked(const grpc::Status& status);

  const TickSink* const sink_;
  OpenPublishers* const open_;
  v1::PublishPricesResponse* const response_;
  std::mutex mutex_;  // orders the read callbacks against Close from the shutdown thread
  v1::PriceUpdate tick_;
  int64_t accepted_ = 0;  // also the 0-based index of the chunk being read, as any error ends
  bool finished_ = false;
};

}  // namespace switchboard::stock
