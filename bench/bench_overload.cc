// Deadlines under overload (docs/report.md, section 3), two modes:
//   bench_overload fraud --port=P --work-us=W [--workers=1] [--max-queue=N] [--shed=0|1]
//                        [--shed-margin-us=M]
//       A FraudService whose Check costs W microseconds of CPU (thread CPU time, so a busy
//       machine does not shorten it), run by a fixed pool of workers from a queue, as a
//       CPU-bound check is. A check stops when its call is cancelled or its deadline passes,
//       as the real fraud service's delay does. It reads the end caller's deadline from the
//       user id (see `load`) and, on SIGTERM, prints the CPU it spent on checks that ended
//       after that deadline or were abandoned: work nobody waited for. --shed=1 does not start
//       a check whose deadline leaves less than W + M (deadline-aware admission).
//   bench_overload load --target=booking --rate=R --seconds=S --deadline-ms=D [--cpu-pids=..]
//       Open loop: R CreateBooking calls per second for S seconds, each with deadline D, the
//       user id "ol_<deadline unix us>_<i>" and the deadline in x-deadline-unix-us. Prints offered
//       and good (OK within the deadline) calls per second, status counts, p50/p99 of the good ones
//       and the CPU of --cpu-pids.
// Output: "name value" lines on stdout.
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/client_callback.h>
#include <grpcpp/support/server_callback.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "switchboard/booking/v1/booking.grpc.pb.h"
#include "switchboard/fraud/v1/fraud.grpc.pb.h"

