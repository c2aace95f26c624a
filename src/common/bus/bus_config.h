// Which bus a service shares streams through (the system config's `bus` block). The in-process
// bus reaches only the process itself, so replicas do not share; NATS reaches every replica.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace switchboard::bus {

inline constexpr char kInProcess[] = "inprocess";
inline constexpr char kNats[] = "nats";
inline constexpr char kDefaultNatsUrl[] = "nats://127.0.0.1:4222";
inline constexpr char kNatsScheme[] = "nats://";

struct BusConfig {
  std::string kind = kInProcess;      // inprocess | nats
  std::string url = kDefaultNatsUrl;  // nats://host:port; only read for kind nats

  bool shared() const { return kind == kNats; }
};

// "nats://host:port" with a non-empty host and a port 1..65535; errors say what is wrong.
inline absl::Status ValidateNatsUrl(const std::string& url) {
  const auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", url, "\" ", why, " (expected nats://host:port, e.g. ", kDefaultNatsUrl, ")"));
  };
  if (url.rfind(kNatsScheme, 0) != 0) return bad("does not start with nats://");
  const std::string rest = url.substr(sizeof(kNatsScheme) - 1);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad("has no host:port");
  int port = 0;
  if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port < 1 || port > 65535) {
    return bad("has no port 1..65535");
  }
  if (rest.find('/') != std::string::npos || rest.find('@') != std::string::npos) {
    return bad("has a path or credentials");
  }
  return absl::OkStatus();
}

}  // namespace switchboard::bus
