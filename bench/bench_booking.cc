// Load generator for bench/booking_chain.sh, four modes:
//   bench_booking chain  --target=booking --requests=N --concurrency=C --deadline-ms=D
//       CreateBooking through the real chain, closed loop: QPS, p50/p99, status counts.
//   bench_booking charge --target=payment --requests=N --concurrency=C --deadline-ms=D
//       PaymentService.Charge directly (deadline D, or none when D is 0), each followed by the
//       Refund that booking's compensation would send: the downstream calls a booking makes.
//   bench_booking hop    --requests=N --concurrency=C --rounds=R
//       One relay hop in this process, with the project's CallBudget. The relay's downstream
//       context is made three ways: propagated (CallBudget::NewClientContext, today's code), the
//       same deadline passed by value without the parent-call link, or a fresh context with the
//       policy's default timeout (what a switch-off would send).
// chain and charge take --cpu-pids=name:pid,...: the CPU time (utime+stime) each process spent
// from just before the first request to --settle-ms after the last answer.
//
// Output: "name value" lines on stdout.
#include <grpcpp/client_context.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/client_callback.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "common/call_budget.h"
#include "switchboard/booking/v1/booking.grpc.pb.h"
#include "switchboard/fraud/v1/fraud.grpc.pb.h"
#include "switchboard/payment/v1/payment.grpc.pb.h"

namespace switchboard::bench {
namespace {

// Closed loop: `concurrency` calls in flight until `requests` have finished. `issue(i, done)`
// starts call i and must call done(status) exactly once, from any thread.
class ClosedLoop {
 public:
  using Done = std::function<void(const grpc::Status&)>;
  using Issue = std::function<void(int64_t, Done)>;

  ClosedLoop(int64_t requests, int64_t concurrency, Issue issue)
      : requests_(requests), concurrency_(concurrency), issue_(std::move(issue)) {}

  // Returns the wall time in seconds from the first call to the last answer.
  double Run() {
    const int64_t start = NowSteadyMicros();
    for (int64_t i = 0; i < concurrency_ && i < requests_; ++i) Next();
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return finished_ == requests_; });
    return static_cast<double>(NowSteadyMicros() - start) / 1e6;
  }

  const Histogram& latency() const { return latency_; }
  std::map<std::string, int64_t> codes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return codes_;
  }

 private:
  void Next() {
    const int64_t i = next_.fetch_add(1);
    if (i >= requests_) return;
    const int64_t started = NowSteadyMicros();
    issue_(i, [this, started](const grpc::Status& status) {
      latency_.Record(NowSteadyMicros() - started);
      // The next call starts before this one counts as finished: once the last one counts,
      // Run() may return and destroy this object, so nothing may touch it after that.
      Next();
      std::lock_guard<std::mutex> lock(mutex_);
      ++codes_[CodeName(status.error_code())];
      if (!status.ok() && first_error_.empty()) {
        first_error_ = status.error_message();
        std::fprintf(stderr, "first error: %s: %s\n", CodeName(status.error_code()),
                     first_error_.c_str());
      }
      if (++finished_ == requests_) cv_.notify_all();
    });
  }

  static const char* CodeName(grpc::StatusCode code) {
    switch (code) {
      case grpc::StatusCode::OK:
        return "OK";
      case grpc::StatusCode::CANCELLED:
        return "CANCELLED";
      case grpc::StatusCode::INVALID_ARGUMENT:
        return "INVALID_ARGUMENT";
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        return "DEADLINE_EXCEEDED";
      case grpc::StatusCode::PERMISSION_DENIED:
        return "PERMISSION_DENIED";
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        return "RESOURCE_EXHAUSTED";
      case grpc::StatusCode::FAILED_PRECONDITION:
        return "FAILED_PRECONDITION";
      case grpc::StatusCode::ABORTED:
        return "ABORTED";
      case grpc::StatusCode::UNAVAILABLE:
        return "UNAVAILABLE";
      default:
        return "OTHER";
    }
  }

  const int64_t requests_;
  const int64_t concurrency_;
  Issue issue_;
  std::atomic<int64_t> next_{0};
  Histogram latency_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int64_t finished_ = 0;
  std::map<std::string, int64_t> codes_;
  std::string first_error_;
};

