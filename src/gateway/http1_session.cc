#include "gateway/http1_session.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gateway/gateway_metrics.h"
#include "gateway/backend_call.h"
#include "gateway/grpc_timeout.h"
#include "gateway/grpcweb/content_type.h"
#include "gateway/rest/errors.h"
#include "gateway/router.h"
#include "gateway/websocket_bridge.h"
#include "gateway/upstream_h2.h"

namespace switchboard::gateway {
namespace {

namespace http = boost::beast::http;

constexpr size_t kDisconnectProbeBytes = 4096;

const char* Reason(int status) {
  return http::obsolete_reason(static_cast<http::status>(status)).data();
}

std::string Lower(std::string_view text) { return absl::AsciiStrToLower(std::string(text)); }

// Request headers a REST client may pass on to the service as gRPC metadata.
bool IsForwardedRestHeader(const std::string& name) {
  return name == "authorization" || name == "user-agent" ||
         (absl::StartsWith(name, "x-") && name != "x-deadline-unix-us");
}

}  // namespace

struct Http1Session::Request {
  http::request<http::string_body> raw;
  std::string method;
  std::string target;
  Headers headers;  // lowercase names
  std::string body;
  bool keep_alive = true;

  const std::string* Header(const char* name) const { return FindHeader(headers, name); }
};

Http1Session::Http1Session(Http1Context context, boost::asio::ip::tcp::socket socket)
    : context_(context), socket_(std::move(socket)), idle_timer_(*context.proxy.io) {
  boost::system::error_code ignored;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
}

void Http1Session::Start(Http1Context context, boost::asio::ip::tcp::socket socket,
                         std::string initial) {
  std::shared_ptr<Http1Session> session(new Http1Session(context, std::move(socket)));
  auto prepared = session->buffer_.prepare(initial.size());
  boost::asio::buffer_copy(prepared, boost::asio::buffer(initial));
  session->buffer_.commit(initial.size());
  session->ReadRequest();
}

void Http1Session::ReadRequest() {
  if (closed_) return;
  idle_timer_.expires_after(context_.proxy.config->limits.idle_timeout);
  std::weak_ptr<Http1Session> weak = shared_from_this();
  idle_timer_.async_wait([weak](const boost::system::error_code& error) {
    if (auto self = weak.lock(); self && !error && self->exchange_done_) self->Close();
  });
  auto parser = std::make_shared<http::request_parser<http::string_body>>();
  const Limits& limits = context_.proxy.config->limits;
  parser->header_limit(static_cast<uint32_t>(limits.max_header_bytes));
  parser->body_limit(static_cast<uint64_t>(limits.max_message_bytes));
  auto self = shared_from_this();
  http::async_read(socket_, buffer_, *parser,
                   [self, parser](const boost::system::error_code& error, size_t) {
                     if (error == http::error::body_limit) {
                       self->keep_alive_ = false;
                       self->SendSimple(413, "application/json",
                                        rest::JsonErrorBody(8, "request body is larger than "
                                                               "limits.max_message_bytes"));
                       return;
                     }
                     if (error == http::error::header_limit) {
                       self->keep_alive_ = false;
                       self->SendSimple(431, "text/plain", "request headers too large\n");
                       return;
                     }
                     if (error) {
                       if (error != http::error::end_of_stream &&
                           error != boost::asio::error::eof) {
                         self->keep_alive_ = false;
                         self->SendSimple(400, "text/plain",
                                          "malformed HTTP request: " + error.message() + "\n");
                       } else {
                         self->Close();
                       }
                       return;
                     }
                     auto message = parser->release();
                     Request request;
                     request.method = std::string(message.method_string());
                     request.target = std::string(message.target());
                     for (const auto& field : message) {
                       request.headers.emplace_back(Lower(std::string(field.name_string())),
                                                    std::string(field.value()));
                     }
                     request.keep_alive = message.keep_alive();
                     request.raw = std::move(message);
                     request.body = request.raw.body();
                     self->Handle(std::move(request));
                   });
}

void Http1Session::Handle(Request request) {
  idle_timer_.cancel();
  keep_alive_ = request.keep_alive;
  exchange_done_ = false;
  head_sent_ = false;
  have_message_ = false;
  first_message_.clear();
  grpc_web_.reset();
  decoder_.reset();
  stream_.reset();
  route_ = nullptr;
  const std::string* origin = request.Header("origin");
  origin_ = origin != nullptr ? *origin : std::string();

  Headers with_pseudo = {{":method", request.method}, {":path", request.target}};
  with_pseudo.insert(with_pseudo.end(), request.headers.begin(), request.headers.end());
  if (grpcweb::CorsPolicy::IsPreflight(with_pseudo)) {
    auto preflight = context_.cors->Preflight(with_pseudo);
    SendSimple(preflight.head.status, "text/plain", preflight.body, preflight.head.headers);
    return;
  }
  const std::string* content_type = request.Header("content-type");
  if (content_type != nullptr && grpcweb::IsGrpcWebContentType(*content_type)) {
    HandleGrpcWeb(request);
    return;
  }
  if (boost::beast::websocket::is_upgrade(request.raw)) {
    auto [path, query] = rest::SplitRequestTarget(request.target);
    auto match = context_.routes->Lookup(request.method, path);
    if (!match.ok() || !match->route->client_streaming) {
      keep_alive_ = false;
      SendSimple(match.ok() ? 400 : rest::HttpStatusFromStatus(match.status()), "application/json",
                 rest::JsonErrorBody(match.ok() ? absl::InvalidArgumentError(
                                                      "WebSocket is for client-streaming and "
                                                      "bidirectional methods only")
                                                : match.status()));
      return;
    }
    // The connection now belongs to the bridge.
    closed_ = true;
    exchange_done_ = true;
    WebSocketBridge::Start(context_, std::move(socket_), std::move(buffer_), std::move(request.raw),
                           *match);
    return;
  }
  if (request.method == "GET" && request.target == "/healthz") {
    SendSimple(200, "text/plain", "ok\n");
    return;
  }
  if (request.method == "GET" && request.target == "/metrics") {
    SendSimple(200, "text/plain; version=0.0.4", context_.proxy.metrics->Render());
    return;
  }
  if (request.method == "GET" && request.target == "/openapi.json") {
    SendSimple(200, "application/json", *context_.openapi_json);
    return;
  }
  HandleRest(request);
}

void Http1Session::HandleRest(const Request& request) {
  auto [path, query] = rest::SplitRequestTarget(request.target);
  auto match = context_.routes->Lookup(request.method, path);
  if (!match.ok()) {
    SendSimple(rest::HttpStatusFromStatus(match.status()), "application/json",
               rest::JsonErrorBody(match.status()));
    return;
  }
  route_ = match->route;
  auto message = context_.transcoder->TranscodeRequest(*route_, match->bindings, query, request.body);
  if (!message.ok()) {
    SendSimple(rest::HttpStatusFromStatus(message.status()), "application/json",
               rest::JsonErrorBody(message.status()));
    return;
  }
  std::string frame;
  AppendFrame(0, *message, &frame);
  const std::string* accept = request.Header("accept");
  sse_ = accept != nullptr && absl::StrContains(*accept, "text/event-stream");
  mode_ = route_->server_streaming ? Mode::kRestStream : Mode::kRestUnary;
  decoder_.emplace(static_cast<size_t>(context_.proxy.config->limits.max_message_bytes));
  Headers metadata;
  for (const auto& [name, value] : request.headers) {
    if (IsForwardedRestHeader(name)) metadata.emplace_back(name, value);
  }
  const std::string* timeout = request.Header("grpc-timeout");
  Proxy(route_->grpc_path, metadata, timeout != nullptr ? *timeout : std::string(), std::move(frame));
}

void Http1Session::HandleGrpcWeb(const Request& request) {
  mode_ = Mode::kGrpcWeb;
  grpcweb::StreamOptions options;
  options.max_message_bytes = static_cast<size_t>(context_.proxy.config->limits.max_message_bytes);
  options.max_header_bytes = static_cast<size_t>(context_.proxy.config->limits.max_header_bytes);
  options.cors = context_.cors;
  grpc_web_.emplace(options);
  Headers with_pseudo = {{":method", request.method}, {":path", request.target}};
  with_pseudo.insert(with_pseudo.end(), request.headers.begin(), request.headers.end());
  grpcweb::UpstreamRequest upstream;
  absl::Status status = grpc_web_->OnRequestHeaders(with_pseudo, &upstream);
  std::string body;
  if (status.ok()) status = grpc_web_->OnRequestData(request.body, true, &body);
  if (!status.ok()) {
    SendGrpcWebOutput(grpc_web_->Fail(status), 0);
    return;
  }
  Headers metadata;
  std::string timeout;
  for (const auto& [name, value] : upstream.headers) {
    if (name == "grpc-timeout") {
      timeout = value;
    } else {
      metadata.emplace_back(name, value);
    }
  }
  Proxy(upstream.path, metadata, timeout, std::move(body));
}

bool Http1Session::Proxy(const std::string& grpc_path, const Headers& metadata,
                         const std::string& timeout_header, std::string body) {
  auto stream = std::make_shared<ProxyStream>();
  stream_ = stream;
  stream->down = std::static_pointer_cast<DownstreamSink>(shared_from_this());
  stream->path = grpc_path;
  auto target = context_.proxy.router->Resolve(grpc_path);
  stream->counted = true;
  context_.proxy.metrics->CallStarted();
  if (!target.ok()) {
    Fail(*stream, kGrpcUnimplemented, std::string(target.status().message()));
    return false;
  }
  const RouteTimeouts& timeouts = target->route->timeouts;
  std::chrono::microseconds remaining = timeouts.default_timeout;
  if (!timeout_header.empty()) {
    auto parsed = ParseGrpcTimeout(timeout_header);
    if (!parsed) {
      Fail(*stream, kGrpcInvalidArgument, "malformed grpc-timeout \"" + timeout_header + "\"");
      return false;
    }
    remaining = std::min<std::chrono::microseconds>(*parsed, timeouts.max_timeout);
  }
  stream->budget_on_entry = remaining;
  const std::string* trace = FindHeader(metadata, "x-deadline-trace");
  stream->trace = trace != nullptr && *trace == "1";
  const Headers headers = BackendRequestHeaders(grpc_path, "", metadata, remaining);
  stream->request_body.Append(body.data(), body.size());
  stream->request_ended = true;
  stream->timer = std::make_unique<boost::asio::steady_timer>(
      *context_.proxy.io, std::chrono::steady_clock::now() + remaining);
  std::weak_ptr<Http1Session> weak = shared_from_this();
  std::weak_ptr<ProxyStream> weak_stream = stream;
  stream->timer->async_wait([weak, weak_stream](const boost::system::error_code& error) {
    if (error) return;
    auto self = weak.lock();
    auto s = weak_stream.lock();
    if (self && s && self->stream_ == s) self->OnDeadline();
  });
  context_.proxy.upstreams->Submit(*target, stream, headers);
  WatchForDisconnect();
  return true;
}

void Http1Session::OnDeadline() {
  if (stream_) Fail(*stream_, kGrpcDeadlineExceeded, "deadline exceeded at the gateway");
}

void Http1Session::StartResponse(ProxyStream& stream, bool end_stream) {
  if (stream_.get() != &stream || exchange_done_) return;
  if (mode_ == Mode::kGrpcWeb) {
    grpcweb::ResponseHead head;
    for (const auto& [name, value] : stream.response_headers) {
      if (name == ":status") {
        head.status = std::atoi(value.c_str());
      } else {
        head.headers.emplace_back(name, value);
      }
    }
    if (end_stream && stream.trace) {
      for (auto& [name, value] : head.headers) {
        if (name == "x-deadline-budget") value = TraceValue(head.headers);
      }
    }
    SendGrpcWebOutput(grpc_web_->OnResponseHeaders(head, end_stream), 0);
    return;
  }
  if (end_stream) {
    // Trailers-only: the status is in these headers.
    const std::string* code = FindHeader(stream.response_headers, "grpc-status");
    const std::string* message = FindHeader(stream.response_headers, "grpc-message");
    FinishRest(code != nullptr ? rest::ParseGrpcStatus(*code) : kGrpcInternal,
               message != nullptr ? rest::DecodeGrpcMessage(*message)
                                  : std::string("backend sent no grpc-status"));
    return;
  }
  if (mode_ == Mode::kRestStream) {
    Headers headers = {{"content-type", sse_ ? "text/event-stream" : "application/x-ndjson"},
                       {"cache-control", "no-cache"}};
    SendHead(200, headers);
  }
}

void Http1Session::ResumeResponse(ProxyStream& stream) {
  if (stream_.get() != &stream || exchange_done_) return;
  if (mode_ == Mode::kGrpcWeb) {
    PumpGrpcWeb(stream);
  } else {
    PumpRest(stream);
  }
}

void Http1Session::PumpRest(ProxyStream& stream) {
  std::string bytes(stream.response_body.size(), '\0');
  const size_t n = stream.response_body.Take(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  decoder_->Feed(std::string_view(bytes.data(), n));
  GrpcFrame frame;
  std::string chunk;
  while (decoder_->Next(&frame)) {
    if (mode_ == Mode::kRestUnary) {
      if (!have_message_) first_message_ = std::move(frame.payload);
      have_message_ = true;
      continue;
    }
    auto json = sse_ ? context_.transcoder->ResponseToSseEvent(*route_, frame.payload)
                     : context_.transcoder->ResponseToNdjsonLine(*route_, frame.payload);
    if (!json.ok()) {
      Fail(stream, kGrpcInternal, std::string(json.status().message()));
      return;
    }
    chunk += *json;
  }
  if (!decoder_->status().ok()) {
    Fail(stream, kGrpcInternal, std::string(decoder_->status().message()));
    return;
  }
  if (mode_ == Mode::kRestStream && !chunk.empty()) {
    SendChunk(chunk, n);
  } else if (n > 0) {
    if (auto up = stream.up.lock()) up->Consumed(stream, n);
  }
  if (stream.response_ended && stream.response_body.empty()) {
    const std::string* code = FindHeader(stream.trailers, "grpc-status");
    const std::string* message = FindHeader(stream.trailers, "grpc-message");
    FinishRest(code != nullptr ? rest::ParseGrpcStatus(*code) : kGrpcInternal,
               message != nullptr ? rest::DecodeGrpcMessage(*message)
                                  : std::string(code != nullptr ? "" : "backend sent no grpc-status"));
  }
}

void Http1Session::FinishRest(int grpc_code, const std::string& message) {
  if (exchange_done_) return;
  Headers extra;
  if (stream_ && stream_->trace) {
    const Headers& source = stream_->trailers.empty() ? stream_->response_headers : stream_->trailers;
    extra.emplace_back("x-deadline-budget", TraceValue(source));
  }
  if (mode_ == Mode::kRestStream && head_sent_) {
    if (grpc_code != kGrpcOk) {
      const std::string error = rest::JsonErrorBody(grpc_code, message);
      SendChunk(sse_ ? rest::FormatSseEvent(error, "error") : rest::FormatNdjsonLine(error), 0);
    }
    SendLastChunk();
    return;
  }
  if (grpc_code == kGrpcOk && mode_ == Mode::kRestUnary) {
    if (!have_message_) {
      grpc_code = kGrpcInternal;
    } else {
      auto json = context_.transcoder->TranscodeResponse(*route_, first_message_);
      if (json.ok()) {
        SendSimple(200, "application/json", *json, extra);
        return;
      }
      SendSimple(500, "application/json", rest::JsonErrorBody(json.status()), extra);
      return;
    }
  }
  if (grpc_code == kGrpcOk) {  // a stream that ended before any message
    SendSimple(200, sse_ ? "text/event-stream" : "application/x-ndjson", "", extra);
    return;
  }
  const std::string text =
      grpc_code == kGrpcInternal && message.empty() ? "backend sent no response" : message;
  SendSimple(rest::HttpStatusFromGrpcCode(grpc_code), "application/json",
             rest::JsonErrorBody(grpc_code, text), extra);
}

void Http1Session::PumpGrpcWeb(ProxyStream& stream) {
  std::string bytes(stream.response_body.size(), '\0');
  const size_t n = stream.response_body.Take(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  const bool ended = stream.response_ended && stream.response_body.empty();
  if (n > 0 || (ended && stream.trailers.empty())) {
    SendGrpcWebOutput(grpc_web_->OnResponseData(std::string_view(bytes.data(), n),
                                                ended && stream.trailers.empty()),
                      n);
  }
  if (ended && !stream.trailers.empty() && !exchange_done_) {
    Headers trailers = stream.trailers;
    if (stream.trace) {
      bool found = false;
      for (auto& [name, value] : trailers) {
        if (name == "x-deadline-budget") {
          value = TraceValue(stream.trailers);
          found = true;
        }
      }
      if (!found) trailers.emplace_back("x-deadline-budget", TraceValue(stream.trailers));
    }
    SendGrpcWebOutput(grpc_web_->OnResponseTrailers(trailers), 0);
  }
}

void Http1Session::SendGrpcWebOutput(const grpcweb::DownstreamOutput& output, size_t consumed) {
  if (output.head) {
    if (output.end_stream) {
      SendSimple(output.head->status, "", output.body, output.head->headers);
      return;
    }
    SendHead(output.head->status, output.head->headers);
  }
  if (!output.body.empty() || consumed > 0) SendChunk(output.body, consumed);
  if (output.end_stream) SendLastChunk();
}

void Http1Session::Fail(ProxyStream& stream, int grpc_code, const std::string& message) {
  if (stream_.get() != &stream || exchange_done_) return;
  CancelUpstream();
  stream.gateway_status = grpc_code;
  if (mode_ == Mode::kGrpcWeb && grpc_web_) {
    SendGrpcWebOutput(grpc_web_->Fail(absl::Status(static_cast<absl::StatusCode>(grpc_code), message)), 0);
    return;
  }
  FinishRest(grpc_code, message);
}

std::string Http1Session::TraceValue(const Headers& source) const {
  std::string entry = absl::StrFormat(
      "gateway=%.3fms", static_cast<double>(stream_->budget_on_entry.count()) / 1000.0);
  const std::string* downstream = FindHeader(source, "x-deadline-budget");
  if (downstream != nullptr && !absl::StartsWith(*downstream, "gateway=")) {
    entry += ";" + *downstream;
  } else if (downstream != nullptr) {
    return *downstream;
  }
  return entry;
}

void Http1Session::CancelUpstream() {
  if (!stream_) return;
  if (stream_->timer) stream_->timer->cancel();
  if (auto up = stream_->up.lock()) {
    if (!stream_->up_closed && !stream_->response_ended) up->Cancel(*stream_);
    up->Release(*stream_);
  }
}

void Http1Session::SendSimple(int status, const std::string& content_type, const std::string& body,
                              const Headers& extra) {
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ", Reason(status), "\r\n");
  bool has_type = false;
  for (const auto& [name, value] : extra) {
    if (name == "content-length" || name == "transfer-encoding" || name == "connection") continue;
    has_type |= name == "content-type";
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (!has_type && !content_type.empty()) absl::StrAppend(&out, "content-type: ", content_type, "\r\n");
  // A preflight answer carries its own CORS headers; a second Access-Control-Allow-Origin
  // makes the browser refuse it.
  const bool has_cors = std::any_of(extra.begin(), extra.end(), [](const auto& header) {
    return header.first == "access-control-allow-origin";
  });
  if (context_.cors != nullptr && !origin_.empty() && mode_ != Mode::kGrpcWeb && !has_cors) {
    Headers cors;
    context_.cors->AddResponseHeaders(origin_, &cors);
    for (const auto& [name, value] : cors) absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (status != 204 && status != 304) absl::StrAppend(&out, "content-length: ", body.size(), "\r\n");
  if (!keep_alive_) out += "connection: close\r\n";
  out += "\r\n";
  out += body;
  Write(std::move(out));
  EndExchange();
}

void Http1Session::SendHead(int status, const Headers& headers) {
  if (head_sent_) return;
  head_sent_ = true;
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ", Reason(status), "\r\n");
  for (const auto& [name, value] : headers) {
    if (name == "content-length" || name == "transfer-encoding" || name == "connection") continue;
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  out += "transfer-encoding: chunked\r\n";
  if (!keep_alive_) out += "connection: close\r\n";
  out += "\r\n";
  Write(std::move(out));
}

void Http1Session::SendChunk(const std::string& data, size_t consumed) {
  std::weak_ptr<ProxyStream> weak = stream_;
  // The backend's window opens only once the client has taken the bytes: a slow reader slows
  // its own stream and the gateway holds at most one window of it.
  auto on_written = [weak, consumed] {
    auto stream = weak.lock();
    if (!stream || consumed == 0) return;
    if (auto up = stream->up.lock()) up->Consumed(*stream, consumed);
  };
  if (data.empty()) {
    on_written();
    return;
  }
  Write(absl::StrCat(absl::StrFormat("%x", data.size()), "\r\n", data, "\r\n"), on_written);
}

void Http1Session::SendLastChunk() {
  Write("0\r\n\r\n");
  EndExchange();
}

void Http1Session::EndExchange() {
  if (exchange_done_) return;
  exchange_done_ = true;
  CancelUpstream();
  if (stream_) {
    if (stream_->counted) {
      RecordCall(*context_.proxy.metrics, mode_ == Mode::kGrpcWeb ? "grpc-web" : "rest", *stream_);
      stream_->counted = false;
    }
    stream_->finished = true;
    stream_->down_closed = true;
  }
}

void Http1Session::Write(std::string bytes, std::function<void()> on_written) {
  if (closed_) return;
  writes_.emplace_back(std::move(bytes), std::move(on_written));
  if (!writing_) WriteMore();
}

void Http1Session::WriteMore() {
  if (writes_.empty()) {
    writing_ = false;
    if (exchange_done_) {
      if (!keep_alive_) {
        Close();
      } else if (probe_pending_) {
        // The disconnect probe's handler starts the next read once it is cancelled.
        boost::system::error_code ignored;
        socket_.cancel(ignored);
      } else {
        ReadRequest();
      }
    }
    return;
  }
  writing_ = true;
  auto item = std::make_shared<std::pair<std::string, std::function<void()>>>(std::move(writes_.front()));
  writes_.pop_front();
  auto self = shared_from_this();
  boost::asio::async_write(socket_, boost::asio::buffer(item->first),
                           [self, item](const boost::system::error_code& error, size_t) {
                             if (error) {
                               self->Close();
                               return;
                             }
                             if (item->second) item->second();
                             self->WriteMore();
                           });
}

void Http1Session::WatchForDisconnect() {
  // While a call runs, a read that ends means the client hung up: cancel the backend call.
  // Bytes that arrive (a pipelined request) stay in the buffer for the next parse.
  if (probe_pending_ || closed_) return;
  probe_pending_ = true;
  auto self = shared_from_this();
  auto target = buffer_.prepare(kDisconnectProbeBytes);
  socket_.async_read_some(target, [self](const boost::system::error_code& error, size_t n) {
    self->probe_pending_ = false;
    if (error == boost::asio::error::operation_aborted && self->exchange_done_ && !self->closed_) {
      self->ReadRequest();
      return;
    }
    if (error) {
      if (!self->exchange_done_) {
        self->CancelUpstream();
        self->exchange_done_ = true;
      }
      self->Close();
      return;
    }
    // A pipelined request: kept for the next parse; probing stops so the buffer stays bounded.
    self->buffer_.commit(n);
    if (self->exchange_done_ && !self->writing_) self->ReadRequest();
  });
}

void Http1Session::Close() {
  if (closed_) return;
  closed_ = true;
  idle_timer_.cancel();
  // Bytes queued for a client that is gone still go back to the backend's window.
  auto unwritten = std::move(writes_);
  for (auto& [bytes, on_written] : unwritten) {
    if (on_written) on_written();
  }
  CancelUpstream();
  boost::system::error_code ignored;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace switchboard::gateway
