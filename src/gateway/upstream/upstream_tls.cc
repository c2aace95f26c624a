#include "gateway/upstream/upstream_tls.h"

#include "absl/strings/str_cat.h"
#include "gateway/transport/tls_context.h"

namespace switchboard::gateway {

absl::StatusOr<std::shared_ptr<const UpstreamTlsMap>> MakeUpstreamTls(const GatewayConfig& config) {
  auto map = std::make_shared<UpstreamTlsMap>();
  // Who set each address's TLS (or its lack), to name both services in a conflict.
  std::map<std::string, const ServiceRoute*> owner;
  for (const auto& [name, route] : config.services) {
    std::shared_ptr<boost::asio::ssl::context> context;
    if (route.tls.enabled) {
      auto made = transport::MakeClientTlsContext(
          {route.tls.ca_file, route.tls.cert_file, route.tls.key_file});
      if (!made.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("services.", name, ".", made.status().message()));
      }
      context = std::move(*made);
    }
    for (const Backend& backend : route.backends) {
      const std::string address = backend.ToString();
      auto [first, inserted] = owner.emplace(address, &route);
      if (!inserted && !(first->second->tls == route.tls)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "services.", name, ".tls: backend ", address, " is also a backend of ",
            first->second->name, " with other tls settings (one connection per backend)"));
      }
      if (context && inserted) (*map)[address] = UpstreamTls{context, route.tls.server_name};
    }
  }
  return std::shared_ptr<const UpstreamTlsMap>(std::move(map));
}

}  // namespace switchboard::gateway
