#include "common/call_budget.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/system_config.h"

namespace switchboard::common {
namespace {

constexpr std::chrono::milliseconds kMinPolicyTimeout{1};
constexpr std::chrono::milliseconds kMaxPolicyTimeout{std::chrono::hours(24)};

std::string Millis(std::chrono::milliseconds value) { return absl::StrCat(value.count(), "ms"); }

std::string FindMetadata(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                         const char* key) {
  auto it = metadata.find(key);
  return it == metadata.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

}  // namespace

CallBudget::CallBudget(grpc::CallbackServerContext* context, std::string hop,
                       const DeadlinePolicy& policy, Clock clock)
    : context_(context), hop_(std::move(hop)), clock_(std::move(clock)) {
  const auto now = clock_();
  const auto incoming = context_->deadline();
  const auto cap = now + policy.max_timeout;
  // grpc++ reports "no deadline" as a time far in the future.
  const bool has_deadline = incoming < now + std::chrono::hours(24 * 365);
  deadline_ = has_deadline ? std::min(incoming, cap) : now + policy.default_timeout;
  budget_on_entry_ = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now);
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
  auto client = grpc::ClientContext::FromCallbackServerContext(*context_);
  // Propagation already takes the caller's deadline; this adds the cap or the default.
  client->set_deadline(deadline_);
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
  std::vector<std::string> parts{absl::StrCat(hop_, "=", Millis(budget_on_entry_))};
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
  return policy;
}

}  // namespace switchboard::common
