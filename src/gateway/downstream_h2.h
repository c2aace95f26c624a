// A client's HTTP/2 connection to the gateway (h2c), carrying native gRPC calls that are
// proxied per request to pooled backend connections, bytes passed through untouched and flow
// control kept end to end: a stream's window opens only as the other side takes its bytes.
#pragma once

#include <boost/asio.hpp>
#include <map>
#include <memory>
#include <string>

#include "gateway/downstream_sink.h"
#include "gateway/gateway_config.h"
#include "gateway/h2_connection.h"
#include "gateway/proxy_stream.h"

namespace switchboard::gateway {

class Router;
class UpstreamPool;

class GatewayMetrics;

struct GatewayContext {
  boost::asio::io_context* io;
  const GatewayConfig* config;
  Router* router;
  UpstreamPool* upstreams;
  GatewayMetrics* metrics;
};

// Writes the access-log line and the metrics of a finished call.
void RecordCall(GatewayMetrics& metrics, const std::string& protocol, const ProxyStream& stream);

class DownstreamH2 : public H2Connection,
                     public DownstreamSink,
                     public std::enable_shared_from_this<DownstreamH2> {
 public:
  // `initial` holds bytes already read while sniffing the protocol. The connection owns
  // itself until it closes; the listener keeps the weak pointer to close it at shutdown.
  static std::weak_ptr<DownstreamH2> Start(GatewayContext context,
                                           boost::asio::ip::tcp::socket socket,
                                           std::string initial);

  // Called by the backend side.
  void StartResponse(ProxyStream& stream, bool end_stream) override;
  void ResumeResponse(ProxyStream& stream) override;
  // Ends the call with a gRPC status from the gateway itself (trailers-only when possible).
  void Fail(ProxyStream& stream, int grpc_code, const std::string& message) override;
  void Consumed(ProxyStream& stream, size_t n) override;
  void ScheduleFlush();
  // The gateway is stopping: GOAWAY (NO_ERROR) so that the client starts no more calls here;
  // the calls in flight go on and the connection closes after the last.
  void BeginDrain();
  // The grace period is over: every call still open ends UNAVAILABLE with trailers.
  void EndDrain();
  // Closes the connection and cancels its calls.
  void Shutdown() { Close(); }

 private:
  DownstreamH2(GatewayContext context, boost::asio::ip::tcp::socket socket);
  void Dispatch(const std::shared_ptr<ProxyStream>& stream);
  void OnDeadline(const std::shared_ptr<ProxyStream>& stream);
  Headers UpstreamRequestHeaders(const ProxyStream& stream,
                                 std::chrono::microseconds remaining) const;
  void AddTrace(ProxyStream& stream, Headers& headers) const;
  void RespondPlain(int32_t stream_id, int http_status, const std::string& body);
  void OnClosed() override;
  void OnActivity() override;
  // Closes the connection (GOAWAY first) once it has been idle for limits.idle_timeout.
  void ArmIdleTimer();
  // Response bytes the client does not take for limits.slow_client_timeout: the call is
  // cancelled upstream and its stream reset. Checked a few times per timeout while any
  // response waits, never while none does.
  void ArmStallTimer();
  void CheckStalledResponses();

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame*, void*);
  static int OnHeader(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                      const uint8_t*, size_t, uint8_t, void*);
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame*, void*);
  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int OnStreamClose(nghttp2_session*, int32_t, uint32_t, void*);
  static ssize_t ReadResponseBody(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*,
                                  nghttp2_data_source*, void*);

  GatewayContext context_;
  bool flush_scheduled_ = false;
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_;
  std::map<int32_t, std::shared_ptr<ProxyStream>> streams_;
  // Plain (non-gRPC) response bodies by stream id.
  std::map<int32_t, std::string> plain_bodies_;
  boost::asio::steady_timer stall_timer_;
  bool stall_timer_armed_ = false;
  // Streams whose response bytes wait for the client: since when, or since the last bytes it
  // took. A stream without waiting bytes has no entry.
  std::map<int32_t, std::chrono::steady_clock::time_point> waiting_since_;
};

}  // namespace switchboard::gateway
