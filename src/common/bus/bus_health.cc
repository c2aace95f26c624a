// BusHealth: follows a bus's connection watch and reports it as serving or not serving.
#include "common/bus/bus_health.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace switchboard::bus {

BusHealth::~BusHealth() { Stop(); }

void BusHealth::Attach(std::shared_ptr<Bus> bus, SetServing set_serving) {
  if (bus == nullptr) return;  // nothing outside the process to lose
  std::lock_guard<std::mutex> lifecycle(lifecycle_mutex_);
  if (stopped_) return;  // shutdown has begun: no report any more
  if (attached_) {
    spdlog::warn("bus health: already following {}; a second Attach ({}) is ignored",
                 bus_->Describe(), bus->Describe());
    return;
  }
  attached_ = true;
  bus_ = std::move(bus);
  {
    std::lock_guard<std::mutex> lock(report_mutex_);
    set_serving_ = std::move(set_serving);
  }
  // Outside report_mutex_, which the watch's handler takes under the bus's own lock.
  watch_ = bus_->WatchConnection([this](bool connected) { Report(connected); });
  // Watching first, then the current state: a report in between is either before this one
  // (which reads the state after it, under the same lock) or after it (and newer).
  std::lock_guard<std::mutex> lock(report_mutex_);
  ReportLocked(bus_->Connected());
}

void BusHealth::Stop() {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mutex_);
  stopped_ = true;
  {
    std::lock_guard<std::mutex> lock(report_mutex_);
    set_serving_ = nullptr;  // drops what it holds: it is never called again
  }
  watch_.reset();  // waits for a report in progress
  bus_.reset();
}

void BusHealth::Report(bool connected) {
  std::lock_guard<std::mutex> lock(report_mutex_);
  ReportLocked(connected);
}

void BusHealth::ReportLocked(bool connected) {
  // The state read at Attach and a watch call for the change before it can say the same thing
  // twice (the bus's callbacks lag its state); only changes are passed on.
  if (!set_serving_ || reported_ == connected) return;
  reported_ = connected;
  set_serving_(connected);
}

}  // namespace switchboard::bus
