// The checks of the `auth` and `rate_limit` settings that span the whole file (a service's
// mode against the providers, a method's name against its descriptor), and the shared
// Authenticator they complete. Config only: no sockets, no proxy.
#pragma once

#include <google/protobuf/descriptor.h>

#include "absl/status/status.h"
#include "gateway/gateway_config.h"

namespace switchboard::gateway::auth {

// Completes the `auth` and `rate_limit` settings of a parsed configuration: a service or
// method that asks for auth needs a provider, a claim key needs one too; builds the shared
// Authenticator. Errors name the key.
absl::Status SetUpAccessControl(GatewayConfig* config);

// The methods a service's `methods:` block names all exist in its descriptor.
absl::Status CheckMethodPolicies(const ServiceRoute& route,
                                 const google::protobuf::ServiceDescriptor& service);

}  // namespace switchboard::gateway::auth
