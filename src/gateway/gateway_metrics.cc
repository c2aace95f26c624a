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

void GatewayMetrics::CallStarted() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.open_calls;
  }
  Changed(false);
}

void GatewayMetrics::CallFinished(const std::string& protocol, const std::string& method,
                                  const std::string& status,
                                  std::chrono::steady_clock::duration elapsed, bool was_open) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (was_open) --counters_.open_calls;
    using Key = std::tuple<std::string_view, std::string_view, std::string_view>;
    auto counter = counters_.calls.find(Key(protocol, method, status));
    if (counter == counters_.calls.end()) {
      counter = counters_.calls.emplace(std::make_tuple(protocol, method, status), 0).first;
    }
    ++counter->second;
    Histogram& histogram = counters_.latency[protocol];
    for (size_t i = 0; i < kBucketsSeconds.size(); ++i) {
      if (seconds <= kBucketsSeconds[i]) ++histogram.buckets[i];
    }
    ++histogram.count;
    histogram.sum += seconds;
  }
  Changed(true);
}

void GatewayMetrics::UpstreamError(const std::string& backend) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.upstream_errors[backend];
  }
  Changed(false);
}

void GatewayMetrics::Retry(const std::string& service) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.retries[service];
  }
  Changed(false);
}

void GatewayMetrics::SlowClient(const std::string& protocol, const std::string& phase) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.slow_clients[{protocol, phase}];
  }
  Changed(false);
}

void GatewayMetrics::AuthRejected(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.auth_rejected[reason];
  }
  Changed(false);
}

void GatewayMetrics::RateLimited(const std::string& method) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.rate_limited[method];
  }
  Changed(false);
}

void GatewayMetrics::H2ConnectionError(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.h2_connection_errors[reason];
  }
  Changed(false);
}

void GatewayMetrics::ConnectionRefused(const std::string& limit) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.connections_refused[limit];
  }
  Changed(false);
}

void GatewayMetrics::PublishBackends(std::vector<BackendSample>* samples) {
  std::lock_guard<std::mutex> lock(mutex_);
  backends_.swap(*samples);
}

void GatewayMetrics::Counters::Add(const Counters& other) {
  open_calls += other.open_calls;
  for (const auto& [key, count] : other.calls) calls[key] += count;
  for (const auto& [protocol, histogram] : other.latency) {
    Histogram& total = latency[protocol];
    for (size_t i = 0; i < kBucketsSeconds.size(); ++i) total.buckets[i] += histogram.buckets[i];
    total.count += histogram.count;
    total.sum += histogram.sum;
  }
  for (const auto& [backend, count] : other.upstream_errors) upstream_errors[backend] += count;
  for (const auto& [service, count] : other.retries) retries[service] += count;
  for (const auto& [key, count] : other.slow_clients) slow_clients[key] += count;
  for (const auto& [reason, count] : other.auth_rejected) auth_rejected[reason] += count;
  for (const auto& [method, count] : other.rate_limited) rate_limited[method] += count;
  for (const auto& [reason, count] : other.h2_connection_errors) {
    h2_connection_errors[reason] += count;
  }
  for (const auto& [limit, count] : other.connections_refused) connections_refused[limit] += count;
}

namespace {

// One backend's row over every worker that lists it.
struct BackendRow {
  std::string service;
  std::string backend;
  uint64_t requests = 0;
  int64_t in_flight = 0;
  uint64_t failures = 0;
  uint64_t ejections = 0;
  int workers = 0;  // that list it
  int healthy = 0;  // of those, how many see it so
  int ejected = 0;
  int draining = 0;
};

// A 0/1 gauge over `of` workers: the share for which it holds.
std::string Share(int holds, int of) {
  if (holds == of) return "1";
  if (holds == 0) return "0";
  return absl::StrCat(static_cast<double>(holds) / of);
}

}  // namespace

