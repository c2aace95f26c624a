#include "gateway/router.h"

#include <google/protobuf/descriptor.pb.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace switchboard::gateway {

absl::StatusOr<std::unique_ptr<Router>> Router::Create(const GatewayConfig& config) {
  std::unique_ptr<Router> router(new Router(config));
  for (const std::string& path : config.descriptors) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("descriptors: cannot read ", path));
    std::stringstream bytes;
    bytes << in.rdbuf();
    google::protobuf::FileDescriptorSet set;
    if (!set.ParseFromString(bytes.str())) {
      return absl::InvalidArgumentError(
          absl::StrCat("descriptors: ", path, " is not a FileDescriptorSet (protoc "
                                              "--include_imports --descriptor_set_out)"));
    }
    for (const auto& file : set.file()) {
      // The same file may come from several sets; the first one wins.
      if (router->pool_.FindFileByName(file.name()) != nullptr) continue;
      if (router->pool_.BuildFile(file) == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("descriptors: ", path, ": cannot build ", file.name(),
                         " (is a dependency missing? use --include_imports)"));
      }
    }
  }
  for (const auto& [name, route] : router->config_.services) {
    if (router->pool_.FindServiceByName(name) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("services.", name, ": no descriptor set defines this service"));
    }
  }
  return router;
}

absl::StatusOr<RouteTarget> Router::Resolve(const std::string& path) const {
  const auto slash = path.find('/', 1);
  if (path.size() < 4 || path[0] != '/' || slash == std::string::npos ||
      slash + 1 >= path.size()) {
    return absl::UnimplementedError(absl::StrCat("malformed method path \"", path, "\""));
  }
  const std::string service = path.substr(1, slash - 1);
  const std::string method = path.substr(slash + 1);
  auto route = config_.services.find(service);
  if (route == config_.services.end()) {
    return absl::UnimplementedError(absl::StrCat("unknown service ", service));
  }
  const auto* descriptor = pool_.FindServiceByName(service);
  const auto* method_descriptor = descriptor->FindMethodByName(method);
  if (method_descriptor == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("unknown method ", method, " for service ", service));
  }
  return RouteTarget{&route->second, method_descriptor};
}

const Backend& Router::Pick(const ServiceRoute& route) {
  size_t& next = next_backend_[route.name];
  const Backend& backend = route.backends[next % route.backends.size()];
  ++next;
  return backend;
}

}  // namespace switchboard::gateway
