// What a call must pass before its backend call starts (StartBackendCall): the route's or the
// method's `auth:` mode against the request's token, then its rate limit; and what the
// backend is told of the client: the verified token's forwarded claims, never the client's
// own copies of those headers.
#pragma once

#include <memory>

#include "absl/status/status.h"
#include "gateway/auth/authenticator.h"
#include "gateway/codec/headers.h"
#include "gateway/gateway_config.h"
#include "gateway/proxy/gateway_context.h"
#include "gateway/proxy/proxy_stream.h"
#include "gateway/proxy/router.h"

namespace switchboard::gateway {
struct CallStart;
}  // namespace switchboard::gateway

namespace switchboard::gateway::auth {

struct Admission {
  // UNAUTHENTICATED or RESOURCE_EXHAUSTED with the reason; the stream's error_headers then
  // hold WWW-Authenticate or Retry-After for an HTTP answer.
  absl::Status status;
  const JwtProvider* provider = nullptr;
  std::shared_ptr<const VerifiedToken> token;
};

// Checks the call of `target` (counted in /metrics when refused).
Admission AdmitCall(const GatewayContext& context, const RouteTarget& target,
                    const CallStart& start, ProxyStream& stream);

// Removes every forwarded claim header the client sent from `backend_headers`, then adds the
// admitted token's claims under their header names.
void AddIdentity(const AuthConfig& config, const Admission& admission, Headers& backend_headers);

}  // namespace switchboard::gateway::auth
