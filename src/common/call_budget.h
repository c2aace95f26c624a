// Deadline propagation: every service in a call chain sees the budget left of the deadline its
// caller set, fails fast when that is too little, and hands the same deadline and cancellation
// to every downstream call. Services use this one class and never set timeouts by hand.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

namespace switchboard::common {

// Request metadata that asks every hop to report its budget, and the response metadata that
// carries the report, each hop's budget on entry with microsecond precision:
// "booking=4980.412ms;ticket=4975.120ms;payment=4972.861ms;fraud=4968.003ms".
inline constexpr char kDeadlineTraceHeader[] = "x-deadline-trace";
inline constexpr char kDeadlineBudgetHeader[] = "x-deadline-budget";
// The exact deadline, microseconds since the Unix epoch, sent to every downstream hop beside
// grpc-timeout. grpc-timeout is rounded up to two or three significant digits on the wire, so
// without this each hop would see a slightly later deadline than its caller.
inline constexpr char kDeadlineExactHeader[] = "x-deadline-unix-us";

struct DeadlinePolicy {
  // Applied to requests that arrive without a deadline, so nothing waits forever.
  std::chrono::milliseconds default_timeout{10000};
  // Deadlines further away than this are shortened to it.
  std::chrono::milliseconds max_timeout{60000};
  // Off only to measure what propagation saves: downstream calls then get a fresh
  // default_timeout and no cancellation from the caller, as in a system without it.
  bool propagate = true;
};

class CallBudget {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // `hop` names this service in the trace ("booking"). `context` must outlive this object.
  CallBudget(grpc::CallbackServerContext* context, std::string hop, const DeadlinePolicy& policy,
             Clock clock = std::chrono::system_clock::now);

  // The deadline this call works to: the caller's, capped, or the default when it had none.
  std::chrono::system_clock::time_point deadline() const { return deadline_; }
  std::chrono::milliseconds Remaining() const;
  std::chrono::microseconds BudgetOnEntry() const { return budget_on_entry_; }

  // DEADLINE_EXCEEDED when the deadline has already passed: check before any work or write.
  grpc::Status CheckNotExpired() const;
  // DEADLINE_EXCEEDED when less than `needed` remains for `step`, before calling downstream.
  grpc::Status Require(std::chrono::milliseconds needed, const std::string& step) const;

  // A context for a call made while serving this one: the deadline and cancellation of the
  // incoming call propagate, and so does a trace request.
  std::unique_ptr<grpc::ClientContext> NewClientContext() const;
  // Takes the downstream hop's trace out of its response metadata. Thread-safe.
  void Collect(const grpc::ClientContext& downstream);
  // Adds the trace (this hop first, then downstream hops in call order) to the response's
  // trailing metadata when the caller asked for it. Call once, before Finish.
  void AttachTrace();
  bool tracing() const { return tracing_; }
  std::string Trace() const;

 private:
  grpc::CallbackServerContext* context_;
  std::string hop_;
  Clock clock_;
  bool propagate_;
  std::chrono::milliseconds default_timeout_;
  std::chrono::system_clock::time_point deadline_;
  std::chrono::microseconds budget_on_entry_{0};
  bool tracing_ = false;
  mutable std::mutex mutex_;
  std::vector<std::string> downstream_trace_;
};

// The policy from a service's settings block: `default_timeout`, `max_timeout`, and
// `propagate_deadlines` (1, or 0 for benchmarks only).
class Settings;
DeadlinePolicy ReadDeadlinePolicy(Settings& settings);

}  // namespace switchboard::common
