// Load generator for bench/stock_fanout.sh: holds many WatchStockPrice streams on one stock
// server (spread over channels with separate connections) and measures, over a fixed window,
// the updates delivered per second, tick-to-client latency against PriceUpdate.timestamp, and
// the server's RSS before and after the streams opened.
//
// Output: "name value" lines on stdout (see Emit calls); progress on stderr.
#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "switchboard/stock/v1/stock.grpc.pb.h"

namespace switchboard::bench {
namespace {

using stock::v1::PriceUpdate;
using stock::v1::StockRequest;
using stock::v1::StockService;

// What every stream reports into; counters only move while `measuring` is set.
struct Totals {
  std::atomic<bool> measuring{false};
  std::atomic<int64_t> first_updates{0};  // streams that got their initial price
  std::atomic<int64_t> deliveries{0};
  std::atomic<int64_t> dropped{0};  // sum of dropped_since_last seen in the window
  std::atomic<int64_t> failed{0};   // streams that ended before we cancelled them
  Histogram latency;                // receive time - PriceUpdate.timestamp, us
  // Which (symbol, millisecond) ticks reached at least one stream in the window: the ticks the
  // server actually made. One flag per symbol per millisecond, so marking one never locks.
  std::vector<std::string> symbols;
  int64_t base_ms = 0;
  int64_t slots = 0;
  std::unique_ptr<std::atomic<uint8_t>[]> seen;

  void MarkTick(const std::string& symbol, int64_t timestamp_ms) {
    const int64_t slot = timestamp_ms - base_ms;
    if (slot < 0 || slot >= slots) return;
    for (size_t i = 0; i < symbols.size(); ++i) {
      if (symbols[i] == symbol) {
        seen[i * static_cast<size_t>(slots) + static_cast<size_t>(slot)].store(
            1, std::memory_order_relaxed);
        return;
      }
    }
  }
  int64_t TicksSeen() const {
    int64_t n = 0;
    for (size_t i = 0; i < symbols.size() * static_cast<size_t>(slots); ++i) n += seen[i].load();
    return n;
  }

  std::mutex done_mutex;
  std::condition_variable done_cv;
  int64_t open = 0;
};

class Watcher final : public grpc::ClientReadReactor<PriceUpdate> {
 public:
  Watcher(StockService::Stub* stub, const std::string& symbol, Totals* totals) : totals_(totals) {
    request_.set_symbol(symbol);
    stub->async()->WatchStockPrice(&context_, &request_, this);
    StartRead(&update_);
    StartCall();
  }

  void Cancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    const int64_t now_us = NowUnixMicros();
    if (!got_first_) {
      got_first_ = true;
      totals_->first_updates.fetch_add(1);
    } else if (totals_->measuring.load(std::memory_order_acquire)) {
      totals_->deliveries.fetch_add(1, std::memory_order_relaxed);
      totals_->dropped.fetch_add(update_.dropped_since_last(), std::memory_order_relaxed);
      totals_->latency.Record(now_us - update_.timestamp() * 1000);
      totals_->MarkTick(update_.symbol(), update_.timestamp());
    }
    StartRead(&update_);
  }

  void OnDone(const grpc::Status& status) override {
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      if (totals_->failed.fetch_add(1) == 0) {
        std::fprintf(stderr, "stream ended: %d %s\n", status.error_code(),
                     status.error_message().c_str());
      }
    }
    std::lock_guard<std::mutex> lock(totals_->done_mutex);
    --totals_->open;
    totals_->done_cv.notify_all();
  }

