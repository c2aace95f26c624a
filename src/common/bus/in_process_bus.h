// The bus of one process: what a replica publishes reaches only its own subscribers. Each
// subscription has a bounded queue and a delivery thread of its own, so a slow handler drops
// (and counts) its own messages and never blocks a publisher or another subscription.
// Retained subjects keep their messages in memory, bounded by the stream's limits.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/bus/bus.h"

namespace switchboard::bus {

// Unix time in milliseconds; injectable so tests can age retained messages.
using NowMillis = std::function<int64_t()>;
int64_t SystemNowMillis();

class InProcessBus final : public Bus {
 public:
  explicit InProcessBus(NowMillis now = SystemNowMillis);
  ~InProcessBus() override;

  absl::Status Retain(const StreamSpec& spec) override;
  absl::Status Publish(absl::string_view subject, absl::string_view data) override;
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(absl::string_view pattern,
                                                          Handler handler,
                                                          SubscribeOptions options) override;
  absl::StatusOr<bool> HoldLease(const std::string& name, const std::string& holder,
                                 std::chrono::milliseconds ttl) override;
  absl::StatusOr<uint64_t> LastSequence(absl::string_view subject) override;
  bool Connected() const override { return true; }
  // Always connected: the handler is never called.
  std::unique_ptr<ConnectionWatch> WatchConnection(ConnectionHandler handler) override;
  std::string Describe() const override { return "inprocess"; }

  class Queue;  // one subscription's pending messages and its delivery thread

 private:
  struct Stream {
    StreamSpec spec;
    uint64_t last_sequence = 0;
    struct Kept {
      Message message;
      int64_t at_ms;
    };
    std::deque<Kept> kept;
  };
  Stream* StreamFor(absl::string_view subject);
  void TrimLocked(Stream& stream);
  void Remove(Queue* queue);

  const NowMillis now_;
  // Held across a whole publish, so every subscription sees messages in one order.
  std::mutex mutex_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<std::shared_ptr<Queue>> queues_;
  struct Lease {
    std::string holder;
    int64_t expires_ms = 0;
  };
  std::map<std::string, Lease> leases_;
};

}  // namespace switchboard::bus
