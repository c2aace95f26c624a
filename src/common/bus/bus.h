// The bus replicas share streams through: publish bytes on a subject, subscribe to a subject
// or a wildcard with a callback. Subjects are NATS-style: tokens separated by '.', `*` matches
// one token and `>` the rest. Two implementations: InProcessBus (one process) and NatsBus.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard::bus {

struct Message {
  std::string subject;
  std::string data;
  // The bus's order of a retained subject, the same on every replica (JetStream's stream
  // sequence); 0 for a subject no stream retains.
  uint64_t sequence = 0;
};

// Runs on the subscription's own delivery thread, one message at a time, in bus order.
using Handler = std::function<void(const Message&)>;

// A stream keeps the messages of its subjects for a while, so a subscriber can replay them and
// every subscriber sees them in one order (their sequence).
struct StreamSpec {
  std::string name;      // [A-Za-z0-9_-]+
  std::string subjects;  // one pattern, e.g. "sb.notify.>"
  std::chrono::milliseconds max_age{std::chrono::minutes(5)};
  int64_t max_messages = 100000;            // kept in all
  int64_t max_messages_per_subject = 1000;  // kept per subject
};

struct SubscribeOptions {
  static constexpr size_t kDefaultQueueMessages = 65536;
  static constexpr size_t kDefaultQueueBytes = 64 << 20;
  // Messages (and bytes) waiting for the handler; beyond them new messages are dropped and
  // counted, so a slow handler never grows memory or blocks a publisher.
  size_t queue_messages = kDefaultQueueMessages;
  size_t queue_bytes = kDefaultQueueBytes;
  // For subjects a stream retains: deliver what it still holds first, then live messages.
  bool replay = false;
};

// Told false when the connection to the bus server is lost and true when it is back, on one of
// the bus's threads. Keep it quick and do not call into the bus from it: it runs under the
// watch's lock, so that ending the watch waits for a call in progress.
using ConnectionHandler = std::function<void(bool connected)>;

// Ends the watch when destroyed: once the destructor returns no handler call is running or will
// start. Must not be destroyed from its own handler.
class ConnectionWatch {
 public:
  virtual ~ConnectionWatch() = default;
};

class Subscription {
 public:
  // Unsubscribes: once it returns no handler call is running or will start. Must not be
  // called from the subscription's own handler.
  virtual ~Subscription() = default;
  // Messages dropped so far because the handler fell behind.
  virtual int64_t Dropped() const = 0;
};

class Bus {
 public:
  virtual ~Bus() = default;
  // Declares (or updates) a stream; publishing on its subjects then returns once stored.
  virtual absl::Status Retain(const StreamSpec& spec) = 0;
  // UNAVAILABLE when the bus cannot take it (disconnected), INVALID_ARGUMENT for a bad
  // subject.
  virtual absl::Status Publish(absl::string_view subject, absl::string_view data) = 0;
  virtual absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      absl::string_view pattern, Handler handler, SubscribeOptions options = {}) = 0;
  // A lease on `name` ([A-Za-z0-9_-]+) that one holder at a time has, for `ttl` after its
  // last successful call: true when `holder` has it now (taken while free, or renewed), false
  // while another holder's has not expired. Elects the one replica doing something for all.
  virtual absl::StatusOr<bool> HoldLease(const std::string& name, const std::string& holder,
                                         std::chrono::milliseconds ttl) = 0;
  // The sequence of the last message a stream retains on `subject` (no wildcards), 0 when it
  // holds none; FAILED_PRECONDITION when no stream retains the subject, UNAVAILABLE while
  // disconnected. With Subscribe(replay), tells a subscriber when it has caught up.
  virtual absl::StatusOr<uint64_t> LastSequence(absl::string_view subject) = 0;
  // False while the connection to a bus server is down (reconnecting).
  virtual bool Connected() const = 0;
  // Calls `handler` on every change of Connected() from now on (the in-process bus never
  // changes); a service uses it to say NOT_SERVING while its bus is down.
  virtual std::unique_ptr<ConnectionWatch> WatchConnection(ConnectionHandler handler) = 0;
  // For logs and errors: "inprocess" or the server URL.
  virtual std::string Describe() const = 0;
};

}  // namespace switchboard::bus
