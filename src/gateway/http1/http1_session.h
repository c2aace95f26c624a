// A client's HTTP/1.1 connection to the gateway: REST/JSON (transcoded with google.api.http
// routes) and gRPC-Web, each request proxied as one native gRPC call on the pooled backend
// HTTP/2 connections. One request at a time per connection (keep-alive, no pipelining).
#pragma once

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gateway/proxy/connection_list.h"
#include "gateway/proxy/call_record.h"
#include "gateway/proxy/gateway_context.h"
#include "gateway/proxy/downstream_sink.h"
#include "gateway/codec/grpc_framing.h"
#include "gateway/grpcweb/cors.h"
#include "gateway/codec/translation.h"
#include "gateway/proxy/proxy_stream.h"
#include "gateway/proxy/protocols.h"
#include "gateway/transport/byte_stream.h"

namespace switchboard::gateway {

class WebSocketBridge;

// What the HTTP/1.1 side needs beyond the proxy, whose `web` (REST routes, transcoder, CORS,
// the OpenAPI document) it requires.
struct Http1Context {
  GatewayContext proxy;
  // Where an upgraded connection is registered for draining (may be null).
  ConnectionList<WebSocketBridge>* websockets = nullptr;
};

class Http1Session : public DownstreamSink, public std::enable_shared_from_this<Http1Session> {
 public:
  // The session owns itself while it has work; the listener keeps the weak pointer to drain
  // it when the gateway stops.
  static std::weak_ptr<Http1Session> Start(Http1Context context, transport::ByteStream stream,
                                           std::string initial);
  // The gateway is stopping: a connection between requests closes now, one with a call in
  // flight answers it and then closes ("connection: close").
  void BeginDrain();
  // The grace period is over: a call still open ends UNAVAILABLE (a REST stream with its
  // error line, gRPC-Web with its trailers), then the connection closes.
  void EndDrain();
  void Shutdown() { Close(); }

  void StartResponse(ProxyStream& stream, bool end_stream) override;
  void ResumeResponse(ProxyStream& stream) override;
  void Fail(ProxyStream& stream, int grpc_code, const std::string& message) override;
  // The backend took request bytes: a streamed body paused for its window reads on.
  void Consumed(ProxyStream& stream, size_t n) override;

 private:
  struct Request;
  using Clock = std::chrono::steady_clock;
  using HeaderParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;
  using BufferedBodyParser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  using StreamedBodyParser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

  Http1Session(Http1Context context, transport::ByteStream stream);
  // Request headers, read and parsed here so that a slow sender is seen byte by byte.
  void ReadRequest();
  void ParseHeader();
  void OnHeader();
  // A body read whole (bounded by limits.max_message_bytes) before the call starts.
  void ReadBufferedBody();
  // A body that is a stream of messages (UpstreamRequest::body_is_stream), forwarded as it
  // arrives.
  void StartStreamedCall(const Request& request);
  void ReadStreamedBody();
  void OnStreamedBytes(std::string_view data);
  void SendContinueIfExpected(const Request& request);
  void ResetExchange(const Request& request);
  void Handle(Request request);
  // A request of a translated protocol (proxy/protocols.h) whose body was read whole.
  void HandleTranslated(const Request& request);
  // The protocol's name in metrics and logs: the translation's, else "rest" (what a plain
  // HTTP/1.1 request is taken for).
  const char* ProtocolName() const;
  enum class HeaderUse { kCopy, kTake };
  static Headers WithPseudoHeaders(Request& request, HeaderUse use);
  // Starts the backend call for the current exchange; with `body_follows` the request body
  // arrives later through stream_->request_body.
  bool Proxy(const std::string& grpc_path, const Headers& metadata, const std::string& timeout,
             std::string body, bool body_follows = false);
  void OnDeadline();
  // Ends the exchange with an error the gateway produced (its HTTP status, where one is
  // answered, from rest::WithHttpStatus or the code), cancelling the backend call.
  void FailExchange(const absl::Status& status);
  // A request answered by the gateway itself, no backend called: still one call in /metrics
  // and the access log ("-" for the method when no route matched; protocol "http1" when the
  // request was not even readable).
  void RecordRejected(const char* protocol, const std::string& grpc_path, int grpc_code);
  // RecordRejected, then the JSON error with `http_status` (0: the one `status` maps to).
  void RejectRest(const absl::Status& status, int http_status = 0, const Headers& extra = {});

