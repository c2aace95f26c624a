// Validation of a replica's "IP:PORT" address, the form xDS clients accept in an endpoint.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard::xds {

struct ReplicaAddress {
  std::string ip;  // an IPv4 or IPv6 literal, without brackets
  uint32_t port = 0;
};

// Parses "127.0.0.1:50051" or "[::1]:50051". Host names are refused: the gRPC xDS clients take
// endpoint addresses as IP literals and never resolve them.
absl::StatusOr<ReplicaAddress> ParseReplicaAddress(absl::string_view text);

}  // namespace switchboard::xds
