#include "common/call_budget.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/system_config.h"

namespace switchboard::common {
namespace {

constexpr std::chrono::milliseconds kMinPolicyTimeout{1};
constexpr std::chrono::milliseconds kMaxPolicyTimeout{std::chrono::hours(24)};

std::string Millis(std::chrono::milliseconds value) { return absl::StrCat(value.count(), "ms"); }

// "4980.412ms": microsecond precision, so every hop's entry is strictly below its caller's.
std::string PreciseMillis(std::chrono::microseconds value) {
  return absl::StrFormat("%.3fms", static_cast<double>(value.count()) / 1000.0);
}

// How much later than the caller's deadline grpc-timeout can make it look: the value is sent
// rounded up to 1 ms below 1 s, 10 ms below 10 s, 100 ms below 100 s, and so on.
std::chrono::milliseconds TimeoutRoundingSlack(std::chrono::system_clock::duration remaining) {
  std::chrono::milliseconds slack{0};
  for (auto bound = std::chrono::seconds(1); remaining >= bound && bound.count() < 1000000;
       bound *= 10) {
    slack = slack.count() == 0 ? std::chrono::milliseconds(10) : slack * 10;
  }
  return slack;
}

std::string FindMetadata(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                         const char* key) {
  auto it = metadata.find(key);
  return it == metadata.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

}  // namespace

CallBudget::CallBudget(grpc::CallbackServerContext* context, std::string hop,
                       const DeadlinePolicy& policy, Clock clock)
    : context_(context),
      hop_(std::move(hop)),
      clock_(std::move(clock)),
      propagate_(policy.propagate),
      default_timeout_(policy.default_timeout) {
  const auto now = clock_();
  auto incoming = context_->deadline();
  // grpc++ reports "no deadline" as a time far in the future.
  const bool has_deadline = incoming < now + std::chrono::hours(24 * 365);
  if (has_deadline) {
    int64_t exact_us = 0;
    const std::string exact = FindMetadata(context_->client_metadata(), kDeadlineExactHeader);
    if (!exact.empty() && absl::SimpleAtoi(exact, &exact_us) && exact_us > 0) {
      // Only ever shortens: a caller cannot extend its own deadline this way.
      incoming = std::min(incoming, std::chrono::system_clock::time_point(
                                        std::chrono::microseconds(exact_us)));
    } else {
      incoming -= TimeoutRoundingSlack(incoming - now);
    }
  }
  const auto cap = now + policy.max_timeout;
  deadline_ = has_deadline ? std::min(incoming, cap) : now + policy.default_timeout;
  budget_on_entry_ = std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - now);
  tracing_ = FindMetadata(context_->client_metadata(), kDeadlineTraceHeader) == "1";
}

std::chrono::milliseconds CallBudget::Remaining() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - clock_());
}

grpc::Status CallBudget::CheckNotExpired() const {
  if (clock_() < deadline_) return grpc::Status::OK;
  return {grpc::StatusCode::DEADLINE_EXCEEDED,
          absl::StrCat(hop_, ": deadline already passed on arrival")};
}

grpc::Status CallBudget::Require(std::chrono::milliseconds needed, const std::string& step) const {
  const auto remaining = Remaining();
  if (remaining >= needed) return grpc::Status::OK;
  return {grpc::StatusCode::DEADLINE_EXCEEDED,
          absl::StrCat(hop_, ": ", Millis(std::max(remaining, std::chrono::milliseconds(0))),
                       " left, ", step, " needs at least ", Millis(needed))};
}

std::unique_ptr<grpc::ClientContext> CallBudget::NewClientContext() const {
  if (!propagate_) {
    auto detached = std::make_unique<grpc::ClientContext>();
    detached->set_deadline(clock_() + default_timeout_);
    if (tracing_) detached->AddMetadata(kDeadlineTraceHeader, "1");
    return detached;
  }
  auto client = grpc::ClientContext::FromCallbackServerContext(*context_);
  // Propagation already takes the caller's deadline; this adds the cap or the default.
  client->set_deadline(deadline_);
  client->AddMetadata(kDeadlineExactHeader,
                      absl::StrCat(std::chrono::duration_cast<std::chrono::microseconds>(
                                       deadline_.time_since_epoch())
                                       .count()));
  if (tracing_) client->AddMetadata(kDeadlineTraceHeader, "1");
  return client;
}

void CallBudget::Collect(const grpc::ClientContext& downstream) {
  if (!tracing_) return;
  std::string trace = FindMetadata(downstream.GetServerTrailingMetadata(), kDeadlineBudgetHeader);
  if (trace.empty()) {
    trace = FindMetadata(downstream.GetServerInitialMetadata(), kDeadlineBudgetHeader);
  }
  if (trace.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  downstream_trace_.push_back(std::move(trace));
}

std::string CallBudget::Trace() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> parts{absl::StrCat(hop_, "=", PreciseMillis(budget_on_entry_))};
  parts.insert(parts.end(), downstream_trace_.begin(), downstream_trace_.end());
  return absl::StrJoin(parts, ";");
}

void CallBudget::AttachTrace() {
  if (tracing_) context_->AddTrailingMetadata(kDeadlineBudgetHeader, Trace());
}

DeadlinePolicy ReadDeadlinePolicy(Settings& settings) {
  DeadlinePolicy policy;
  policy.default_timeout = settings.Duration("default_timeout", policy.default_timeout,
                                             kMinPolicyTimeout, kMaxPolicyTimeout);
  policy.max_timeout =
      settings.Duration("max_timeout", policy.max_timeout, kMinPolicyTimeout, kMaxPolicyTimeout);
  policy.propagate = settings.Int("propagate_deadlines", 1, 0, 1) == 1;
  return policy;
}

}  // namespace switchboard::common
