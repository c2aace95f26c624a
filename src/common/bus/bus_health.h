// A service's health from its bus connection: SERVING while the bus is connected, NOT_SERVING
// while it is down, and no report at all once the service has begun to shut down.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "common/bus/bus.h"

namespace switchboard::bus {

class BusHealth {
 public:
  // Sets the server's grpc.health.v1 status (SERVING when true).
  using SetServing = std::function<void(bool serving)>;

  BusHealth() = default;
  BusHealth(const BusHealth&) = delete;
  BusHealth& operator=(const BusHealth&) = delete;
  // Stops: `set_serving` is never called on a destroyed object.
  ~BusHealth();

  // Calls `set_serving` at once with Connected() (on this thread), then on every change (on one
  // of the bus's threads), never twice in a row with the same value. A null bus (state of this
  // process only) has nothing to lose: no report. Only the first call counts, and none after
  // Stop.
  void Attach(std::shared_ptr<Bus> bus, SetServing set_serving);
  // Once it returns `set_serving` is neither running nor called again (a report in progress is
  // waited for). Safe to call more than once; must not be called from `set_serving`.
  void Stop();

 private:
  void Report(bool connected);
  void ReportLocked(bool connected);  // report_mutex_ held

  // Orders Attach and Stop; taken before the bus's watch lock, never inside it.
  std::mutex lifecycle_mutex_;
  bool attached_ = false;                   // guarded by lifecycle_mutex_
  bool stopped_ = false;                    // guarded by lifecycle_mutex_
  std::shared_ptr<Bus> bus_;                // guarded by lifecycle_mutex_; outlives watch_
  std::unique_ptr<ConnectionWatch> watch_;  // guarded by lifecycle_mutex_

  // Taken by every report, inside the bus's watch lock.
  std::mutex report_mutex_;
  SetServing set_serving_;        // guarded by report_mutex_; null once stopped
  std::optional<bool> reported_;  // guarded by report_mutex_; what set_serving_ was told last
};

}  // namespace switchboard::bus
