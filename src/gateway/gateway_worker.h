// One of the gateway's event loops (`workers: N`): an io_context on a thread of its own and
// everything that loop touches, so that no two threads ever touch the same connection,
// balancer or pool. GatewayServer owns the workers and deals them the connections it accepts.
#pragma once

#include <google/protobuf/descriptor.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/connection_limiter.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
#include "gateway/grpcweb/cors.h"
#include "gateway/http1/http1_session.h"
#include "gateway/http2/downstream_h2.h"
#include "gateway/proxy/connection_list.h"
#include "gateway/proxy/router.h"
#include "gateway/rest/route_table.h"
#include "gateway/rest/transcoder.h"
#include "gateway/static_files/static_files.h"
#include "gateway/transport/byte_stream.h"
#include "gateway/transport/tls_stream.h"
#include "gateway/upstream/health_checker.h"
#include "gateway/upstream/upstream_h2.h"
#include "gateway/websocket/websocket_bridge.h"

namespace switchboard::gateway {

// What every worker reads and none changes: built once from a configuration (at the start and
// by each reload that changes it) on the thread that starts or reloads the gateway, before any
// worker sees it. A reload gives the workers new objects instead of changing these, and the
// replaced ones stay alive until the gateway is destroyed, since calls in flight point into
// them (a REST call at its Route, a gRPC-Web call at the CORS policy).
struct SharedRoutes {
  // Read-only after loading (Router::LoadDescriptors says why that is safe to share).
  std::shared_ptr<const google::protobuf::DescriptorPool> pool;
  std::shared_ptr<const rest::RouteTable> routes;
  std::shared_ptr<const grpcweb::CorsPolicy> cors;
  std::shared_ptr<const std::string> openapi_json;
  // Backends reached over TLS; rebuilt on every reload, so replaced files are read again.
  std::shared_ptr<const UpstreamTlsMap> upstream_tls;
};

// What one worker's reload did, for the gateway's single log line.
struct WorkerReload {
  std::vector<std::string> removed_backends;  // service/host:port
  size_t draining_connections = 0;
};

class GatewayWorker {
 public:
  // Builds what the loop owns from `config` (its own balancers, its own REST transcoder over
  // the shared pool, its own backend connections and health checks); nothing runs yet.
  static absl::StatusOr<std::unique_ptr<GatewayWorker>> Create(int index,
                                                               const GatewayConfig& config,
                                                               const SharedRoutes& shared);
  ~GatewayWorker();
  GatewayWorker(const GatewayWorker&) = delete;
  GatewayWorker& operator=(const GatewayWorker&) = delete;

  int index() const { return index_; }
  boost::asio::io_context& io() { return io_; }
  // Written by this worker's loop only; any worker's Render reads it (GatewayMetrics says how).
  GatewayMetrics& metrics() { return metrics_; }

  // Starts the loop on its own thread.
  void Start();
  // Serves a connection the listener accepted for this worker (`socket` belongs to io());
  // any thread may call: the connection starts on this worker's loop. `lease` (its place
  // under the connection limits) is given back when the connection closes.
  void Serve(boost::asio::ip::tcp::socket socket, std::shared_ptr<ConnectionLease> lease = {});
  // The same for the TLS listener: the handshake first (bounded by tls.handshake_timeout),
  // then HTTP/2 when ALPN chose h2, else HTTP/1.1.
  void ServeTls(boost::asio::ip::tcp::socket socket,
                std::shared_ptr<boost::asio::ssl::context> context,
                std::shared_ptr<ConnectionLease> lease = {});
  // Runs `task` on the loop; the future is ready once it ran.
  std::future<void> Post(std::function<void()> task);
  // Stops the loop (what is still queued is dropped) and joins its thread.
  void Join();

  // The steps of a stop, each on the loop (GatewayServer runs each on every worker at once):
  // health checks off, every client connection told to drain, and TLS handshakes still in
  // progress closed at once (they hold no call: nothing to finish);
  void BeginDrain();
  // client connections still open (handshakes in progress too);
  size_t OpenConnections() const;
  // calls still open end UNAVAILABLE "the gateway is shutting down";
  void EndDrain();
  // and what is left is closed, backend connections too.
  void Shutdown();

  // Applies a configuration GatewayServer has validated, on the loop: routes, backends,
  // balancing, health checks, retries and timeouts change; calls in flight finish where they
  // are; backends that left drain. An error only if the validation missed something.
  absl::StatusOr<WorkerReload> ApplyReload(const GatewayConfig& config, const SharedRoutes& shared);

 private:
  GatewayWorker(int index, const GatewayConfig& config);
  // Reads the first bytes to choose the codec; a client that does not send enough of them
  // within `deadline`'s wait (limits.slow_client_timeout) is closed.
  void Sniff(std::shared_ptr<boost::asio::ip::tcp::socket> socket,
             std::shared_ptr<std::string> seen, std::shared_ptr<ConnectionLease> lease,
             std::shared_ptr<boost::asio::steady_timer> deadline);
  // Hands a connection to its codec; `initial` holds bytes already read from it.
  void StartCodec(transport::ByteStream stream, bool http2, std::string initial,
                  std::shared_ptr<ConnectionLease> lease);
  void UseShared(const SharedRoutes& shared);
  // Hands /metrics this loop's view of its backends (balancers and those still draining).
  void PublishBackends();
  void OnMetricsChange(bool call_finished);

  const int index_;
  // Member order is destruction order in reverse: io_ goes last, after everything that holds
  // its sockets and timers, as in the single-loop gateway this replaced.
  GatewayConfig config_;
  boost::asio::io_context io_{1};
  GatewayMetrics metrics_;
  std::unique_ptr<Router> router_;
  SharedRoutes shared_;
  // Its own: a DynamicMessageFactory fills its cache as it meets message types.
  std::unique_ptr<rest::Transcoder> transcoder_;
  // shared_ and the transcoder, as both client-facing sides' gRPC-Web and REST calls reach them.
  WebRoutes web_{};
  // The `static:` root's files (null without one); each connection holds the one it began with.
  std::shared_ptr<static_files::StaticFiles> static_files_;
  UpstreamPool upstreams_;
  // Open client connections, drained at Stop.
  ConnectionList<DownstreamH2> downstreams_;
  ConnectionList<Http1Session> http1_sessions_;
  ConnectionList<WebSocketBridge> websockets_;
  // TLS connections still in their handshake: the stream until the codec takes it (then the
  // slot is empty), held by the handshake's handler.
  ConnectionList<std::unique_ptr<transport::TlsStream>> handshakes_;
  // Set by BeginDrain: a handshake that ends from then on was cut by the stop.
  bool stopping_ = false;
  std::unique_ptr<HealthChecker> health_;
  // Backends removed by a reload, shown in /metrics until their last call ends.
  std::vector<std::pair<std::string, std::shared_ptr<lb::Endpoint>>> draining_;
  // Reused by every PublishBackends (see GatewayMetrics::PublishBackends).
  std::vector<BackendSample> samples_;
  // A PublishBackends is queued behind the handler running now.
  bool publish_queued_ = false;
  // Keeps io_.run() going while the loop has nothing pending (an idle gateway being stopped
  // still has to run Stop's steps); released by Join.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace switchboard::gateway
