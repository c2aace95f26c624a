#include "xds/replica_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace switchboard::xds {
namespace {

// Service names become xDS resource names and xds:/// targets: keep them to URI-safe bytes.
bool IsServiceNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// Server ids hold "<service>-<replica>@host:port": any visible ASCII.
bool IsServerIdChar(char c) { return c > ' ' && c < 0x7f; }

}  // namespace

ReplicaRegistry::ReplicaRegistry(std::chrono::milliseconds ttl, RegistryLimits limits, Clock clock)
    : ttl_(ttl), limits_(limits), clock_(std::move(clock)) {}

absl::Status ReplicaRegistry::ValidateName(const char* field, const std::string& value) const {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  if (value.size() > RegistryLimits::kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " has ", value.size(), " bytes; the limit is ", RegistryLimits::kMaxNameBytes));
  }
  const bool service = std::string(field) == "service";
  for (char c : value) {
    if (service ? !IsServiceNameChar(c) : !IsServerIdChar(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " \"", value, "\": ",
                       service ? "only letters, digits, '-', '_' and '.' are allowed"
                               : "only visible ASCII characters are allowed"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReplicaRegistry::Register(const std::string& service, const std::string& address,
                                       const std::string& server_id, uint32_t initial_weight) {
  if (auto status = ValidateName("service", service); !status.ok()) return status;
  if (auto status = ValidateName("server_id", server_id); !status.ok()) return status;
  auto endpoint = ParseReplicaAddress(address);
  if (!endpoint.ok()) return endpoint.status();
  if (initial_weight > limits_.max_weight) {
    return absl::InvalidArgumentError(
        absl::StrCat("initial_weight ", initial_weight, " is over the limit ", limits_.max_weight));
  }
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = replicas_.find(server_id);
    if (it != replicas_.end()) {
      if (it->second.service != service || it->second.address != address) {
        return absl::AlreadyExistsError(
            absl::StrCat("server_id \"", server_id, "\" is registered as ", it->second.service,
                         " at ", it->second.address, ", not ", service, " at ", address));
      }
      it->second.last_seen = clock_();
    } else {
      if (replicas_.size() >= limits_.max_replicas) {
        return absl::ResourceExhaustedError(absl::StrCat("registry holds ", replicas_.size(),
                                                         " replicas, the limit; server_id \"",
                                                         server_id, "\" not added"));
      }
      ReplicaInfo info;
      info.service = service;
      info.address = address;
      info.server_id = server_id;
      info.endpoint = *endpoint;
      info.weight = initial_weight == 0 ? 1 : initial_weight;
      info.last_seen = clock_();
      replicas_.emplace(server_id, std::move(info));
      changed = true;
    }
  }
  if (changed) {
    spdlog::info("xds replica registered service={} server_id={} address={}", service, server_id,
                 address);
    NotifyChanged();
  }
  return absl::OkStatus();
}

absl::Status ReplicaRegistry::Heartbeat(const std::string& server_id, const LoadReport& load) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replicas_.find(server_id);
  if (it == replicas_.end()) {
    return absl::NotFoundError(
        absl::StrCat("server_id \"", server_id, "\" is not registered (expired?): register again"));
  }
  it->second.last_seen = clock_();
  it->second.last_load = load;
  return absl::OkStatus();
}

absl::Status ReplicaRegistry::Deregister(const std::string& server_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (replicas_.erase(server_id) == 0) {
      return absl::NotFoundError(absl::StrCat("server_id \"", server_id, "\" is not registered"));
    }
  }
  spdlog::info("xds replica deregistered server_id={}", server_id);
  NotifyChanged();
  return absl::OkStatus();
}

absl::StatusOr<ReplicaInfo> ReplicaRegistry::SetWeight(const std::string& server_id,
                                                       uint32_t weight) {
  if (server_id.empty()) return absl::InvalidArgumentError("server_id is empty");
  if (weight > limits_.max_weight) {
    return absl::InvalidArgumentError(
        absl::StrCat("weight ", weight, " is over the limit ", limits_.max_weight));
  }
  ReplicaInfo result;
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = replicas_.find(server_id);
    if (it == replicas_.end()) {
      return absl::NotFoundError(absl::StrCat("server_id \"", server_id, "\" is not registered"));
    }
    changed = it->second.weight != weight;
    it->second.weight = weight;
    result = it->second;
  }
  if (changed) {
    spdlog::info("xds replica weight server_id={} weight={}", server_id, weight);
    NotifyChanged();
  }
  return result;
}

std::vector<std::string> ReplicaRegistry::ExpireStale() {
  std::vector<std::string> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = clock_();
    for (auto it = replicas_.begin(); it != replicas_.end();) {
      if (now - it->second.last_seen >= ttl_) {
        expired.push_back(it->first);
        it = replicas_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& id : expired) {
    spdlog::warn("xds replica expired server_id={} (no heartbeat for {}ms)", id, ttl_.count());
  }
  if (!expired.empty()) NotifyChanged();
  return expired;
}

std::vector<ReplicaInfo> ReplicaRegistry::List(const std::string& service) const {
  std::vector<ReplicaInfo> result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, info] : replicas_) {
      if (service.empty() || info.service == service) result.push_back(info);
    }
  }
  std::sort(result.begin(), result.end(), [](const ReplicaInfo& a, const ReplicaInfo& b) {
    return std::tie(a.service, a.server_id) < std::tie(b.service, b.server_id);
  });
  return result;
}

void ReplicaRegistry::NotifyChanged() {
  if (listener_) listener_();
}

}  // namespace switchboard::xds