std::string GatewayMetrics::Render() const {
  Counters total;
  // Rows in the order the first worker listing them has them (balancers by service, their
  // backends as configured, then those still draining).
  std::vector<BackendRow> rows;
  std::map<std::pair<std::string, std::string>, size_t> row_of;
  const auto now = lb::Clock::now();
  const std::vector<const GatewayMetrics*> alone = {this};
  for (const GatewayMetrics* worker : group_.empty() ? alone : group_) {
    std::lock_guard<std::mutex> lock(worker->mutex_);
    total.Add(worker->counters_);
    for (const BackendSample& sample : worker->backends_) {
      auto [it, added] = row_of.try_emplace({sample.service, sample.backend}, rows.size());
      if (added) rows.push_back(BackendRow{sample.service, sample.backend});
      BackendRow& row = rows[it->second];
      row.requests += sample.requests;
      row.in_flight += sample.in_flight;
      row.failures += sample.failures;
      row.ejections += sample.ejections;
      ++row.workers;
      row.healthy += sample.healthy ? 1 : 0;
      row.ejected += now < sample.ejected_until ? 1 : 0;
      row.draining += sample.draining ? 1 : 0;
    }
  }
  std::string out =
      "# HELP switchboard_gateway_calls_total Calls finished, by protocol, method and status.\n"
      "# TYPE switchboard_gateway_calls_total counter\n";
  for (const auto& [key, count] : total.calls) {
    const auto& [protocol, method, status] = key;
    absl::StrAppend(&out, "switchboard_gateway_calls_total{protocol=\"", Escape(protocol),
                    "\",method=\"", Escape(method), "\",status=\"", Escape(status), "\"} ", count,
                    "\n");
  }
  out +=
      "# HELP switchboard_gateway_call_duration_seconds Time from request to final status.\n"
      "# TYPE switchboard_gateway_call_duration_seconds histogram\n";
  for (const auto& [protocol, histogram] : total.latency) {
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
                  total.open_calls, "\n");
  out +=
      "# HELP switchboard_gateway_upstream_errors_total Backend connections that failed or "
      "reset a call.\n"
      "# TYPE switchboard_gateway_upstream_errors_total counter\n";
  for (const auto& [backend, count] : total.upstream_errors) {
    absl::StrAppend(&out, "switchboard_gateway_upstream_errors_total{backend=\"", Escape(backend),
                    "\"} ", count, "\n");
  }
  out +=
      "# HELP switchboard_gateway_slow_clients_total Clients dropped for stalling longer than "
      "limits.slow_client_timeout, by protocol and phase.\n"
      "# TYPE switchboard_gateway_slow_clients_total counter\n";
  for (const auto& [key, count] : total.slow_clients) {
    absl::StrAppend(&out, "switchboard_gateway_slow_clients_total{protocol=\"", Escape(key.first),
                    "\",phase=\"", Escape(key.second), "\"} ", count, "\n");
  }
  out +=
      "# HELP switchboard_gateway_retries_total Calls tried again on another backend.\n"
      "# TYPE switchboard_gateway_retries_total counter\n";
  for (const auto& [service, count] : total.retries) {
    absl::StrAppend(&out, "switchboard_gateway_retries_total{service=\"", Escape(service), "\"} ",
                    count, "\n");
  }
  out +=
      "# HELP switchboard_gateway_auth_rejected_total Calls refused for a missing or bad token, "
      "by reason.\n"
      "# TYPE switchboard_gateway_auth_rejected_total counter\n";
  for (const auto& [reason, count] : total.auth_rejected) {
    absl::StrAppend(&out, "switchboard_gateway_auth_rejected_total{reason=\"", Escape(reason),
                    "\"} ", count, "\n");
  }
  out +=
      "# HELP switchboard_gateway_rate_limited_total Calls refused over a rate limit, by method.\n"
      "# TYPE switchboard_gateway_rate_limited_total counter\n";
  for (const auto& [method, count] : total.rate_limited) {
    absl::StrAppend(&out, "switchboard_gateway_rate_limited_total{method=\"", Escape(method),
                    "\"} ", count, "\n");
  }
  out +=
      "# HELP switchboard_gateway_h2_connection_errors_total HTTP/2 client connections ended "
      "for a protocol error or a flood, by the GOAWAY error code sent or nghttp2's reason.\n"
      "# TYPE switchboard_gateway_h2_connection_errors_total counter\n";
  for (const auto& [reason, count] : total.h2_connection_errors) {
    absl::StrAppend(&out, "switchboard_gateway_h2_connection_errors_total{reason=\"",
                    Escape(reason), "\"} ", count, "\n");
  }
  out +=
      "# HELP switchboard_gateway_connections_refused_total Client connections closed at accept "
      "over limits.max_connections or limits.max_connections_per_client.\n"
      "# TYPE switchboard_gateway_connections_refused_total counter\n";
  for (const auto& [limit, count] : total.connections_refused) {
    absl::StrAppend(&out, "switchboard_gateway_connections_refused_total{limit=\"",
                    Escape(limit), "\"} ", count, "\n");
  }
  if (rows.empty()) return out;
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    std::function<std::string(const BackendRow&)> value;
  } families[] = {
      {"switchboard_gateway_upstream_requests_total", "counter", "Requests sent to a backend.",
       [](const BackendRow& r) { return absl::StrCat(r.requests); }},
      {"switchboard_gateway_upstream_in_flight", "gauge", "Requests open on a backend now.",
       [](const BackendRow& r) { return absl::StrCat(r.in_flight); }},
      {"switchboard_gateway_upstream_failures_total", "counter",
       "Requests that failed on a backend (transport failure or UNAVAILABLE).",
       [](const BackendRow& r) { return absl::StrCat(r.failures); }},
      {"switchboard_gateway_upstream_healthy", "gauge",
       "1 while active health checks pass (the share of workers whose checks pass).",
       [](const BackendRow& r) { return Share(r.healthy, r.workers); }},
      {"switchboard_gateway_upstream_ejected", "gauge",
       "1 while ejected as an outlier (the share of workers that ejected it).",
       [](const BackendRow& r) { return Share(r.ejected, r.workers); }},
      {"switchboard_gateway_upstream_draining", "gauge",
       "1 while removed by a reload and finishing its calls.",
       [](const BackendRow& r) { return Share(r.draining, r.workers); }},
      {"switchboard_gateway_upstream_ejections_total", "counter", "Outlier ejections.",
       [](const BackendRow& r) { return absl::StrCat(r.ejections); }},
  };
  for (const auto& family : families) {
    absl::StrAppend(&out, "# HELP ", family.name, " ", family.help, "\n# TYPE ", family.name, " ",
                    family.type, "\n");
    for (const auto& row : rows) {
      absl::StrAppend(&out, family.name, "{service=\"", Escape(row.service), "\",backend=\"",
                      Escape(row.backend), "\"} ", family.value(row), "\n");
    }
  }
  return out;
}

}  // namespace switchboard::gateway
