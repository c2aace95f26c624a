#include "gateway/proxy/local_answer.h"

#include "gateway/gateway_metrics.h"
#include "gateway/grpcweb/cors.h"

namespace switchboard::gateway {

std::optional<LocalAnswer> AnswerPreflight(const WebRoutes& web, const Headers& with_pseudo) {
  if (!grpcweb::CorsPolicy::IsPreflight(with_pseudo)) return std::nullopt;
  auto preflight = web.cors->Preflight(with_pseudo);
  return LocalAnswer{preflight.head.status, "text/plain", std::move(preflight.body),
                     std::move(preflight.head.headers)};
}

std::optional<LocalAnswer> AnswerOwnPage(const GatewayContext& context, std::string_view method,
                                         std::string_view path) {
  if (method != "GET" && method != "HEAD") return std::nullopt;
  if (path == "/healthz") return LocalAnswer{200, "text/plain", "ok\n", {}};
  if (path == "/metrics") {
    return LocalAnswer{200, "text/plain; version=0.0.4", context.metrics->Render(), {}};
  }
  if (path == "/openapi.json" && context.web != nullptr) {
    return LocalAnswer{200, "application/json", *context.web->openapi_json, {}};
  }
  return std::nullopt;
}

}  // namespace switchboard::gateway
