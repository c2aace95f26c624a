// The bus between replicas: a NATS connection (Debian's libnats) to nats-server, JetStream for
// retained subjects. The connection reconnects by itself, forever, with a short wait, when the
// server restarts; a retained subscription (an ordered JetStream consumer) then resumes after
// the last message it delivered, so a restart loses nothing the server stored. Publishing
// while disconnected fails at once with UNAVAILABLE (nothing is buffered to go out later), so
// a caller told UNAVAILABLE knows the message was not sent; only a publish whose connection
// drops while it waits for the server's acknowledgement has an unknown outcome.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/bus/bus.h"
#include "common/bus/bus_config.h"

struct __natsConnection;
struct __jsCtx;
struct __kvStore;

namespace switchboard::bus {

struct NatsOptions {
  std::string url;          // nats://host:port
  std::string client_name;  // shown by the server, e.g. "notification-2"
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds reconnect_wait{250};
  // How long a publish on a retained subject waits for the server to store it.
  std::chrono::milliseconds publish_timeout{5000};
};

class NatsBus final : public Bus {
 public:
  // UNAVAILABLE naming the URL when no server answers there: a replica does not start without
  // its bus, since its streams would silently reach only itself.
  static absl::StatusOr<std::unique_ptr<NatsBus>> Connect(const NatsOptions& options);
  ~NatsBus() override;

  absl::Status Retain(const StreamSpec& spec) override;
  absl::Status Publish(absl::string_view subject, absl::string_view data) override;
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(absl::string_view pattern,
                                                          Handler handler,
                                                          SubscribeOptions options) override;
  absl::StatusOr<bool> HoldLease(const std::string& name, const std::string& holder,
                                 std::chrono::milliseconds ttl) override;
  absl::StatusOr<uint64_t> LastSequence(absl::string_view subject) override;
  bool Connected() const override;
  std::unique_ptr<ConnectionWatch> WatchConnection(ConnectionHandler handler) override;
  std::string Describe() const override { return options_.url; }

  // How often the connection was re-established after a loss (for tests and logs).
  int64_t reconnects() const { return reconnects_.load(); }
  bool closing() const { return closing_.load(); }

  struct Delivery;  // what a subscription's callbacks reach
  struct Watchers;  // the connection handlers, reached from the connection's callbacks

 private:
  explicit NatsBus(NatsOptions options);
  // The connection's callbacks; `closure` is the bus.
  static void OnDisconnected(__natsConnection* connection, void* closure);
  static void OnReconnected(__natsConnection* connection, void* closure);
  bool Retained(absl::string_view subject_or_pattern);
  // The name of the stream retaining `subject`, empty when none does.
  std::string StreamOf(absl::string_view subject);

  const NatsOptions options_;
  __natsConnection* connection_ = nullptr;  // set once by Connect
  __jsCtx* jetstream_ = nullptr;
  std::atomic<int64_t> reconnects_{0};
  std::atomic<bool> closing_{false};
  std::mutex mutex_;
  std::vector<std::string> retained_;      // subject patterns of the declared streams
  std::vector<std::string> stream_names_;  // the name of each, in the same order
  // Shared with the callbacks, set before the connection exists.
  std::shared_ptr<Watchers> watchers_;
  // Deliveries whose subscription could not say when the library is done with them (it may
  // call a handler once more after the subscription is destroyed): kept until the bus goes.
  // The others go when their subscription completes.
  std::vector<std::shared_ptr<Delivery>> deliveries_;
  // A lease is a key-value bucket whose one key expires `ttl` after its last write; the
  // revision this bus last wrote is what a renewal must still find there.
  struct LeaseState {
    __kvStore* bucket = nullptr;
    uint64_t revision = 0;  // 0: not held
  };
  // Its own lock: a lease call waiting on a server that went away must not hold up publishing.
  std::mutex lease_mutex_;
  std::map<std::string, LeaseState> leases_;  // guarded by lease_mutex_
};

}  // namespace switchboard::bus
