#include "lb/balancer.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"

namespace switchboard::lb {

absl::StatusOr<std::shared_ptr<Balancer>> Balancer::Create(const std::string& service,
                                                           const BalancerOptions& options,
                                                           const std::vector<EndpointSpec>& specs,
                                                           uint64_t seed) {
  std::shared_ptr<Balancer> balancer(new Balancer(service, seed));
  auto removed = balancer->Update(options, specs);
  if (!removed.ok()) return removed.status();
  return balancer;
}

absl::StatusOr<std::vector<std::shared_ptr<Endpoint>>> Balancer::Update(
    const BalancerOptions& options, const std::vector<EndpointSpec>& specs) {
  if (specs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(service_, ": no backends"));
  }
  std::map<std::string, std::shared_ptr<Endpoint>> old;
  for (auto& endpoint : endpoints_) old[endpoint->address] = endpoint;
  std::vector<std::shared_ptr<Endpoint>> next;
  for (const auto& spec : specs) {
    if (spec.weight < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(service_, ": backend ", spec.address, " has weight ", spec.weight));
    }
    auto it = old.find(spec.address);
    std::shared_ptr<Endpoint> endpoint;
    if (it != old.end()) {
      endpoint = it->second;
      old.erase(it);
    } else {
      for (const auto& added : next) {
        if (added->address == spec.address) {
          return absl::InvalidArgumentError(
              absl::StrCat(service_, ": backend ", spec.address, " is listed twice"));
        }
      }
      endpoint = std::make_shared<Endpoint>(spec.address);
    }
    endpoint->weight = spec.weight;
    endpoint->draining = false;
    // Without active checks nothing would ever bring an endpoint marked down back.
    if (!options.health.enabled) endpoint->health = HealthState();
    next.push_back(std::move(endpoint));
  }
  std::vector<std::shared_ptr<Endpoint>> removed;
  for (auto& [address, endpoint] : old) {
    endpoint->draining = true;
    removed.push_back(endpoint);
  }
  auto previous = std::move(endpoints_);
  endpoints_ = std::move(next);
  if (auto s = Rebuild(options); !s.ok()) {
    endpoints_ = std::move(previous);
    for (auto& endpoint : removed) endpoint->draining = false;
    return s;
  }
  return removed;
}

absl::Status Balancer::Rebuild(const BalancerOptions& options) {
  candidates_.clear();
  for (const auto& endpoint : endpoints_) {
    candidates_.push_back(Candidate{endpoint->address, endpoint->weight, 0, true, &endpoint->rtt});
  }
  auto policy = NewPolicy(options.policy, candidates_, seed_, options.peak_ewma);
  if (!policy.ok())
    return absl::InvalidArgumentError(absl::StrCat(service_, ": ", policy.status().message()));
  policy_ = std::move(*policy);
  options_ = options;
  if (!MeasuresLatency()) {
    for (auto& endpoint : endpoints_) endpoint->picked_at.clear();
  } else {
    const Clock::time_point now = options_.peak_ewma.clock();
    for (auto& endpoint : endpoints_) {
      if (!endpoint->rtt.seeded()) endpoint->rtt.Seed(now, options_.peak_ewma);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Endpoint>> Balancer::Pick(const std::string* hash_key,
                                                         const std::vector<const Endpoint*>& tried,
                                                         Clock::time_point now) {
  bool any = false;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    const Endpoint& endpoint = *endpoints_[i];
    Candidate& candidate = candidates_[i];
    candidate.in_flight = endpoint.in_flight;
    candidate.usable =
        endpoint.Usable(now) && std::find(tried.begin(), tried.end(), &endpoint) == tried.end();
    any = any || candidate.usable;
  }
  const int index = any ? policy_->Pick(candidates_, hash_key) : -1;
  if (index < 0) {
    return absl::UnavailableError(absl::StrCat("no healthy backend for ", service_));
  }
  const auto& picked = endpoints_[static_cast<size_t>(index)];
  if (MeasuresLatency()) {
    if (picked->picked_at.size() >= kMaxPicksTracked) picked->picked_at.pop_front();
    picked->picked_at.push_back(now);
  }
  return picked;
}

bool Balancer::RecordResult(Endpoint& endpoint, bool failed, Clock::time_point now) {
  if (MeasuresLatency()) {
    auto& picks = endpoint.picked_at;
    const size_t open = static_cast<size_t>(std::max<int64_t>(endpoint.in_flight, 0)) + 1;
    while (picks.size() > open) picks.pop_front();
    if (!picks.empty()) {
      endpoint.rtt.Observe(now - picks.front(), now, options_.peak_ewma);
      picks.pop_front();
    }
  }
  if (!failed) {
    endpoint.outlier.RecordSuccess();
    return false;
  }
  ++endpoint.failures;
  return endpoint.outlier.RecordFailure(now, options_.outlier);
}

bool Balancer::RecordCheck(Endpoint& endpoint, bool passed) {
  const bool flipped = endpoint.health.Record(passed, options_.health);
  if (flipped && endpoint.health.healthy()) endpoint.outlier.Reset();
  return flipped;
}

bool Balancer::RecordUncheckable(Endpoint& endpoint) {
  const bool flipped = endpoint.health.Uncheckable();
  if (flipped) endpoint.outlier.Reset();
  return flipped;
}

}  // namespace switchboard::lb
