// A client's HTTP/1.1 connection to the gateway: REST/JSON (transcoded with google.api.http
// routes) and gRPC-Web, each request proxied as one native gRPC call on the pooled backend
// HTTP/2 connections. One request at a time per connection (keep-alive, no pipelining).
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gateway/downstream_h2.h"
#include "gateway/downstream_sink.h"
#include "gateway/grpc_framing.h"
#include "gateway/grpcweb/cors.h"
#include "gateway/grpcweb/grpc_web_stream.h"
#include "gateway/proxy_stream.h"
#include "gateway/rest/route_table.h"
#include "gateway/rest/transcoder.h"

namespace switchboard::gateway {

// What the HTTP/1.1 side needs beyond the proxy: the REST routes, the transcoder, CORS and
// the OpenAPI document, all built once from the descriptor sets.
struct Http1Context {
  GatewayContext proxy;
  const rest::RouteTable* routes;
  const rest::Transcoder* transcoder;
  const grpcweb::CorsPolicy* cors;
  const std::string* openapi_json;
};

class Http1Session : public DownstreamSink, public std::enable_shared_from_this<Http1Session> {
 public:
  static void Start(Http1Context context, boost::asio::ip::tcp::socket socket,
                    std::string initial);

  void StartResponse(ProxyStream& stream, bool end_stream) override;
  void ResumeResponse(ProxyStream& stream) override;
  void Fail(ProxyStream& stream, int grpc_code, const std::string& message) override;
  void Consumed(ProxyStream&, size_t) override {}

 private:
  enum class Mode { kRestUnary, kRestStream, kGrpcWeb };
  struct Request;

  Http1Session(Http1Context context, boost::asio::ip::tcp::socket socket);
  void ReadRequest();
  void Handle(Request request);
  void HandleRest(const Request& request);
  void HandleGrpcWeb(const Request& request);
  // Starts the backend call for the current exchange.
  bool Proxy(const std::string& grpc_path, const Headers& metadata, const std::string& timeout,
             std::string body);
  void OnDeadline();
  // REST: turns what the backend sent so far into the HTTP response.
  void PumpRest(ProxyStream& stream);
  void PumpGrpcWeb(ProxyStream& stream);
  void FinishRest(int grpc_code, const std::string& message);
  void SendGrpcWebOutput(const grpcweb::DownstreamOutput& output, size_t consumed);

  // Response writing: a complete response, or a chunked one piece by piece.
  void SendSimple(int status, const std::string& content_type, const std::string& body,
                  const Headers& extra = {});
  void SendHead(int status, const Headers& headers);  // chunked body follows
  void SendChunk(const std::string& data, size_t consumed);
  void SendLastChunk();
  void Write(std::string bytes, std::function<void()> on_written = {});
  void WriteMore();
  void EndExchange();
  void WatchForDisconnect();
  void Close();
  void CancelUpstream();
  std::string TraceValue(const Headers& trailers) const;

  Http1Context context_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  // Between requests: a connection quiet for limits.idle_timeout is closed.
  boost::asio::steady_timer idle_timer_;
  std::deque<std::pair<std::string, std::function<void()>>> writes_;
  bool writing_ = false;
  bool closed_ = false;
  bool keep_alive_ = true;
  bool probe_pending_ = false;

  // The exchange in progress.
  std::shared_ptr<ProxyStream> stream_;
  Mode mode_ = Mode::kRestUnary;
  const rest::Route* route_ = nullptr;
  bool sse_ = false;
  bool head_sent_ = false;
  bool exchange_done_ = true;
  std::optional<FrameDecoder> decoder_;
  std::string first_message_;
  bool have_message_ = false;
  std::optional<grpcweb::GrpcWebStream> grpc_web_;
  std::string origin_;
};

}  // namespace switchboard::gateway
