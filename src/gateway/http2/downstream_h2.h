// A client's HTTP/2 connection to the gateway (h2c). Native gRPC calls are proxied per request
// to pooled backend connections, bytes passed through untouched and flow control kept end to
// end: a stream's window opens only as the other side takes its bytes. gRPC-Web and REST
// requests (by content type, as on HTTP/1.1) are translated per stream
// (downstream_h2_web.cc).
#pragma once

#include <boost/asio.hpp>
#include <map>
#include <memory>
#include <string>

#include "gateway/proxy/downstream_sink.h"
#include "gateway/gateway_config.h"
#include "gateway/proxy/h2_connection.h"
#include "gateway/proxy/proxy_stream.h"
#include "gateway/proxy/call_record.h"
#include "gateway/proxy/gateway_context.h"
#include "gateway/codec/translation_output.h"
#include "gateway/proxy/protocols.h"

namespace switchboard::gateway {

struct H2WebCall;

class DownstreamH2 : public H2Connection,
                     public DownstreamSink,
                     public std::enable_shared_from_this<DownstreamH2> {
 public:
  // `initial` holds bytes already read while sniffing the protocol. The connection owns
  // itself until it closes; the listener keeps the weak pointer to close it at shutdown.
  static std::weak_ptr<DownstreamH2> Start(GatewayContext context, transport::ByteStream stream,
                                           std::string initial);
  ~DownstreamH2() override;

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
  DownstreamH2(GatewayContext context, transport::ByteStream stream);
  void Dispatch(const std::shared_ptr<ProxyStream>& stream);
  // Resolves the route of stream->path, settles the deadline (grpc-timeout in `metadata`, or
  // the route's default; its maximum when the request body streams in later) and submits the
  // backend call; `drop` leaves out further metadata by name.
  void StartCall(const std::shared_ptr<ProxyStream>& stream, const Headers& metadata,
                 bool body_follows, bool (*drop)(std::string_view name));
  void OnDeadline(const std::shared_ptr<ProxyStream>& stream);

  // ---- Translated calls: gRPC-Web, REST (downstream_h2_web.cc) ----
  H2WebCall* WebCallOf(int32_t id);
  // The request headers are complete: a local answer, a rejection, or a translated call of
  // `protocol`.
  void DispatchWeb(const std::shared_ptr<ProxyStream>& stream, const Protocol& protocol);
  // Request DATA (or its end, with empty `data`) of a translated call.
  void OnWebRequestData(const std::shared_ptr<ProxyStream>& stream, H2WebCall& call,
                        std::string_view data, bool end);
  // Gives a body the call needs whole limits.slow_client_timeout to arrive (408 after that).
  void AwaitBufferedBody(const std::shared_ptr<ProxyStream>& stream);
  // Takes `call`'s held body off the connection's budget.
  void ReleaseBufferedBody(H2WebCall& call);
  // Bytes of bodies held whole one connection allows at a time (429 past that).
  size_t BufferedBodyBudget() const;
  // StartCall for a translated call, whose request frames come from the translation.
  void StartTranslatedCall(const std::shared_ptr<ProxyStream>& stream, H2WebCall& call,
                           const Headers& metadata, bool body_follows);
  void StartWebResponse(ProxyStream& stream, H2WebCall& call, bool end_stream);
  void PumpWebResponse(ProxyStream& stream, H2WebCall& call);
  // Ends a translated call with `status` (the gateway's own, or the translation's).
  void FailWeb(ProxyStream& stream, H2WebCall& call, const absl::Status& status);
  // Sends what a translation gives; `consumed` backend bytes are given back once the client
  // has taken the output.
  void SendWebOutput(ProxyStream& stream, H2WebCall& call, DownstreamOutput output, size_t consumed);
  void ReleaseWebCall(int32_t id, ProxyStream& stream);
  static ssize_t ReadWebBody(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*,
                             nghttp2_data_source*, void*);
  void AddTrace(ProxyStream& stream, Headers& headers) const;
  void RespondPlain(int32_t stream_id, int http_status, const std::string& body,
                    const char* content_type = "text/plain; charset=utf-8", Headers extra = {});
  void OnClosed() override;
  void OnActivity() override;
  // Counts a flood or protocol error that ended the connection (h2_settings.h).
  void OnReceiveFailed(int error) override;
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
  static int OnFrameSend(nghttp2_session*, const nghttp2_frame*, void*);
  // Tells a client whose answer is complete to stop sending its request (RST_STREAM NO_ERROR).
  void StopRequest(ProxyStream& stream);
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
  std::map<int32_t, std::unique_ptr<H2WebCall>> web_calls_;
  // Bytes of unary REST bodies buffered on this connection, still waiting for their end.
  size_t buffered_body_bytes_ = 0;
  boost::asio::steady_timer stall_timer_;
  bool stall_timer_armed_ = false;
  // Streams whose response bytes wait for the client: since when, or since the last bytes it
  // took. A stream without waiting bytes has no entry.
  std::map<int32_t, std::chrono::steady_clock::time_point> waiting_since_;
  // Streams whose request header block has begun and not ended: since when. One older than
  // limits.slow_client_timeout when the idle timer looks ends the connection (an HTTP/2
  // slowloris: half a HEADERS frame, then nothing or a trickle).
  std::map<int32_t, std::chrono::steady_clock::time_point> heads_started_;
};

}  // namespace switchboard::gateway
