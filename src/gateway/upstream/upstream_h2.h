// Pooled HTTP/2 connections to backends, one per backend and shared by every request routed
// there (nghttpx's Http2Session), and the per-call state that lets a failed try of an
// idempotent call go to another backend before the client has seen any of the response.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/gateway_config.h"
#include "gateway/proxy/h2_connection.h"
#include "gateway/proxy/proxy_stream.h"
#include "lb/balancer.h"

namespace switchboard::gateway {

class GatewayMetrics;
class UpstreamPool;
struct RouteTarget;

// One proxied call as the backend side sees it, across its tries.
struct UpstreamCall {
  std::shared_ptr<ProxyStream> stream;
  Headers headers;
  std::string service;
  // Null for the gateway's own health checks: no balancing, no retry, no counting.
  std::shared_ptr<lb::Balancer> balancer;
  std::shared_ptr<lb::Endpoint> endpoint;  // this try's backend
  std::vector<const lb::Endpoint*> tried;
  std::optional<std::string> hash_key;
  int tries = 0;
  int max_tries = 1;
  // Request bytes already handed to a backend, kept while a retry is still possible.
  std::string sent;
  bool keep_sent = false;
  bool counted = false;    // endpoint->in_flight holds this try
  bool cancelled = false;  // the gateway reset the try itself (client gone, deadline)
  bool delivered = false;  // the client side has been handed response headers
};

// How to reach one backend over TLS: the context (CAs, client certificate) and the name its
// certificate must carry.
struct UpstreamTls {
  std::shared_ptr<boost::asio::ssl::context> context;
  std::string server_name;
};
// Backend address ("host:port") -> its TLS; an address not in it is h2c.
using UpstreamTlsMap = std::map<std::string, UpstreamTls>;

class UpstreamH2 : public H2Connection, public std::enable_shared_from_this<UpstreamH2> {
 public:
  // `tls` null: h2c.
  static std::shared_ptr<UpstreamH2> Connect(boost::asio::io_context& io, const Backend& backend,
                                             UpstreamPool* pool, const UpstreamTls* tls = nullptr);

  // Sends the request of `call` (headers now, body as it arrives).
  void Submit(const std::shared_ptr<UpstreamCall>& call);
  // The client side has more body for `stream`, or is gone.
  void ResumeRequest(ProxyStream& stream);
  void Cancel(ProxyStream& stream);
  // The client side sent `n` bytes of `stream`'s response: open the backend's window.
  void Consumed(ProxyStream& stream, size_t n);
  // Drops what is buffered of `stream`'s response and gives its bytes back to the connection
  // window: for a call whose client is gone or was answered by the gateway.
  void Release(ProxyStream& stream);
  void ScheduleFlush();
  const Backend& backend() const { return backend_; }
  void Shutdown() { Close(); }
  // Takes no new stream; closes (GOAWAY) once the open ones have finished.
  void Drain();
  // The backend said GOAWAY: new calls need a new connection.
  bool going_away() const { return going_away_; }

 private:
  UpstreamH2(boost::asio::io_context& io, const Backend& backend, UpstreamPool* pool);
  void OnConnected();
  void StartTls(const UpstreamTls& tls);
  void FailQueued(const std::string& why);
  void SubmitNow(const std::shared_ptr<UpstreamCall>& call);
  void OnClosed() override;
  // The try of `call` here failed before the client saw a response byte: retry elsewhere
  // when the call allows it, else answer the client with UNAVAILABLE `why`.
  void TryFailed(const std::shared_ptr<UpstreamCall>& call, const std::string& why);
  // Forgets stream `id` here (resetting it if still open) so its later frames are ignored.
  void Detach(int32_t id);
  void CloseIfDrained();
  UpstreamCall* CallOf(int32_t id) const;

  static int OnHeader(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                      const uint8_t*, size_t, uint8_t, void*);
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame*, void*);
  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int OnStreamClose(nghttp2_session*, int32_t, uint32_t, void*);
  static ssize_t ReadRequestBody(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*,
                                 nghttp2_data_source*, void*);

  Backend backend_;
  UpstreamPool* pool_;
  bool connected_ = false;
  bool flush_scheduled_ = false;
  bool draining_ = false;
  bool going_away_ = false;
  std::vector<std::shared_ptr<UpstreamCall>> queued_;
  std::map<int32_t, std::shared_ptr<UpstreamCall>> streams_;
};

// One connection per backend, made on first use and again after it fails; the balancing,
// retry and draining decisions around them.
class UpstreamPool {
 public:
  UpstreamPool(boost::asio::io_context& io, GatewayMetrics* metrics, int32_t connection_window)
      : io_(io), metrics_(metrics), connection_window_(connection_window) {}

  // Starts a call to the service of `target`: picks a backend with its balancer (UNAVAILABLE
  // "no healthy backend for <service>" without touching the network when none may take it)
  // and sends `headers` and the stream's body there.
  void Submit(const RouteTarget& target, const std::shared_ptr<ProxyStream>& stream,
              Headers headers);
  // The connection for `backend` ("host:port"), made if needed.
  std::shared_ptr<UpstreamH2> Get(const std::string& address);
  // Backends no longer configured: their connections take no new calls and close after
  // their last one.
  void Drain(const std::vector<std::string>& addresses);
  // Which backends are reached over TLS (from the services' `tls:`); connections made from
  // now on use it.
  void SetTls(std::shared_ptr<const UpstreamTlsMap> tls) { tls_ = std::move(tls); }
  // Closes every backend connection (at shutdown, on the loop thread).
  void CloseAll();
  // Told when an established connection to a backend is lost (for an early health check).
  void SetOnConnectionLost(std::function<void(const std::string&)> callback) {
    on_connection_lost_ = std::move(callback);
  }

  // Used by the connections.
  void StartTry(const std::shared_ptr<UpstreamCall>& call,
                const std::shared_ptr<lb::Endpoint>& endpoint);
  // Sends `call` to another backend when it may still be retried: idempotent, tries left,
  // request kept, nothing delivered to the client, enough deadline left, a backend left.
  // `before` runs first when it will (to let go of the failed try).
  bool Retry(const std::shared_ptr<UpstreamCall>& call, const std::function<void()>& before = {});
  // The current try of `call` ended; `failed`: transport failure or UNAVAILABLE.
  void EndTry(UpstreamCall& call, bool failed);
  void ConnectionLost(const std::string& address) {
    if (on_connection_lost_) on_connection_lost_(address);
  }
  GatewayMetrics* metrics() const { return metrics_; }
  int32_t connection_window() const { return connection_window_; }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context& io_;
  GatewayMetrics* metrics_;
  int32_t connection_window_;
  std::map<std::string, std::shared_ptr<UpstreamH2>> connections_;
  std::function<void(const std::string&)> on_connection_lost_;
  std::shared_ptr<const UpstreamTlsMap> tls_;
};

}  // namespace switchboard::gateway