namespace switchboard::bench {
namespace {

constexpr char kUserPrefix[] = "ol_";
// The header of src/common/call_budget.h (kDeadlineExactHeader); this program links no sb_common.
constexpr char kDeadlineExactHeader[] = "x-deadline-unix-us";
constexpr int64_t kMaxWorkUs = 1000000;
constexpr int64_t kMaxWorkers = 64;
constexpr int64_t kMaxRate = 100000;
constexpr int64_t kMaxSeconds = 600;
constexpr int64_t kMaxDeadlineMs = 60000;
// CPU burned between two looks at the call's cancellation: short, so an abandoned check stops
// within this much work.
constexpr int64_t kSliceUs = 100;
constexpr int64_t kDefaultMaxQueue = 100000;
constexpr int64_t kMaxInFlight = 200000;
// Every answer arrives by the deadline; this much more before the client stops waiting for one.
constexpr int64_t kDrainSlackMs = 2000;

// Exits with status 2 naming the flag when `value` lies outside [low, high].
int64_t Bounded(const char* name, int64_t value, int64_t low, int64_t high) {
  if (value < low || value > high) {
    std::fprintf(stderr, "--%s=%lld: must be %lld..%lld\n", name, static_cast<long long>(value),
                 static_cast<long long>(low), static_cast<long long>(high));
    std::exit(2);
  }
  return value;
}

// grpc::StatusCode as its name, for the "status_<NAME> count" lines.
std::string StatusName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  if (index < 0 || index >= static_cast<int>(sizeof(kNames) / sizeof(kNames[0]))) {
    return "CODE_" + std::to_string(index);
  }
  return kNames[index];
}

// "fraud:123,payment:456" -> {{"fraud", 123}, {"payment", 456}}; exits naming a bad item.
std::vector<std::pair<std::string, int64_t>> ParsePids(const std::string& list) {
  std::vector<std::pair<std::string, int64_t>> out;
  size_t start = 0;
  while (start < list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    const std::string item = list.substr(start, comma - start);
    const size_t colon = item.find(':');
    const int64_t pid =
        colon == std::string::npos ? 0 : std::strtoll(item.c_str() + colon + 1, nullptr, 10);
    if (pid <= 0) {
      std::fprintf(stderr, "--cpu-pids: %s: expected NAME:PID\n", item.c_str());
      std::exit(2);
    }
    out.emplace_back(item.substr(0, colon), pid);
    start = comma + 1;
  }
  return out;
}

int64_t ThreadCpuMicros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

// The end caller's deadline (unix microseconds) from "ol_<deadline>_<i>"; 0 when absent.
int64_t CallerDeadlineMicros(const std::string& user_id) {
  if (user_id.rfind(kUserPrefix, 0) != 0) return 0;
  return std::strtoll(user_id.c_str() + sizeof(kUserPrefix) - 1, nullptr, 10);
}

// --- fraud mode ---

struct Check {
  grpc::CallbackServerContext* context;
  grpc::ServerUnaryReactor* reactor;
  int64_t caller_deadline_us;
  fraud::v1::CheckResult* result;
};

struct FraudCounters {
  std::atomic<int64_t> completed{0};
  std::atomic<int64_t> completed_late{0};  // finished after the end caller's deadline
  std::atomic<int64_t> abandoned{0};       // cancelled while running
  std::atomic<int64_t> skipped{0};         // cancelled while queued: no CPU spent
  std::atomic<int64_t> rejected{0};        // queue full
  std::atomic<int64_t> shed{0};            // too little time left to finish: not started
  std::atomic<int64_t> cpu_us_useful{0};
  std::atomic<int64_t> cpu_us_wasted{0};
};

class CpuBoundFraud final : public fraud::v1::FraudService::CallbackService {
 public:
  CpuBoundFraud(int64_t work_us, int64_t workers, int64_t max_queue, bool shed,
                int64_t shed_margin_us)
      : work_us_(work_us), max_queue_(max_queue), shed_(shed), shed_margin_us_(shed_margin_us) {
    for (int64_t i = 0; i < workers; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~CpuBoundFraud() override { Stop(); }

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const fraud::v1::CheckRequest* request,
                                  fraud::v1::CheckResult* result) override {
    auto* reactor = context->DefaultReactor();
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_ || static_cast<int64_t>(queue_.size()) >= max_queue_) {
      counters_.rejected.fetch_add(1);
      reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "check queue full"));
      return reactor;
    }
    queue_.push_back({context, reactor, CallerDeadlineMicros(request->user_id()), result});
    cv_.notify_one();
    return reactor;
  }

  // Ends the workers; checks still queued or running are answered UNAVAILABLE and counted.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& worker : workers_) worker.join();
    for (auto& check : queue_) {
      counters_.skipped.fetch_add(1);
      check.reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "stopping"));
    }
    queue_.clear();
  }

  const FraudCounters& counters() const { return counters_; }

 private:
  void Work() {
    for (;;) {
      struct Check check;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        check = queue_.front();
        queue_.pop_front();
      }
      Run(check);
    }
  }

  // The call's own deadline counts as well as a cancellation, as in the real fraud service:
  // grpc marks an expired call cancelled only when its transport gets round to it.
  static bool Ended(grpc::CallbackServerContext* context) {
    return context->IsCancelled() || std::chrono::system_clock::now() > context->deadline();
  }

  void Run(const struct Check& check) {
    if (Ended(check.context)) {
      counters_.skipped.fetch_add(1);
      check.reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while queued"));
      return;
    }
    // Shedding: a check that cannot finish before its deadline is not started at all.
    if (shed_ && check.context->deadline() - std::chrono::system_clock::now() <
                     std::chrono::microseconds(work_us_ + shed_margin_us_)) {
      counters_.shed.fetch_add(1);
      check.reactor->Finish(
          grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "not enough time left for the check"));
      return;
    }
    const int64_t start = ThreadCpuMicros();
    bool abandoned = false;
    while (ThreadCpuMicros() - start < work_us_) {
      const int64_t slice_end = ThreadCpuMicros() + kSliceUs;
      while (ThreadCpuMicros() < slice_end) {
      }
      if (Ended(check.context) || stopping_) {
        abandoned = true;
        break;
      }
    }
    const int64_t spent = ThreadCpuMicros() - start;
    const bool late = check.caller_deadline_us > 0 && NowUnixMicros() > check.caller_deadline_us;
    if (abandoned) {
      counters_.abandoned.fetch_add(1);
      counters_.cpu_us_wasted.fetch_add(spent);
      check.reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "abandoned"));
      return;
    }
    counters_.completed.fetch_add(1);
    if (late) counters_.completed_late.fetch_add(1);
    (late ? counters_.cpu_us_wasted : counters_.cpu_us_useful).fetch_add(spent);
    check.result->set_approved(true);
    check.reactor->Finish(grpc::Status::OK);
  }

  const int64_t work_us_;
  const int64_t max_queue_;
  const bool shed_;
  const int64_t shed_margin_us_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<struct Check> queue_;
  std::atomic<bool> stopping_{false};  // read by a running check between slices
  std::vector<std::thread> workers_;
  FraudCounters counters_;
};

