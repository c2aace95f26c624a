// What every client-facing codec (HTTP/1.1, HTTP/2, WebSocket) reaches a call's backend and
// translations through: one event loop's router, backend pool and metrics, and the tables the
// translations share.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <string>

#include "gateway/gateway_config.h"

namespace switchboard::gateway {

class Router;
class UpstreamPool;
class GatewayMetrics;
namespace rest {
class RouteTable;
class Transcoder;
}  // namespace rest
namespace grpcweb {
class CorsPolicy;
}  // namespace grpcweb
namespace static_files {
class StaticFiles;
}  // namespace static_files

// What translating gRPC-Web and REST takes, built once from the descriptor sets.
struct WebRoutes {
  const rest::RouteTable* routes;
  const rest::Transcoder* transcoder;
  const grpcweb::CorsPolicy* cors;
  const std::string* openapi_json;
};

struct GatewayContext {
  boost::asio::io_context* io;
  const GatewayConfig* config;
  Router* router;
  UpstreamPool* upstreams;
  GatewayMetrics* metrics;
  // Null: the HTTP/2 side serves native gRPC only.
  const WebRoutes* web = nullptr;
  // Null: no `static:` root; else the files answer what no route claims.
  std::shared_ptr<static_files::StaticFiles> static_files;
};

// Request bytes of a call that may wait for the backend before the client is slowed down (its
// stream window no longer given back, its socket no longer read): one bound for every codec.
inline constexpr size_t kMaxPendingRequestBytes = 256 * 1024;

}  // namespace switchboard::gateway
