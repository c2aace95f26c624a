#include "gateway/proxy/router.h"

#include <google/protobuf/descriptor.pb.h>

#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gateway/auth/access_config.h"

namespace switchboard::gateway {

absl::StatusOr<std::shared_ptr<const Router::Pool>> Router::LoadDescriptors(
    const GatewayConfig& config) {
  auto pool = std::make_shared<Pool>();
  for (const std::string& path : config.descriptors) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("descriptors: cannot read ", path));
    std::stringstream bytes;
    bytes << in.rdbuf();
    google::protobuf::FileDescriptorSet set;
    if (!set.ParseFromString(bytes.str())) {
      return absl::InvalidArgumentError(absl::StrCat("descriptors: ", path,
                                                     " is not a FileDescriptorSet (protoc "
                                                     "--include_imports --descriptor_set_out)"));
    }
    for (const auto& file : set.file()) {
      // The same file may come from several sets; the first one wins.
      if (pool->FindFileByName(file.name()) != nullptr) continue;
      if (pool->BuildFile(file) == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("descriptors: ", path, ": cannot build ", file.name(),
                         " (is a dependency missing? use --include_imports)"));
      }
    }
  }
  return std::shared_ptr<const Pool>(std::move(pool));
}

absl::Status Router::CheckServices(const GatewayConfig& config, const Pool& pool) {
  for (const auto& [name, route] : config.services) {
    if (pool.FindServiceByName(name) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("services.", name, ": no descriptor set defines this service"));
    }
    if (auto s = auth::CheckMethodPolicies(route, *pool.FindServiceByName(name)); !s.ok()) return s;
    // A balancer built and dropped: the policy's own checks (weights, hash header).
    auto balancer = lb::Balancer::Create(name, BalancerOptionsOf(route), EndpointSpecsOf(route), 0);
    if (!balancer.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("services.", balancer.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Router>> Router::Create(const GatewayConfig& config) {
  auto pool = LoadDescriptors(config);
  if (!pool.ok()) return pool.status();
  return Create(config, std::move(*pool));
}

absl::StatusOr<std::unique_ptr<Router>> Router::Create(const GatewayConfig& config,
                                                       std::shared_ptr<const Pool> pool) {
  if (auto checked = CheckServices(config, *pool); !checked.ok()) return checked;
  std::unique_ptr<Router> router(new Router(config, std::move(pool)));
  for (const auto& [name, route] : router->config_.services) {
    auto balancer = lb::Balancer::Create(name, BalancerOptionsOf(route), EndpointSpecsOf(route),
                                         std::random_device{}());
    if (!balancer.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("services.", balancer.status().message()));
    }
    router->balancers_[name] = std::move(*balancer);
  }
  return router;
}

lb::BalancerOptions BalancerOptionsOf(const ServiceRoute& route) {
  lb::BalancerOptions options;
  options.policy = route.lb;
  options.health = route.health_check;
  options.outlier = route.outlier;
  return options;
}

std::vector<lb::EndpointSpec> EndpointSpecsOf(const ServiceRoute& route) {
  std::vector<lb::EndpointSpec> specs;
  for (const auto& backend : route.backends) specs.push_back({backend.ToString(), backend.weight});
  return specs;
}

absl::StatusOr<Router::Removed> Router::Reload(const GatewayConfig& config) {
  if (config.descriptors != config_.descriptors) {
    return absl::FailedPreconditionError(
        "descriptors: the list of descriptor sets changed; restart the gateway to load new ones");
  }
  // Check every service first, on copies, so a bad one leaves the running ones untouched.
  if (auto checked = CheckServices(config, *pool_); !checked.ok()) return checked;
  std::map<std::string, std::shared_ptr<lb::Balancer>> next;
  Removed removed;
  for (const auto& [name, route] : config.services) {
    auto it = balancers_.find(name);
    if (it == balancers_.end()) {
      next[name] = *lb::Balancer::Create(name, BalancerOptionsOf(route), EndpointSpecsOf(route),
                                         std::random_device{}());
      continue;
    }
    auto gone = it->second->Update(BalancerOptionsOf(route), EndpointSpecsOf(route));
    if (gone.ok()) {
      for (auto& endpoint : *gone) removed.emplace_back(name, endpoint);
    }
    next[name] = it->second;
  }
  for (auto& [name, balancer] : balancers_) {
    if (next.count(name) != 0) continue;
    for (auto& endpoint : balancer->endpoints()) {
      endpoint->draining = true;
      removed.emplace_back(name, endpoint);
    }
  }
  balancers_ = std::move(next);
  config_ = config;
  return removed;
}

absl::StatusOr<RouteTarget> Router::Resolve(const std::string& path) const {
  const auto slash = path.find('/', 1);
  if (path.size() < 4 || path[0] != '/' || slash == std::string::npos || slash + 1 >= path.size()) {
    return absl::UnimplementedError(absl::StrCat("malformed method path \"", path, "\""));
  }
  const std::string service = path.substr(1, slash - 1);
  const std::string method = path.substr(slash + 1);
  auto route = config_.services.find(service);
  if (route == config_.services.end()) {
    return absl::UnimplementedError(absl::StrCat("unknown service ", service));
  }
  const auto* descriptor = pool_->FindServiceByName(service);
  const auto* method_descriptor = descriptor->FindMethodByName(method);
  if (method_descriptor == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("unknown method ", method, " for service ", service));
  }
  RouteTarget target{&route->second, method_descriptor, balancers_.at(service)};
  const auto level = method_descriptor->options().idempotency_level();
  target.retryable = !method_descriptor->client_streaming() &&
                     (level == google::protobuf::MethodOptions::NO_SIDE_EFFECTS ||
                      level == google::protobuf::MethodOptions::IDEMPOTENT);
  return target;
}

}  // namespace switchboard::gateway
