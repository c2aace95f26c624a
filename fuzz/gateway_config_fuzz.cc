// The gateway's YAML config (gateway_config.h): whatever the text, ParseGatewayConfig returns
// a config or an error naming what is wrong; no exception escapes it. A config it accepts has
// its counts and limits in range.
#include <string>

#include "fuzz_check.h"
#include "gateway/gateway_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::gateway;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  const auto config = ParseGatewayConfig(yaml, "fuzz.yaml");
  if (!config.ok()) {
    SB_FUZZ_CHECK(!config.status().message().empty());
    return 0;
  }
  SB_FUZZ_CHECK(config->workers >= GatewayConfig::kMinWorkers &&
                config->workers <= GatewayConfig::kMaxWorkers);
  SB_FUZZ_CHECK(config->limits.max_header_bytes > 0);
  SB_FUZZ_CHECK(config->limits.max_message_bytes > 0);
  SB_FUZZ_CHECK(config->limits.max_body_bytes >= 0);
  return 0;
}
