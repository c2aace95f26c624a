#include "gateway/gateway_metrics.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace switchboard::gateway {
namespace {

// Label values are our own route names and status names, but escape anyway.
std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

void GatewayMetrics::CallFinished(const std::string& protocol, const std::string& method,
                                  const std::string& status,
                                  std::chrono::steady_clock::duration elapsed, bool was_open) {
  if (was_open) --open_calls_;
  using Key = std::tuple<std::string_view, std::string_view, std::string_view>;
  auto counter = calls_.find(Key(protocol, method, status));
  if (counter == calls_.end())
    counter = calls_.emplace(std::make_tuple(protocol, method, status), 0).first;
  ++counter->second;
  Histogram& histogram = latency_[protocol];
  const double seconds = std::chrono::duration<double>(elapsed).count();
  for (size_t i = 0; i < kBucketsSeconds.size(); ++i) {
    if (seconds <= kBucketsSeconds[i]) ++histogram.buckets[i];
  }
  ++histogram.count;
  histogram.sum += seconds;
}

std::string GatewayMetrics::Render() const {
  std::string out =
      "# HELP switchboard_gateway_calls_total Calls finished, by protocol, method and status.\n"
      "# TYPE switchboard_gateway_calls_total counter\n";
  for (const auto& [key, count] : calls_) {
    const auto& [protocol, method, status] = key;
    absl::StrAppend(&out, "switchboard_gateway_calls_total{protocol=\"", Escape(protocol),
                    "\",method=\"", Escape(method), "\",status=\"", Escape(status), "\"} ", count,
                    "\n");
  }
  out +=
      "# HELP switchboard_gateway_call_duration_seconds Time from request to final status.\n"
      "# TYPE switchboard_gateway_call_duration_seconds histogram\n";
  for (const auto& [protocol, histogram] : latency_) {
    for (size_t i = 0; i < kBucketsSeconds.size(); ++i) {
      absl::StrAppend(&out, "switchboard_gateway_call_duration_seconds_bucket{protocol=\"",
                      Escape(protocol), "\",le=\"", absl::StrFormat("%g", kBucketsSeconds[i]),
                      "\"} ", histogram.buckets[i], "\n");
    }
    absl::StrAppend(&out, "switchboard_gateway_call_duration_seconds_bucket{protocol=\"",
                    Escape(protocol), "\",le=\"+Inf\"} ", histogram.count, "\n");
    absl::StrAppend(&out, "switchboard_gateway_call_duration_seconds_sum{protocol=\"",
                    Escape(protocol), "\"} ", absl::StrFormat("%.6f", histogram.sum), "\n");
    absl::StrAppend(&out, "switchboard_gateway_call_duration_seconds_count{protocol=\"",
                    Escape(protocol), "\"} ", histogram.count, "\n");
  }
  absl::StrAppend(&out,
                  "# HELP switchboard_gateway_open_calls Calls in progress.\n"
                  "# TYPE switchboard_gateway_open_calls gauge\n"
                  "switchboard_gateway_open_calls ",
                  open_calls_, "\n");
  out +=
      "# HELP switchboard_gateway_upstream_errors_total Backend connections that failed or "
      "reset a call.\n"
      "# TYPE switchboard_gateway_upstream_errors_total counter\n";
  for (const auto& [backend, count] : upstream_errors_) {
    absl::StrAppend(&out, "switchboard_gateway_upstream_errors_total{backend=\"", Escape(backend),
                    "\"} ", count, "\n");
  }
  out +=
      "# HELP switchboard_gateway_slow_clients_total Clients dropped for stalling longer than "
      "limits.slow_client_timeout, by protocol and phase.\n"
      "# TYPE switchboard_gateway_slow_clients_total counter\n";
  for (const auto& [key, count] : slow_clients_) {
    absl::StrAppend(&out, "switchboard_gateway_slow_clients_total{protocol=\"", Escape(key.first),
                    "\",phase=\"", Escape(key.second), "\"} ", count, "\n");
  }
  out +=
      "# HELP switchboard_gateway_retries_total Calls tried again on another backend.\n"
      "# TYPE switchboard_gateway_retries_total counter\n";
  for (const auto& [service, count] : retries_) {
    absl::StrAppend(&out, "switchboard_gateway_retries_total{service=\"", Escape(service), "\"} ",
                    count, "\n");
  }
  if (!backend_source_) return out;
  const std::vector<BackendSample> samples = backend_source_();
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    std::function<std::string(const BackendSample&)> value;
  } families[] = {
      {"switchboard_gateway_upstream_requests_total", "counter", "Requests sent to a backend.",
       [](const BackendSample& s) { return absl::StrCat(s.requests); }},
      {"switchboard_gateway_upstream_in_flight", "gauge", "Requests open on a backend now.",
       [](const BackendSample& s) { return absl::StrCat(s.in_flight); }},
      {"switchboard_gateway_upstream_failures_total", "counter",
       "Requests that failed on a backend (transport failure or UNAVAILABLE).",
       [](const BackendSample& s) { return absl::StrCat(s.failures); }},
      {"switchboard_gateway_upstream_healthy", "gauge", "1 while active health checks pass.",
       [](const BackendSample& s) { return std::string(s.healthy ? "1" : "0"); }},
      {"switchboard_gateway_upstream_ejected", "gauge", "1 while ejected as an outlier.",
       [](const BackendSample& s) { return std::string(s.ejected ? "1" : "0"); }},
      {"switchboard_gateway_upstream_draining", "gauge",
       "1 while removed by a reload and finishing its calls.",
       [](const BackendSample& s) { return std::string(s.draining ? "1" : "0"); }},
      {"switchboard_gateway_upstream_ejections_total", "counter", "Outlier ejections.",
       [](const BackendSample& s) { return absl::StrCat(s.ejections); }},
  };
  for (const auto& family : families) {
    absl::StrAppend(&out, "# HELP ", family.name, " ", family.help, "\n# TYPE ", family.name, " ",
                    family.type, "\n");
    for (const auto& sample : samples) {
      absl::StrAppend(&out, family.name, "{service=\"", Escape(sample.service), "\",backend=\"",
                      Escape(sample.backend), "\"} ", family.value(sample), "\n");
    }
  }
  return out;
}

int GrpcStatusOf(const std::string* trailers_status, const std::string* headers_status) {
  const std::string* value = trailers_status != nullptr ? trailers_status : headers_status;
  if (value == nullptr || value->empty() || value->size() > 2) return -1;
  int code = 0;
  for (char c : *value) {
    if (c < '0' || c > '9') return -1;
    code = code * 10 + (c - '0');
  }
  return code <= 16 ? code : -1;
}

}  // namespace switchboard::gateway
