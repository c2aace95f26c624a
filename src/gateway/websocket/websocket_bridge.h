// Bidirectional (and client-streaming) methods over WebSocket: the browser's side of a gRPC
// stream. One JSON message per text frame each way; an empty frame ends the browser's input
// (half-close: a client-streaming method answers then); the final status in the close frame
// (1000 for OK, 4000 + the gRPC code otherwise, the message as the reason).
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "gateway/proxy/downstream_sink.h"
#include "gateway/codec/grpc_framing.h"
#include "gateway/proxy/gateway_context.h"
#include "gateway/proxy/proxy_stream.h"
#include "gateway/rest/route_table.h"
#include "gateway/transport/byte_stream.h"

namespace switchboard::gateway {

class WebSocketBridge : public DownstreamSink, public std::enable_shared_from_this<WebSocketBridge> {
 public:
  // Takes over an upgraded connection: `request` is the Upgrade request, `route` its match.
  // The bridge owns itself until the connection ends.
  static std::weak_ptr<WebSocketBridge> Start(GatewayContext context, transport::ByteStream stream,
                    boost::beast::flat_buffer buffer,
                    boost::beast::http::request<boost::beast::http::string_body> request,
                    const rest::RouteMatch& match);

  void StartResponse(ProxyStream&, bool end_stream) override;
  void ResumeResponse(ProxyStream& stream) override;
  void Fail(ProxyStream& stream, int grpc_code, const std::string& message) override;
  void Consumed(ProxyStream& stream, size_t n) override;
  // The gateway's grace period is over: the stream ends UNAVAILABLE (close code 4014).
  void EndDrain();
  void Shutdown();

 private:
  WebSocketBridge(GatewayContext context, transport::ByteStream stream,
                  const rest::RouteMatch& match);
  void OnAccepted(const boost::beast::http::request<boost::beast::http::string_body>& request);
  void ReadFrame();
  void Send(std::string text);
  void WriteMore();
  void CloseWith(int grpc_code, const std::string& message);
  void Finish();

  GatewayContext context_;
  boost::beast::websocket::stream<transport::ByteStream> ws_;
  boost::beast::flat_buffer read_buffer_;
  rest::Route route_;  // the matched route, taking each frame as its whole body
  std::vector<rest::PathBinding> bindings_;
  std::shared_ptr<ProxyStream> stream_;
  FrameDecoder decoder_;
  std::deque<std::pair<std::string, size_t>> outgoing_;  // text, upstream bytes it consumed
  bool writing_ = false;
  bool read_paused_ = false;
  std::shared_ptr<WebSocketBridge> paused_self_;  // set while read_paused_
  bool closing_ = false;
  std::optional<boost::beast::websocket::close_reason> close_reason_;
};

}  // namespace switchboard::gateway