  // One timer watches whichever wait is on: idle between requests (limits.idle_timeout),
  // request headers, request body and response writes (limits.slow_client_timeout). Progress
  // only moves a time stamp; the timer re-checks when it fires, so nothing re-arms per read.
  Clock::time_point NextDeadline() const;
  void ArmTimer();
  void OnTimer();
  void OnSlowClient(const char* phase);
  // Turns what the backend sent so far into the client's response, through the translation.
  void PumpResponse(ProxyStream& stream);
  // Sends what the translation gives: head, body, end.
  void SendOutput(const DownstreamOutput& output, size_t consumed);

  // Response writing: a complete response, or a chunked one piece by piece.
  // `add_cors`: false for an answer whose translation carries its own CORS headers.
  void SendSimple(int status, const std::string& content_type, const std::string& body,
                  const Headers& extra = {}, bool add_cors = true);
  void SendHead(int status, const Headers& headers);  // chunked body follows
  void SendChunk(const std::string& data, size_t consumed);
  void SendLastChunk();
  // Queues bytes for the client. What one handler queues (a response's head, its chunks and
  // its end) goes out in one gather write once the handler returns, not one write each.
  void Write(std::string bytes, std::function<void()> on_written = {});
  struct PendingWrite {
    std::string bytes;
    std::function<void()> on_written;  // once the bytes are written, or can never be
  };
  using WriteBatch = std::vector<PendingWrite>;
  void WriteMore();
  // Writes `batch` from item `index`, byte `offset` on.
  void WriteBatchFrom(std::shared_ptr<WriteBatch> batch, size_t index, size_t offset);
  void EndExchange();
  void WatchForDisconnect();
  void OnReadable(const boost::system::error_code& error, size_t n);
  void Close();
  void CancelUpstream();
  // Response bytes taken from the backend that no write carries (a partial message).
  void GiveBackUnsent(size_t n);
  // Gives the backend the bytes GiveBackUnsent held back while the client was behind.
  void ReleaseDeferred();

  Http1Context context_;
  transport::ByteStream transport_;
  boost::beast::flat_buffer buffer_;
  std::array<char, 4096> probe_buffer_;  // what WatchForDisconnect reads
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  Clock::time_point timer_deadline_;
  uint64_t timer_generation_ = 0;    // a wait from an older arming finds it changed and stops
  Clock::time_point last_activity_;  // the previous exchange ended (idle since)
  bool reading_headers_ = false;
  std::optional<Clock::time_point> header_started_;  // the first byte of the request arrived
  bool body_reading_ = false;                        // a body read is pending
  bool body_paused_ = false;                   // a streamed body waits for the backend's window
  std::shared_ptr<Http1Session> paused_self_;  // set while paused (see ReadStreamedBody)
  bool body_complete_ = true;                  // the request body was read to its end
  Clock::time_point body_progress_;
  Clock::time_point write_progress_;

  std::unique_ptr<HeaderParser> header_parser_;
  std::unique_ptr<BufferedBodyParser> body_parser_;
  std::unique_ptr<StreamedBodyParser> stream_parser_;
  std::unique_ptr<Request> pending_request_;  // headers read, body being buffered
  std::string read_chunk_;  // one read of a streamed body

  std::deque<PendingWrite> writes_;
  size_t queued_write_bytes_ = 0;  // in writes_ or being written
  bool flush_posted_ = false;      // a WriteMore is posted to run after this handler
  size_t deferred_consumed_ = 0;   // response bytes held back by GiveBackUnsent
  bool writing_ = false;           // bytes are queued or being written
  bool closed_ = false;
  bool keep_alive_ = true;
  bool probe_pending_ = false;
  bool draining_ = false;  // the gateway is stopping: no request after the current one

  // The exchange in progress.
  std::shared_ptr<ProxyStream> stream_;
  // The request's protocol and its translation, chosen when its headers arrived (none for an
  // upgrade or native gRPC), with what the translation made of the headers.
  const Protocol* protocol_ = nullptr;
  std::unique_ptr<Translation> translation_;
  UpstreamRequest upstream_;
  absl::Status header_status_;
  bool head_sent_ = false;
  bool length_delimited_ = false;  // the head gave Content-Length: no chunked framing
  bool head_only_ = false;  // a HEAD request: answers carry no body
  bool exchange_done_ = true;
  std::string origin_;
};

}  // namespace switchboard::gateway
