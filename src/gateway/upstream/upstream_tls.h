// The TLS contexts for the backends of services configured with `tls:`, built once per
// configuration and shared by the workers.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "gateway/gateway_config.h"
#include "gateway/upstream/upstream_h2.h"

namespace switchboard::gateway {

// Reads every CA, certificate and key file the services name (an error names the service and
// the file). A backend address listed under two services must have the same `tls:` in both,
// as the gateway keeps one connection per address.
absl::StatusOr<std::shared_ptr<const UpstreamTlsMap>> MakeUpstreamTls(const GatewayConfig& config);

}  // namespace switchboard::gateway
