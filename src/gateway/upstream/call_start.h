// The one way every client-facing codec (HTTP/1.1, HTTP/2, WebSocket) starts a call's backend
// side: route, budget, deadline timer, deadline trace, backend request headers, submit.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gateway/codec/headers.h"
#include "gateway/proxy/gateway_context.h"
#include "gateway/proxy/proxy_stream.h"
#include "gateway/transport/byte_stream.h"

namespace switchboard::gateway {

struct CallStart {
  // The client's metadata, passed on to the backend (x-deadline-trace: 1 asks for the trace).
  const Headers* metadata = nullptr;
  // The client's grpc-timeout, when it sent one.
  const std::string* grpc_timeout = nullptr;
  // The request body streams in after the call starts (or never ends: a WebSocket), so the
  // call gets the route's maximum rather than its default.
  bool body_follows = false;
  // Leaves further metadata out by name (may be null).
  bool (*drop)(std::string_view name) = nullptr;
  // The request's query string (no '?'), where an auth provider may take its token from.
  std::string_view query;
  // The client's address, asked only by a rate limit keyed by it (may be empty).
  std::function<std::string()> client_address;
  // Who the client proved to be with a TLS client certificate (null or empty: nobody). Passed
  // to the backend as x-client-cert-subject and x-client-cert-uri; a client's own headers of
  // those names never are.
  const transport::PeerIdentity* peer_identity = nullptr;
};

// CallStart::client_address of a connected socket: its peer's IP address.
template <typename Socket>
std::function<std::string()> PeerAddressOf(Socket& socket) {
  return [&socket] {
    boost::system::error_code error;
    const auto peer = socket.remote_endpoint(error);
    return error ? std::string() : peer.address().to_string();
  };
}

// Starts the backend call of `stream` (its path and authority set): routes it, settles its
// budget, records the budget and whether the client asked for the deadline trace, arms its
// deadline timer, which calls `on_deadline` on the loop, and submits it to the backend pool.
// A non-OK status is the gRPC status to end the call with (UNIMPLEMENTED for no route,
// INVALID_ARGUMENT for a malformed grpc-timeout, DEADLINE_EXCEEDED for a budget already
// spent, UNAUTHENTICATED for a missing or bad token where the route requires one,
// RESOURCE_EXHAUSTED over the route's rate limit, with the stream's error_headers set);
// nothing was submitted then.
absl::Status StartBackendCall(const GatewayContext& context,
                              const std::shared_ptr<ProxyStream>& stream, const CallStart& start,
                              std::function<void()> on_deadline);

}  // namespace switchboard::gateway
