// Counts a server's application calls for the load report a replica heartbeats with: a
// server interceptor bumps the counters, the registration client reads them.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace switchboard::xds {

struct LoadCounts {
  uint64_t in_flight_calls = 0;
  uint64_t calls_finished_total = 0;  // since the counter was made
};

class LoadCounter {
 public:
  void CallStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void CallFinished() {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    finished_.fetch_add(1, std::memory_order_relaxed);
  }
  LoadCounts Read() const {
    return {in_flight_.load(std::memory_order_relaxed), finished_.load(std::memory_order_relaxed)};
  }

 private:
  std::atomic<uint64_t> in_flight_{0};
  std::atomic<uint64_t> finished_{0};
};

// Counts every call except grpc.health.v1 and server reflection (a client's health Watch is
// open for as long as it is connected and says nothing about load). `counter` must outlive the
// server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeLoadCountingInterceptorFactory(LoadCounter* counter);

}  // namespace switchboard::xds