void EmitLoop(const char* prefix, ClosedLoop& loop, double seconds, int64_t requests) {
  const std::string p(prefix);
  Emit((p + "qps").c_str(), static_cast<double>(requests) / seconds);
  Emit((p + "p50_ms").c_str(), loop.latency().Percentile(50) / 1000.0);
  Emit((p + "p99_ms").c_str(), loop.latency().Percentile(99) / 1000.0);
  for (const auto& [code, count] : loop.codes()) {
    Emit((p + "status_" + code).c_str(), static_cast<double>(count));
  }
}

// "fraud:123,payment:456" -> {{"fraud", 123}, {"payment", 456}}
std::vector<std::pair<std::string, int64_t>> ParsePids(const std::string& list) {
  std::vector<std::pair<std::string, int64_t>> out;
  size_t start = 0;
  while (start < list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    const std::string item = list.substr(start, comma - start);
    const size_t colon = item.find(':');
    if (colon != std::string::npos) {
      out.emplace_back(item.substr(0, colon), std::strtoll(item.c_str() + colon + 1, nullptr, 10));
    }
    start = comma + 1;
  }
  return out;
}

// CPU time of each process over a stretch of work, in milliseconds.
class CpuMeter {
 public:
  explicit CpuMeter(const std::string& pids) : pids_(ParsePids(pids)) {
    for (const auto& [name, pid] : pids_) start_.push_back(ReadCpuMillis(pid));
  }
  void EmitDelta() const {
    for (size_t i = 0; i < pids_.size(); ++i) {
      Emit(("cpu_ms_" + pids_[i].first).c_str(), ReadCpuMillis(pids_[i].second) - start_[i]);
    }
  }

 private:
  std::vector<std::pair<std::string, int64_t>> pids_;
  std::vector<double> start_;
};

void SetDeadline(grpc::ClientContext* context, int64_t deadline_ms) {
  if (deadline_ms > 0) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(deadline_ms));
  }
}

int RunChain(Flags& flags) {
  const std::string target = flags.Str("target", "127.0.0.1:50061");
  const int64_t requests = flags.Int("requests", 2000);
  const int64_t concurrency = flags.Int("concurrency", 16);
  const int64_t deadline_ms = flags.Int("deadline-ms", 5000);
  const std::string event = flags.Str("event", "evt-5");
  const int seats = static_cast<int>(flags.Int("seats", 1));
  const std::string users = flags.Str("user-prefix", "bench");
  const std::string cpu_pids = flags.Str("cpu-pids", "");
  const int64_t settle_ms = flags.Int("settle-ms", 0);
  flags.CheckAllUsed();
  auto channel = MakeChannel(target, 0);
  if (!WaitConnected(channel, 10)) return 1;
  auto stub = booking::v1::BookingService::NewStub(channel);

  struct Call {
    grpc::ClientContext context;
    booking::v1::CreateBookingRequest request;
    booking::v1::Booking response;
  };
  CpuMeter cpu(cpu_pids);
  ClosedLoop loop(requests, concurrency, [&](int64_t i, ClosedLoop::Done done) {
    auto* call = new Call;
    SetDeadline(&call->context, deadline_ms);
    call->request.set_event_id(event);
    call->request.set_user_id(users + "-" + std::to_string(i));
    call->request.set_seats(seats);
    stub->async()->CreateBooking(&call->context, &call->request, &call->response,
                                 [call, done](grpc::Status status) {
                                   delete call;
                                   done(status);
                                 });
  });
  const double seconds = loop.Run();
  std::this_thread::sleep_for(std::chrono::milliseconds(settle_ms));
  EmitLoop("", loop, seconds, requests);
  cpu.EmitDelta();
  return 0;
}

