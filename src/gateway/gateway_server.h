// The gateway's listener: accepts connections on one port and deals them to its workers (event
// loops, `workers: N`), each of which hands a connection to the codec its first bytes ask for
// (the HTTP/2 connection preface -> h2c). Stop and Reload reach every worker.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/connection_limiter.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_worker.h"

namespace switchboard::gateway {

class GatewayServer {
 public:
  // Validates `config` (descriptor sets included), binds the port and starts serving on
  // config.workers threads of its own.
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(const GatewayConfig& config);
  ~GatewayServer();
  // The plaintext port (0 without one) and the TLS port (0 without one).
  uint16_t port() const { return port_; }
  uint16_t tls_port() const { return tls_port_; }
  int workers() const { return static_cast<int>(workers_.size()); }
  // Stops taking connections and drains the open ones on every worker at once: calls in
  // flight get limits.shutdown_grace to finish, then end UNAVAILABLE; returns once all are
  // closed.
  void Stop();
  // Validates `config` once, then applies it on every worker's loop (any thread may call;
  // waits for all of them): routes, backends, balancing, health checks, retries and timeouts
  // change; calls in flight finish where they are; backends that left drain. A bad config,
  // or a change of listen address, workers or descriptor sets, is refused before any worker
  // sees it, and the running configuration kept everywhere. The TLS certificate, key and
  // client CAs are read again (they may have been replaced under the same names): new
  // connections get them, open ones keep theirs; files that do not load leave the running
  // ones in place, said in one log line.
  absl::Status Reload(const GatewayConfig& config);

 private:
  explicit GatewayServer(const GatewayConfig& config) : config_(config) {}
  // Binds `host:port` with `acceptor` on the first worker's loop.
  absl::Status Listen(const std::string& host, uint16_t port,
                      std::optional<boost::asio::ip::tcp::acceptor>* acceptor, uint16_t* bound);
  // Takes connections from `acceptor` and deals them to the workers in turn; `tls` ones start
  // with a handshake on their worker.
  void Accept(boost::asio::ip::tcp::acceptor& acceptor, bool tls);
  // Takes the next connection after a failed accept, a moment later: a gateway out of file
  // descriptors (EMFILE) would otherwise spin on the error.
  void AcceptLater(boost::asio::ip::tcp::acceptor& acceptor, bool tls);
  // Closes a connection over a connection limit at once (the listener's loop only): a 503 to
  // a plaintext client, counted and logged at most once a second.
  void Refuse(boost::asio::ip::tcp::socket& socket, bool tls, ConnectionLimiter::Refusal refusal);
  std::shared_ptr<boost::asio::ssl::context> tls_context();
  void ReloadTlsContext(const GatewayConfig& config);
  // The shared parts `config` needs (reusing the running ones that did not change), or why
  // `config` is refused.
  absl::StatusOr<SharedRoutes> Validate(const GatewayConfig& config) const;
  // Runs `task` on every worker still answering, all at once, and waits for each at most a
  // bounded time; one that does not answer (stuck in a handler) is left out of later steps.
  void RunOnLoops(const std::function<void(GatewayWorker&)>& task, std::vector<bool>* answering);
  // Client connections still open on the workers that answer.
  size_t OpenConnections(std::vector<bool>* answering);
  // Waits until no client connection is open or `timeout` has passed.
  void WaitForConnectionsToClose(std::chrono::milliseconds timeout, std::vector<bool>* answering);

  // Stop and Reload, one at a time; config_, shared_, retired_ and running_ are theirs.
  std::mutex control_mutex_;
  GatewayConfig config_;
  SharedRoutes shared_;
  // Shared parts replaced by reloads: calls in flight may still point into them.
  std::vector<std::shared_ptr<const void>> retired_;
  bool running_ = false;
  std::vector<std::unique_ptr<GatewayWorker>> workers_;
  // On the first worker's loop, which also deals the connections: with one worker the gateway
  // runs on one thread, as it did before it had workers.
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::optional<boost::asio::ip::tcp::acceptor> tls_acceptor_;
  // The worker the next accepted connection goes to (the acceptors' loop only).
  size_t next_worker_ = 0;
  // limits.max_connections and max_connections_per_client over both listeners; taken at
  // accept on the acceptors' loop, given back on the workers' loops as connections close.
  std::shared_ptr<ConnectionLimiter> connection_limiter_;
  // Refusals since the last log line, and when that was (the acceptors' loop only).
  uint64_t refused_unlogged_ = 0;
  std::chrono::steady_clock::time_point refusal_logged_at_{};
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
  // Replaced by Reload (a control thread) while the acceptors' loop reads it.
  std::mutex tls_mutex_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
};

}  // namespace switchboard::gateway
