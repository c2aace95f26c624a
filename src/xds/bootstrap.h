// The bootstrap a gRPC client needs to resolve xds:///SERVICE through `switchboard xds`: put
// it in GRPC_XDS_BOOTSTRAP_CONFIG (or a file named by GRPC_XDS_BOOTSTRAP) before the first
// xds:/// channel is made.
#pragma once

#include <string>

namespace switchboard::xds {

// JSON naming one insecure xDS v3 server at `xds_address` ("127.0.0.1:18000"); `node_id`
// identifies the client in the control plane's logs.
std::string BootstrapJson(const std::string& xds_address, const std::string& node_id);

}  // namespace switchboard::xds
