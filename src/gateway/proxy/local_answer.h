// What the gateway answers itself instead of calling a backend, the same on every codec: its
// own pages and the CORS preflight. (Its errors take each protocol's own shape: the REST
// error body, a gRPC-Web trailer frame, gRPC trailers.)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/codec/headers.h"
#include "gateway/proxy/gateway_context.h"

namespace switchboard::gateway {

struct LocalAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
  Headers headers;
};

// A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) answered from the
// CORS policy; nullopt for any other request. `with_pseudo`: the request's headers after its
// :method and :path.
std::optional<LocalAnswer> AnswerPreflight(const WebRoutes& web, const Headers& with_pseudo);

// GET or HEAD of the gateway's own pages: /healthz, /metrics (Prometheus text, every worker's
// counters) and /openapi.json (when `context` has the web routes); nullopt for anything else.
std::optional<LocalAnswer> AnswerOwnPage(const GatewayContext& context, std::string_view method,
                                         std::string_view path);

}  // namespace switchboard::gateway