 private:
  Totals* totals_;
  grpc::ClientContext context_;
  StockRequest request_;
  PriceUpdate update_;
  bool got_first_ = false;
};

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    const size_t end = comma == std::string::npos ? list.size() : comma;
    if (end > start) out.push_back(list.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int Run(Flags& flags) {
  const std::string target = flags.Str("target", "127.0.0.1:50111");
  const int64_t streams = flags.Int("streams", 10000);
  const int channels = static_cast<int>(flags.Int("channels", 16));
  const std::vector<std::string> symbols = Split(flags.Str("symbols", "ACME,GRPC,HTTP,PROTO,QUIC"));
  const int64_t server_pid = flags.Int("server-pid", 0);
  const double warmup_s = flags.Double("warmup-s", 2);
  const double measure_s = flags.Double("measure-s", 10);
  const double open_timeout_s = flags.Double("open-timeout-s", 60);
  const double settle_s = flags.Double("settle-s", 1);

  std::vector<std::shared_ptr<grpc::Channel>> pool;
  std::vector<std::unique_ptr<StockService::Stub>> stubs;
  for (int i = 0; i < channels; ++i) {
    pool.push_back(MakeChannel(target, i));
    if (!WaitConnected(pool.back(), 10)) {
      std::fprintf(stderr, "channel %d did not connect to %s\n", i, target.c_str());
      return 1;
    }
    stubs.push_back(StockService::NewStub(pool.back()));
  }
  // Connections are up and idle: what the streams add is measured from here.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int64_t rss_before = server_pid > 0 ? ReadRssKiB(server_pid) : -1;

  const double tick_ms = flags.Double("tick-ms", 0);
  flags.CheckAllUsed();

  Totals totals;
  totals.open = streams;
  totals.symbols = symbols;
  std::vector<std::unique_ptr<Watcher>> watchers;
  watchers.reserve(static_cast<size_t>(streams));
  const int64_t open_start = NowSteadyMicros();
  for (int64_t i = 0; i < streams; ++i) {
    watchers.push_back(std::make_unique<Watcher>(stubs[static_cast<size_t>(i % channels)].get(),
                                                 symbols[static_cast<size_t>(i) % symbols.size()],
                                                 &totals));
  }
  // Every stream is open once it has its first update (Subscribe sends the current price).
  while (totals.first_updates.load() < streams && totals.failed.load() == 0 &&
         NowSteadyMicros() - open_start < static_cast<int64_t>(open_timeout_s * 1e6)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double open_s = static_cast<double>(NowSteadyMicros() - open_start) / 1e6;
  const int64_t opened = totals.first_updates.load();
  std::fprintf(stderr, "%lld of %lld streams open in %.2f s\n", static_cast<long long>(opened),
               static_cast<long long>(streams), open_s);
  std::this_thread::sleep_for(std::chrono::duration<double>(settle_s));
  const int64_t rss_after = server_pid > 0 ? ReadRssKiB(server_pid) : -1;

  double window_s = 0;
  if (opened == streams && measure_s > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(warmup_s));
    const int64_t start = NowSteadyMicros();
    const double cpu_start = server_pid > 0 ? ReadCpuMillis(server_pid) : 0;
    const double client_cpu_start = ReadCpuMillis(getpid());
    const auto threads_start =
        server_pid > 0 ? ReadThreadCpuMillis(server_pid) : std::map<int64_t, double>();
    // Ticks stamped up to 1 s before the window (late arrivals) and 5 s after it are tracked.
    totals.base_ms = NowUnixMicros() / 1000 - 1000;
    totals.slots = static_cast<int64_t>(measure_s * 1000) + 6000;
    totals.seen.reset(new std::atomic<uint8_t>[symbols.size() * static_cast<size_t>(totals.slots)]);
    for (size_t i = 0; i < symbols.size() * static_cast<size_t>(totals.slots); ++i) {
      totals.seen[i].store(0);
    }
    totals.measuring = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(measure_s));
    totals.measuring = false;
    window_s = static_cast<double>(NowSteadyMicros() - start) / 1e6;
    // Percent of one core; the machine's cores are shared by server, client and anything else.
    if (server_pid > 0) {
      Emit("server_cpu_percent", (ReadCpuMillis(server_pid) - cpu_start) / 10.0 / window_s);
      // The busiest single thread: near 100% means one thread (e.g. the ticker) is the limit.
      double busiest = 0;
      for (const auto& [tid, ms] : ReadThreadCpuMillis(server_pid)) {
        auto before = threads_start.find(tid);
        busiest = std::max(busiest, ms - (before == threads_start.end() ? 0 : before->second));
      }
      Emit("server_busiest_thread_percent", busiest / 10.0 / window_s);
    }
    Emit("client_cpu_percent", (ReadCpuMillis(getpid()) - client_cpu_start) / 10.0 / window_s);
  }

  for (auto& watcher : watchers) watcher->Cancel();
  {
    std::unique_lock<std::mutex> lock(totals.done_mutex);
    totals.done_cv.wait_for(lock, std::chrono::seconds(30), [&] { return totals.open == 0; });
    if (totals.open != 0) {
      std::fprintf(stderr, "%lld streams did not end after cancel\n",
                   static_cast<long long>(totals.open));
      return 1;  // the reactors are still referenced by grpc: do not destroy them
    }
  }

  Emit("streams", static_cast<double>(streams));
  Emit("streams_open", static_cast<double>(opened));
  Emit("open_seconds", open_s);
  Emit("streams_failed", static_cast<double>(totals.failed.load()));
  Emit("rss_before_kib", static_cast<double>(rss_before));
  Emit("rss_after_kib", static_cast<double>(rss_after));
  if (rss_before > 0 && opened > 0) {
    Emit("kib_per_stream",
         static_cast<double>(rss_after - rss_before) / static_cast<double>(opened));
  }
  if (window_s > 0) {
    const double ticks = static_cast<double>(totals.TicksSeen());
    Emit("window_seconds", window_s);
    Emit("deliveries_per_second", static_cast<double>(totals.deliveries.load()) / window_s);
    Emit("ticks_observed_per_second", ticks / window_s);
    // Each tick of a symbol is meant for every stream watching it.
    Emit("ticks_times_watchers_per_second",
         ticks * static_cast<double>(streams) / static_cast<double>(symbols.size()) / window_s);
    if (tick_ms > 0) {
      Emit("nominal_deliveries_per_second", static_cast<double>(streams) * 1000.0 / tick_ms);
    }
    Emit("dropped_per_second", static_cast<double>(totals.dropped.load()) / window_s);
    Emit("latency_p50_ms", totals.latency.Percentile(50) / 1000.0);
    Emit("latency_p99_ms", totals.latency.Percentile(99) / 1000.0);
    Emit("latency_samples", static_cast<double>(totals.latency.count()));
  }
  return opened == streams && totals.failed.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) {
  switchboard::bench::Flags flags(argc, argv);
  return switchboard::bench::Run(flags);
}
