// The gateway's listener: accepts connections on one port and hands each to the codec its
// first bytes ask for (the HTTP/2 connection preface -> h2c).
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "absl/status/statusor.h"
#include "gateway/connection_list.h"
#include "gateway/downstream_h2.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
#include "gateway/grpcweb/cors.h"
#include "gateway/health_checker.h"
#include "gateway/http1_session.h"
#include "gateway/rest/route_table.h"
#include "gateway/rest/transcoder.h"
#include "gateway/router.h"
#include "gateway/upstream_h2.h"
#include "gateway/websocket_bridge.h"

namespace switchboard::gateway {

class GatewayServer {
 public:
  // Validates `config` (descriptor sets included), binds the port and starts serving on a
  // thread of its own.
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(const GatewayConfig& config);
  ~GatewayServer();
  uint16_t port() const { return port_; }
  // Stops taking connections and drains the open ones: calls in flight get
  // limits.shutdown_grace to finish, then end UNAVAILABLE; returns once all are closed.
  void Stop();
  // Applies `config` on the event loop thread (any thread may call; waits for it): routes,
  // backends, balancing, health checks, retries and timeouts change; calls in flight finish
  // where they are; backends that left drain. A change of listen address or descriptor sets
  // is refused and the running configuration kept.
  absl::Status Reload(const GatewayConfig& config);

 private:
  explicit GatewayServer(const GatewayConfig& config);
  void Accept();
  void Sniff(std::shared_ptr<boost::asio::ip::tcp::socket> socket,
             std::shared_ptr<std::string> seen);
  absl::Status ReloadOnLoop(const GatewayConfig& config);
  // Runs `task` on the event loop and waits for it, at most a bounded time: false when the
  // loop did not answer (stuck in a handler).
  bool RunOnLoop(std::function<void()> task);
  // Client connections still open; nullopt when the loop did not answer.
  std::optional<size_t> OpenConnections();
  // Waits until no client connection is open or `timeout` has passed; false when the loop
  // did not answer.
  bool WaitForConnectionsToClose(std::chrono::milliseconds timeout);
  std::vector<BackendSample> BackendSamples();

  GatewayConfig config_;
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_;
  GatewayMetrics metrics_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<rest::RouteTable> routes_;
  // Route tables replaced by reloads that changed the list of services (one per such reload).
  std::vector<std::unique_ptr<rest::RouteTable>> retired_routes_;
  std::unique_ptr<rest::Transcoder> transcoder_;
  std::unique_ptr<grpcweb::CorsPolicy> cors_;
  std::string openapi_json_;
  // The four above, as the HTTP/2 side's gRPC-Web and REST calls reach them.
  WebRoutes web_{};
  UpstreamPool upstreams_;
  // Open client connections, drained at Stop.
  ConnectionList<DownstreamH2> downstreams_;
  ConnectionList<Http1Session> http1_sessions_;
  ConnectionList<WebSocketBridge> websockets_;
  std::unique_ptr<HealthChecker> health_;
  // Backends removed by a reload, shown in /metrics until their last call ends.
  std::vector<std::pair<std::string, std::shared_ptr<lb::Endpoint>>> draining_;
  uint16_t port_ = 0;
  // Keeps io_.run() going while the loop has nothing pending (an idle gateway being stopped
  // still has to run Stop's steps); released by Stop.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace switchboard::gateway
