// The end of every proxied call, whatever its protocol: its metrics and its access-log line.
#pragma once

#include <string>

#include "gateway/proxy/proxy_stream.h"

namespace switchboard::gateway {

class GatewayMetrics;

// Writes the access-log line and the metrics of a finished call.
void RecordCall(GatewayMetrics& metrics, const std::string& protocol, const ProxyStream& stream);

}  // namespace switchboard::gateway