int RunCharge(Flags& flags) {
  const std::string target = flags.Str("target", "127.0.0.1:50071");
  const int64_t requests = flags.Int("requests", 1000);
  const int64_t concurrency = flags.Int("concurrency", 50);
  const int64_t deadline_ms = flags.Int("deadline-ms", 0);
  const int64_t refund_timeout_ms = flags.Int("refund-timeout-ms", 5000);
  const std::string prefix = flags.Str("booking-prefix", "bench");
  const std::string cpu_pids = flags.Str("cpu-pids", "");
  const int64_t settle_ms = flags.Int("settle-ms", 0);
  flags.CheckAllUsed();
  auto channel = MakeChannel(target, 0);
  if (!WaitConnected(channel, 10)) return 1;
  auto stub = payment::v1::PaymentService::NewStub(channel);

  struct Call {
    grpc::ClientContext charge_context;
    payment::v1::ChargeRequest charge;
    payment::v1::Payment charged;
    grpc::ClientContext refund_context;
    payment::v1::RefundRequest refund;
    payment::v1::Payment refunded;
  };
  std::atomic<int64_t> refunds_failed{0};
  CpuMeter cpu(cpu_pids);
  ClosedLoop loop(requests, concurrency, [&](int64_t i, ClosedLoop::Done done) {
    auto* call = new Call;
    const std::string booking_id = prefix + "-" + std::to_string(i);
    SetDeadline(&call->charge_context, deadline_ms);
    call->charge.set_booking_id(booking_id);
    call->charge.set_user_id("user-" + booking_id);
    call->charge.set_amount(8500);
    call->charge.set_currency("GBP");
    call->refund.set_booking_id(booking_id);
    stub->async()->Charge(&call->charge_context, &call->charge, &call->charged,
                          [&, call, done](grpc::Status charge_status) {
                            // The compensation booking runs after any failed or abandoned charge.
                            SetDeadline(&call->refund_context, refund_timeout_ms);
                            stub->async()->Refund(
                                &call->refund_context, &call->refund, &call->refunded,
                                [&, call, done, charge_status](grpc::Status refund_status) {
                                  if (!refund_status.ok()) refunds_failed.fetch_add(1);
                                  delete call;
                                  done(charge_status);
                                });
                          });
  });
  const double seconds = loop.Run();
  std::this_thread::sleep_for(std::chrono::milliseconds(settle_ms));
  EmitLoop("", loop, seconds, requests);
  Emit("refunds_failed", static_cast<double>(refunds_failed.load()));
  cpu.EmitDelta();
  return 0;
}

// --- hop mode: one relay hop with and without propagation, in this process ---

using fraud::v1::CheckRequest;
using fraud::v1::CheckResult;
using fraud::v1::FraudService;

// The leaf does what every service does on entry (a CallBudget) and answers at once.
class LeafService final : public FraudService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context, const CheckRequest*,
                                  CheckResult* result) override {
    common::CallBudget budget(context, "leaf", policy_);
    result->set_approved(true);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(budget.CheckNotExpired());
    return reactor;
  }

 private:
  common::DeadlinePolicy policy_;
};

// How the relay makes its downstream context.
enum class Propagation {
  kOn,       // today: CallBudget::NewClientContext (parent call + deadline + exact header)
  kByValue,  // the same deadline and header, but no parent call (no cancellation link)
  kOff,      // a fresh context with the policy's default timeout, nothing from the caller
};

class RelayReactor final : public grpc::ServerUnaryReactor {
 public:
  RelayReactor(grpc::CallbackServerContext* context, const CheckRequest* request,
               CheckResult* result, FraudService::Stub* leaf, Propagation propagation,
               const common::DeadlinePolicy& policy)
      : budget_(context, "relay", policy), result_(result) {
    switch (propagation) {
      case Propagation::kOn:
        downstream_ = budget_.NewClientContext();
        break;
      case Propagation::kByValue:
        downstream_ = std::make_unique<grpc::ClientContext>();
        downstream_->set_deadline(budget_.deadline());
        downstream_->AddMetadata(
            common::kDeadlineExactHeader,
            std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                               budget_.deadline().time_since_epoch())
                               .count()));
        break;
      case Propagation::kOff:
        // What a `propagate: false` switch would send: no parent call (so no inherited
        // deadline or cancellation), no x-deadline-unix-us, the policy's default timeout.
        downstream_ = std::make_unique<grpc::ClientContext>();
        downstream_->set_deadline(std::chrono::system_clock::now() + policy.default_timeout);
        break;
    }
    leaf->async()->Check(downstream_.get(), request, result_,
                         [this](grpc::Status status) { Finish(status); });
  }
  void OnDone() override { delete this; }

 private:
  common::CallBudget budget_;
  CheckResult* result_;
  std::unique_ptr<grpc::ClientContext> downstream_;
};