int RunFraud(Flags& flags) {
  const int64_t port = Bounded("port", flags.Int("port", 0), 1, 65535);
  const int64_t work_us = Bounded("work-us", flags.Int("work-us", 2000), 1, kMaxWorkUs);
  const int64_t workers = Bounded("workers", flags.Int("workers", 1), 1, kMaxWorkers);
  const int64_t max_queue =
      Bounded("max-queue", flags.Int("max-queue", kDefaultMaxQueue), 1, kDefaultMaxQueue * 10);
  const bool shed = Bounded("shed", flags.Int("shed", 0), 0, 1) == 1;
  const int64_t shed_margin_us =
      Bounded("shed-margin-us", flags.Int("shed-margin-us", 0), 0, kMaxDeadlineMs * 1000);
  flags.CheckAllUsed();
  // Every thread, gRPC's included, inherits the blocked signals; only sigwait below takes them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  CpuBoundFraud service(work_us, workers, max_queue, shed, shed_margin_us);
  grpc::ServerBuilder builder;
  const std::string address = "127.0.0.1:" + std::to_string(port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  // Without SO_REUSEPORT a port someone else holds is an error here, not a shared listener.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (server == nullptr) {
    std::fprintf(stderr, "cannot listen on %s\n", address.c_str());
    return 1;
  }
  std::printf("listening %s\n", address.c_str());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  service.Stop();
  const auto& c = service.counters();
  Emit("checks_completed", static_cast<double>(c.completed.load()));
  Emit("checks_completed_late", static_cast<double>(c.completed_late.load()));
  Emit("checks_abandoned", static_cast<double>(c.abandoned.load()));
  Emit("checks_skipped", static_cast<double>(c.skipped.load()));
  Emit("checks_rejected", static_cast<double>(c.rejected.load()));
  Emit("checks_shed", static_cast<double>(c.shed.load()));
  Emit("fraud_cpu_ms_useful", static_cast<double>(c.cpu_us_useful.load()) / 1000.0);
  Emit("fraud_cpu_ms_wasted", static_cast<double>(c.cpu_us_wasted.load()) / 1000.0);
  std::fflush(stdout);
  server->Shutdown(std::chrono::system_clock::now());
  return 0;
}

// --- load mode ---

