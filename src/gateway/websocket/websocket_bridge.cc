#include "gateway/websocket/websocket_bridge.h"

#include <spdlog/spdlog.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gateway/gateway_metrics.h"
#include "gateway/proxy/call_record.h"
#include "gateway/proxy/backend_call.h"
#include "gateway/codec/grpc_timeout.h"
#include "gateway/codec/grpc_status.h"
#include "gateway/rest/errors.h"
#include "gateway/rest/transcoder.h"
#include "gateway/proxy/router.h"
#include "gateway/upstream/call_start.h"
#include "gateway/upstream/upstream_h2.h"

namespace switchboard::gateway {
namespace {

namespace websocket = boost::beast::websocket;

constexpr uint16_t kCloseNormal = 1000;
constexpr uint16_t kCloseGrpcBase = 4000;
constexpr size_t kMaxCloseReasonBytes = 123;  // RFC 6455 5.5: control frames carry 125 bytes

}  // namespace

WebSocketBridge::WebSocketBridge(GatewayContext context, transport::ByteStream stream,
                                 const rest::RouteMatch& match)
    : context_(context),
      ws_(std::move(stream)),
      route_(*match.route),
      bindings_(match.bindings),
      decoder_(static_cast<size_t>(context.config->limits.max_message_bytes)) {
  // Each frame is one whole request message.
  route_.body = "*";
  route_.body_field = nullptr;
  ws_.read_message_max(static_cast<size_t>(context.config->limits.max_message_bytes));
  // Bounds the opening and closing handshakes (a client that never answers our close frame);
  // an idle conversation is left alone, as chats and price feeds are quiet for long.
  ws_.set_option(
      boost::beast::websocket::stream_base::timeout::suggested(boost::beast::role_type::server));
}

std::weak_ptr<WebSocketBridge> WebSocketBridge::Start(GatewayContext context,
                                                      transport::ByteStream stream,
                                                      boost::beast::flat_buffer buffer,
                                                      boost::beast::http::request<
                                                          boost::beast::http::string_body>
                                                          request,
                                                      const rest::RouteMatch& match) {
  std::shared_ptr<WebSocketBridge> bridge(new WebSocketBridge(context, std::move(stream), match));
  bridge->read_buffer_ = std::move(buffer);
  auto shared_request =
      std::make_shared<boost::beast::http::request<boost::beast::http::string_body>>(
          std::move(request));
  bridge->ws_.async_accept(*shared_request,
                           [bridge, shared_request](const boost::system::error_code& error) {
                             if (error) return;
                             bridge->OnAccepted(*shared_request);
                           });
  return bridge;
}

void WebSocketBridge::EndDrain() {
  if (stream_) {
    Fail(*stream_, kGrpcUnavailable, "the gateway is shutting down");
  } else if (!closing_) {
    Shutdown();  // still in the handshake
  }
}

void WebSocketBridge::Shutdown() {
  closing_ = true;  // pending reads and writes find the bridge finished
  Finish();
  ws_.next_layer().Close();
}

void WebSocketBridge::OnAccepted(
    const boost::beast::http::request<boost::beast::http::string_body>& request) {
  if (closing_) return;  // the gateway stopped during the handshake
  auto stream = std::make_shared<ProxyStream>();
  stream_ = stream;
  stream->down = std::static_pointer_cast<DownstreamSink>(shared_from_this());
  stream->path = route_.grpc_path;
  stream->counted = true;
  context_.metrics->CallStarted();
  Headers metadata;
  for (const auto& field : request) {
    const std::string name = absl::AsciiStrToLower(std::string(field.name_string()));
    if (name == "authorization" || name.rfind("x-", 0) == 0) {
      metadata.emplace_back(name, std::string(field.value()));
    }
  }
  std::weak_ptr<WebSocketBridge> weak = shared_from_this();
  // A conversation lasts as long as the route's maximum deadline allows: its messages keep
  // coming after the start, as a streamed body's do.
  const std::string_view target(request.target().data(), request.target().size());
  const CallStart start{&metadata, nullptr, /*body_follows=*/true, nullptr,
                        rest::SplitRequestTarget(target).second,
                        PeerAddressOf(ws_.next_layer().socket()),
                        &ws_.next_layer().peer_identity()};
  const absl::Status status = StartBackendCall(context_, stream, start, [weak] {
    if (auto self = weak.lock(); self && self->stream_) {
      self->Fail(*self->stream_, kGrpcDeadlineExceeded, "deadline exceeded at the gateway");
    }
  });
  if (!status.ok()) {
    Fail(*stream, static_cast<int>(status.code()), std::string(status.message()));
    return;
  }
  ReadFrame();
}

void WebSocketBridge::ReadFrame() {
  if (closing_) return;
  if (stream_->request_body.size() > kMaxPendingRequestBytes) {
    read_paused_ = true;  // resumes when the backend takes the bytes (Consumed)
    // Nothing pending owns the bridge while it waits: it owns itself until then.
    paused_self_ = shared_from_this();
    return;
  }
  auto self = shared_from_this();
  ws_.async_read(read_buffer_, [self](const boost::system::error_code& error, size_t) {
    if (self->closing_) return;
    if (error == websocket::error::closed) {
      // The client's close frame: Beast has answered it and closed the connection, so nothing
      // more can reach the client. The call ends here (CANCELLED, unless the backend had
      // already ended it), or it would stay open at the backend and in the gateway's count.
      if (!self->stream_->response_ended) self->stream_->gateway_status = kGrpcCancelled;
      self->Finish();
      return;
    }
    if (error) {
      self->Fail(*self->stream_, kGrpcCancelled, "client connection lost: " + error.message());
      return;
    }
    const std::string text = boost::beast::buffers_to_string(self->read_buffer_.data());
    self->read_buffer_.consume(self->read_buffer_.size());
    if (self->stream_->request_ended) {
      self->Fail(*self->stream_, kGrpcInvalidArgument,
                 "a message after the empty frame that ended the input");
      return;
    }
    if (text.empty()) {
      // The browser is done sending but still listening (a close frame would end both ways):
      // half-close the call, keep reading for the close, deliver the responses.
      self->stream_->request_ended = true;
      if (auto up = self->stream_->up.lock()) up->ResumeRequest(*self->stream_);
      self->ReadFrame();
      return;
    }
    auto message = self->context_.web->transcoder->TranscodeRequest(self->route_, self->bindings_, "", text);
    if (!message.ok()) {
      self->Fail(*self->stream_, kGrpcInvalidArgument, std::string(message.status().message()));
      return;
    }
    std::string frame;
    AppendFrame(0, *message, &frame);
    self->stream_->request_body.Append(frame.data(), frame.size());
    if (auto up = self->stream_->up.lock()) up->ResumeRequest(*self->stream_);
    self->ReadFrame();
  });
}

void WebSocketBridge::Consumed(ProxyStream&, size_t) {
  if (read_paused_ && stream_ && stream_->request_body.size() <= kMaxPendingRequestBytes) {
    read_paused_ = false;
    auto self = std::move(paused_self_);
    ReadFrame();
  }
}

void WebSocketBridge::StartResponse(ProxyStream& stream, bool end_stream) {
  if (end_stream) ResumeResponse(stream);
}

void WebSocketBridge::ResumeResponse(ProxyStream& stream) {
  if (closing_ || stream_.get() != &stream) return;
  std::string bytes(stream.response_body.size(), '\0');
  const size_t n = stream.response_body.Take(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  decoder_.Feed(std::string_view(bytes.data(), n));
  GrpcFrame frame;
  size_t unaccounted = n;
  while (decoder_.Next(&frame)) {
    auto json = context_.web->transcoder->TranscodeResponse(route_, frame.payload);
    if (!json.ok()) {
      Fail(stream, kGrpcInternal, std::string(json.status().message()));
      return;
    }
    outgoing_.emplace_back(std::move(*json), unaccounted);
    unaccounted = 0;
  }
  if (!decoder_.status().ok()) {
    Fail(stream, kGrpcInternal, std::string(decoder_.status().message()));
    return;
  }
  if (unaccounted > 0) {
    if (auto up = stream.up.lock()) up->Consumed(stream, unaccounted);
  }
  if (stream.response_ended && stream.response_body.empty()) {
    const std::string* trailers_status = FindHeader(stream.trailers, "grpc-status");
    const std::string* headers_status = FindHeader(stream.response_headers, "grpc-status");
    const std::string* message = FindHeader(stream.trailers, "grpc-message");
    if (message == nullptr) message = FindHeader(stream.response_headers, "grpc-message");
    const int code = GrpcStatusOf(trailers_status, headers_status);
    CloseWith(code < 0 ? kGrpcInternal : code,
              message != nullptr ? DecodeGrpcMessage(*message)
                                 : (code < 0 ? "backend sent no grpc-status" : ""));
  }
  WriteMore();
}

void WebSocketBridge::Fail(ProxyStream& stream, int grpc_code, const std::string& message) {
  if (closing_) return;
  stream.gateway_status = grpc_code;
  if (auto up = stream.up.lock(); up && !stream.up_closed && !stream.response_ended) {
    up->Cancel(stream);
  }
  CloseWith(grpc_code, message);
  WriteMore();
}

void WebSocketBridge::CloseWith(int grpc_code, const std::string& message) {
  if (close_reason_) return;
  websocket::close_reason reason;
  reason.code = grpc_code == kGrpcOk ? kCloseNormal : static_cast<uint16_t>(kCloseGrpcBase + grpc_code);
  reason.reason = message.substr(0, kMaxCloseReasonBytes);
  close_reason_ = reason;
  if (stream_ && stream_->timer) stream_->timer->cancel();
}

void WebSocketBridge::WriteMore() {
  if (writing_) return;
  if (outgoing_.empty()) {
    if (close_reason_ && !closing_) {
      closing_ = true;
      writing_ = true;
      auto self = shared_from_this();
      ws_.async_close(*close_reason_, [self](const boost::system::error_code&) {
        self->writing_ = false;
        self->Finish();
      });
    }
    return;
  }
  writing_ = true;
  auto item = std::make_shared<std::pair<std::string, size_t>>(std::move(outgoing_.front()));
  outgoing_.pop_front();
  ws_.text(true);
  auto self = shared_from_this();
  ws_.async_write(boost::asio::buffer(item->first),
                  [self, item](const boost::system::error_code& error, size_t) {
                    self->writing_ = false;
                    if (!self->stream_) return;  // finished meanwhile (Shutdown)
                    if (error) {
                      self->Fail(*self->stream_, kGrpcCancelled, "client connection lost");
                      self->Finish();
                      return;
                    }
                    // The backend's window opens as the browser takes the messages.
                    if (item->second > 0) {
                      if (auto up = self->stream_->up.lock()) up->Consumed(*self->stream_, item->second);
                    }
                    self->WriteMore();
                  });
}

void WebSocketBridge::Finish() {
  closing_ = true;  // a read or write still pending finds the bridge finished
  auto self = std::move(paused_self_);
  if (!stream_) return;
  auto stream = std::move(stream_);
  if (stream->timer) stream->timer->cancel();
  if (auto up = stream->up.lock()) {
    if (!stream->up_closed && !stream->response_ended) up->Cancel(*stream);
    up->Release(*stream);
    size_t unsent = 0;
    for (const auto& item : outgoing_) unsent += item.second;
    outgoing_.clear();
    up->Consumed(*stream, unsent);
  }
  if (stream->counted) RecordCall(*context_.metrics, "websocket", *stream);
  stream->counted = false;
  stream->finished = true;
  stream->down_closed = true;
  ws_.next_layer().Close();
}

}  // namespace switchboard::gateway