class RelayService final : public FraudService::CallbackService {
 public:
  RelayService(FraudService::Stub* leaf, Propagation propagation)
      : leaf_(leaf), propagation_(propagation) {}
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context, const CheckRequest* request,
                                  CheckResult* result) override {
    return new RelayReactor(context, request, result, leaf_, propagation_, policy_);
  }

 private:
  FraudService::Stub* leaf_;
  const Propagation propagation_;
  common::DeadlinePolicy policy_;
};

std::unique_ptr<grpc::Server> StartServer(grpc::Service* service, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

int RunHop(Flags& flags) {
  const int64_t requests = flags.Int("requests", 20000);
  const int64_t concurrency = flags.Int("concurrency", 16);
  const int64_t deadline_ms = flags.Int("deadline-ms", 5000);
  const int rounds = static_cast<int>(flags.Int("rounds", 2));
  flags.CheckAllUsed();

  LeafService leaf;
  int leaf_port = 0;
  auto leaf_server = StartServer(&leaf, &leaf_port);
  auto leaf_stub = FraudService::NewStub(MakeChannel("127.0.0.1:" + std::to_string(leaf_port), 0));
  // One relay server per variant, each reached over its own connection.
  const char* names[] = {"on", "value", "off"};
  const Propagation variants[] = {Propagation::kOn, Propagation::kByValue, Propagation::kOff};
  constexpr int kVariants = 3;
  std::vector<std::unique_ptr<RelayService>> relays;
  std::vector<std::unique_ptr<grpc::Server>> servers;
  std::vector<std::unique_ptr<FraudService::Stub>> stubs;
  for (int v = 0; v < kVariants; ++v) {
    relays.push_back(std::make_unique<RelayService>(leaf_stub.get(), variants[v]));
    int port = 0;
    servers.push_back(StartServer(relays.back().get(), &port));
    stubs.push_back(FraudService::NewStub(MakeChannel("127.0.0.1:" + std::to_string(port), v + 1)));
  }

  struct Call {
    grpc::ClientContext context;
    CheckRequest request;
    CheckResult result;
  };
  auto measure = [&](FraudService::Stub* stub, int64_t n) {
    auto loop =
        std::make_unique<ClosedLoop>(n, concurrency, [&, stub](int64_t, ClosedLoop::Done done) {
          auto* call = new Call;
          SetDeadline(&call->context, deadline_ms);
          call->request.set_user_id("u");
          call->request.set_amount(1);
          call->request.set_currency("EUR");
          stub->async()->Check(&call->context, &call->request, &call->result,
                               [call, done](grpc::Status status) {
                                 delete call;
                                 done(status);
                               });
        });
    const double seconds = loop->Run();
    return std::make_pair(std::move(loop), seconds);
  };
  for (auto& stub : stubs) measure(stub.get(), requests / 10);  // warm every path
  // Rotating order per round (on, value, off; value, off, on; ...) so drift in machine load
  // hits every variant alike.
  std::vector<double> qps[kVariants], p50[kVariants], p99[kVariants];
  int64_t failed = 0;
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < kVariants; ++k) {
      const int v = (r + k) % kVariants;
      auto [loop, seconds] = measure(stubs[static_cast<size_t>(v)].get(), requests);
      qps[v].push_back(static_cast<double>(requests) / seconds);
      p50[v].push_back(loop->latency().Percentile(50));
      p99[v].push_back(loop->latency().Percentile(99));
      for (const auto& [code, count] : loop->codes()) {
        if (code != "OK") failed += count;
      }
    }
  }
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  for (int v = 0; v < kVariants; ++v) {
    const std::string n = names[v];
    Emit((n + "_qps").c_str(), mean(qps[v]));
    Emit((n + "_p50_us").c_str(), mean(p50[v]));
    Emit((n + "_p99_us").c_str(), mean(p99[v]));
  }
  Emit("failed", static_cast<double>(failed));
  for (auto& server : servers) server->Shutdown();
  leaf_server->Shutdown();
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) {
  switchboard::bench::Flags flags(argc, argv);
  const std::string mode = flags.positional().empty() ? "" : flags.positional()[0];
  if (mode == "chain") return switchboard::bench::RunChain(flags);
  if (mode == "charge") return switchboard::bench::RunCharge(flags);
  if (mode == "hop") return switchboard::bench::RunHop(flags);
  std::fprintf(stderr, "usage: bench_booking chain|charge|hop [--flags]\n");
  return 2;
}