int RunLoad(Flags& flags) {
  const std::string target = flags.Str("target", "");
  const int64_t rate = Bounded("rate", flags.Int("rate", 100), 1, kMaxRate);
  const int64_t seconds = Bounded("seconds", flags.Int("seconds", 4), 1, kMaxSeconds);
  const int64_t deadline_ms =
      Bounded("deadline-ms", flags.Int("deadline-ms", 250), 1, kMaxDeadlineMs);
  const std::string event = flags.Str("event", "evt-5");
  const std::string cpu_pids = flags.Str("cpu-pids", "");
  flags.CheckAllUsed();
  if (target.empty()) {
    std::fprintf(stderr, "--target=HOST:PORT (the booking service) is required\n");
    return 2;
  }
  auto channel = MakeChannel(target, 0);
  if (!WaitConnected(channel, 10)) {
    std::fprintf(stderr, "--target=%s: not reachable\n", target.c_str());
    return 1;
  }
  auto stub = booking::v1::BookingService::NewStub(channel);

  struct Call {
    grpc::ClientContext context;
    booking::v1::CreateBookingRequest request;
    booking::v1::Booking response;
    int64_t sent_us = 0;
  };
  std::mutex mutex;
  std::condition_variable all_done;
  std::map<std::string, int64_t> codes;
  Histogram good_latency;
  int64_t in_flight = 0, ok = 0, not_sent = 0;

  std::vector<std::pair<std::string, int64_t>> pids = ParsePids(cpu_pids);
  std::vector<double> cpu_start;
  for (const auto& [name, pid] : pids) cpu_start.push_back(ReadCpuMillis(pid));

  const int64_t total = rate * seconds;
  const int64_t start_us = NowSteadyMicros();
  for (int64_t i = 0; i < total; ++i) {
    // Open loop: call i leaves at start + i/rate whatever happened to the calls before it.
    const int64_t due_us = start_us + i * 1000000 / rate;
    const int64_t wait_us = due_us - NowSteadyMicros();
    if (wait_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (in_flight >= kMaxInFlight) {
        ++not_sent;
        continue;
      }
      ++in_flight;
    }
    auto* call = new Call;
    const auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms);
    call->context.set_deadline(deadline);
    const int64_t deadline_us =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline.time_since_epoch()).count();
    // grpc-timeout is relative: a server reads it when the call arrives, so time spent before
    // that (a busy booking service) would lengthen every hop's deadline. The exact deadline, as
    // the services send it to each other, keeps the whole chain on the caller's.
    call->context.AddMetadata(kDeadlineExactHeader, std::to_string(deadline_us));
    call->request.set_event_id(event);
    call->request.set_user_id(kUserPrefix + std::to_string(deadline_us) + "_" + std::to_string(i));
    call->request.set_seats(1);
    call->sent_us = NowSteadyMicros();
    stub->async()->CreateBooking(&call->context, &call->request, &call->response,
                                 [&, call](grpc::Status status) {
                                   const int64_t latency = NowSteadyMicros() - call->sent_us;
                                   delete call;
                                   std::lock_guard<std::mutex> lock(mutex);
                                   ++codes[StatusName(status.error_code())];
                                   if (status.ok()) {
                                     ++ok;
                                     good_latency.Record(latency);
                                   }
                                   if (--in_flight == 0) all_done.notify_all();
                                 });
  }
  const double sent_seconds = static_cast<double>(NowSteadyMicros() - start_us) / 1e6;
  {
    std::unique_lock<std::mutex> lock(mutex);
    all_done.wait_for(lock, std::chrono::milliseconds(deadline_ms + kDrainSlackMs),
                      [&] { return in_flight == 0; });
  }
  std::lock_guard<std::mutex> lock(mutex);
  Emit("offered_rps", static_cast<double>(rate));
  Emit("sent_rps", static_cast<double>(total - not_sent) / sent_seconds);
  Emit("good_rps", static_cast<double>(ok) / sent_seconds);
  Emit("good_fraction", static_cast<double>(ok) / static_cast<double>(total));
  Emit("not_sent", static_cast<double>(not_sent));
  Emit("unanswered", static_cast<double>(in_flight));
  Emit("good_p50_ms", good_latency.Percentile(50) / 1000.0);
  Emit("good_p99_ms", good_latency.Percentile(99) / 1000.0);
  for (const auto& [code, count] : codes) {
    Emit(("status_" + code).c_str(), static_cast<double>(count));
  }
  for (size_t i = 0; i < pids.size(); ++i) {
    Emit(("cpu_ms_" + pids[i].first).c_str(), ReadCpuMillis(pids[i].second) - cpu_start[i]);
  }
  std::fflush(stdout);
  // Calls still unanswered hold references to this frame: leave without unwinding it.
  std::_Exit(in_flight == 0 ? 0 : 3);
}

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) {
  switchboard::bench::Flags flags(argc, argv);
  const std::string mode = flags.positional().empty() ? "" : flags.positional()[0];
  if (mode == "fraud") return switchboard::bench::RunFraud(flags);
  if (mode == "load") return switchboard::bench::RunLoad(flags);
  std::fprintf(stderr, "usage: bench_overload fraud|load [--flags] (see the file's header)\n");
  return 2;
}
