#include "gateway/http1/http1_session.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cerrno>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/duration.h"
#include "gateway/proxy/backend_call.h"
#include "gateway/gateway_metrics.h"
#include "gateway/codec/grpc_timeout.h"
#include "gateway/grpcweb/content_type.h"
#include "gateway/codec/headers.h"
#include "gateway/rest/errors.h"
#include "gateway/proxy/router.h"
#include "gateway/upstream/upstream_h2.h"
#include "gateway/websocket/websocket_bridge.h"

namespace switchboard::gateway {
namespace {

namespace http = boost::beast::http;

constexpr size_t kDisconnectProbeBytes = 4096;
// Bytes asked of the socket per read while request headers arrive.
constexpr size_t kHeaderReadBytes = 4096;
// One read of a streamed request body, and how much of it may wait for the backend's window
// before the client is no longer read: together the memory a streamed call holds.
constexpr size_t kStreamedReadBytes = 64 * 1024;
constexpr uint64_t kNoBodyLimit = std::numeric_limits<uint64_t>::max();
// Response bytes queued for the client and not yet written past which the bytes of a message
// still arriving are no longer given back to the backend at once (GiveBackUnsent).
constexpr size_t kMaxQueuedResponseBytes = 1 << 20;
// Queued pieces given to one gather write (writev takes up to IOV_MAX = 1024).
constexpr size_t kMaxWriteBatch = 64;
// Queued pieces up to this size are copied into one buffer rather than written side by side.
constexpr size_t kMaxJoinedBytes = 4096;

// True when the client's end of the connection has already arrived (EOF, or a reset): a
// peek, so a pipelined request's bytes stay where they are.
bool ClientHungUp(int fd) {
  char byte = 0;
  ssize_t n = 0;
  do {
    n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

const char* Reason(int status) {
  return http::obsolete_reason(static_cast<http::status>(status)).data();
}

bool IsGetOrHead(const std::string& method) { return method == "GET" || method == "HEAD"; }

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

// `request`'s headers after its :method and :path, as the gRPC-Web and CORS code take them;
// moved out of `request` when it needs them no more.
Headers Http1Session::WithPseudoHeaders(Request& request, HeaderUse use) {
  Headers headers;
  headers.reserve(request.headers.size() + 2);
  headers.emplace_back(":method", request.method);
  headers.emplace_back(":path", request.target);
  if (use == HeaderUse::kTake) {
    for (auto& header : request.headers) headers.push_back(std::move(header));
    request.headers.clear();
  } else {
    headers.insert(headers.end(), request.headers.begin(), request.headers.end());
  }
  return headers;
}

Http1Session::Http1Session(Http1Context context, boost::asio::ip::tcp::socket socket)
    : context_(context),
      socket_(std::move(socket)),
      timer_(*context.proxy.io),
      last_activity_(Clock::now()) {
  boost::system::error_code ignored;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
}

std::weak_ptr<Http1Session> Http1Session::Start(Http1Context context,
                                                boost::asio::ip::tcp::socket socket,
                                                std::string initial) {
  std::shared_ptr<Http1Session> session(new Http1Session(context, std::move(socket)));
  auto prepared = session->buffer_.prepare(initial.size());
  boost::asio::buffer_copy(prepared, boost::asio::buffer(initial));
  session->buffer_.commit(initial.size());
  session->ReadRequest();
  return session;
}

void Http1Session::BeginDrain() {
  if (closed_) return;
  draining_ = true;
  keep_alive_ = false;
  // Waiting for a next request that has not begun: nothing to finish.
  if (exchange_done_ && !writing_ && reading_headers_ && !header_started_) {
    reading_headers_ = false;
    Close();
  }
}

void Http1Session::EndDrain() {
  if (closed_) return;
  keep_alive_ = false;
  if (stream_ && !exchange_done_) {
    Fail(*stream_, kGrpcUnavailable, "the gateway is shutting down");
  } else if (!writing_) {
    Close();
  }
}

void Http1Session::ReadRequest() {
  if (closed_ || reading_headers_) return;
  header_parser_ = std::make_unique<HeaderParser>();
  header_parser_->header_limit(
      static_cast<uint32_t>(context_.proxy.config->limits.max_header_bytes));
  // The body parser that takes over sets the body's limit; the header must not judge its length.
  // (Not boost::none: Boost 1.74 compares a length against an empty limit as exceeding it.)
  header_parser_->body_limit(kNoBodyLimit);
  reading_headers_ = true;
  last_activity_ = Clock::now();
  header_started_.reset();
  if (buffer_.size() > 0) header_started_ = last_activity_;
  ArmTimer();
  ParseHeader();
}

void Http1Session::ParseHeader() {
  while (buffer_.size() > 0) {
    boost::system::error_code error;
    const size_t used = header_parser_->put(buffer_.data(), error);
    buffer_.consume(used);
    if (error == http::error::need_more) break;
    if (error) {
      reading_headers_ = false;
      keep_alive_ = false;
      if (error == http::error::header_limit) {
        RecordRejected("http1", "-", kGrpcResourceExhausted);
        SendSimple(431, "application/json",
                   rest::JsonErrorBody(kGrpcResourceExhausted,
                                       "request headers larger than limits.max_header_bytes"));
      } else {
        RecordRejected("http1", "-", kGrpcInvalidArgument);
        SendSimple(400, "application/json",
                   rest::JsonErrorBody(kGrpcInvalidArgument,
                                       "malformed HTTP request: " + error.message()));
      }
      return;
    }
    if (header_parser_->is_header_done()) {
      reading_headers_ = false;
      OnHeader();
      return;
    }
    if (used == 0) break;
  }
  // The disconnect probe's wait is already the read: it parses when bytes come.
  if (probe_pending_) return;
  auto self = shared_from_this();
  socket_.async_read_some(buffer_.prepare(kHeaderReadBytes),
                          [self](const boost::system::error_code& error, size_t n) {
                            if (self->closed_ || !self->reading_headers_) return;
                            if (error) {
                              // EOF between requests, or a client gone mid-header: nothing to
                              // answer.
                              self->reading_headers_ = false;
                              self->Close();
                              return;
                            }
                            self->buffer_.commit(n);
                            if (!self->header_started_) {
                              self->header_started_ = Clock::now();
                              self->ArmTimer();
                            }
                            self->ParseHeader();
                          });
}

void Http1Session::ResetExchange(const Request& request) {
  ReleaseDeferred();
  keep_alive_ = request.keep_alive && !draining_;
  head_only_ = request.method == "HEAD";
  exchange_done_ = false;
  head_sent_ = false;
  grpc_web_.reset();
  rest_.reset();
  stream_.reset();
  route_ = nullptr;
  request_stream_.reset();
  const std::string* origin = request.Header("origin");
  origin_ = origin != nullptr ? *origin : std::string();
}

void Http1Session::OnHeader() {
  const auto& header = header_parser_->get();
  Request request;
  request.method = std::string(header.method_string());
  request.target = std::string(header.target());
  for (const auto& field : header) {
    const auto name = field.name_string();
    request.headers.emplace_back(ToLower(std::string_view(name.data(), name.size())),
                                 std::string(field.value()));
  }
  request.keep_alive = header.keep_alive();
  body_complete_ = header_parser_->is_done();
  ResetExchange(request);
  const Limits& limits = context_.proxy.config->limits;
  if (header.version() >= 11 && request.Header("host") == nullptr) {
    // RFC 9112 3.2: an HTTP/1.1 request without Host is answered 400. Its body, if any, is
    // not read: the connection closes after the answer.
    keep_alive_ = false;
    RejectRest(absl::InvalidArgumentError("an HTTP/1.1 request needs a Host header"));
    return;
  }

  // A client-streaming method with an NDJSON or raw body: streamed, never buffered whole.
  const std::string* content_type = request.Header("content-type");
  const bool grpc_web = content_type != nullptr && grpcweb::IsGrpcWebContentType(*content_type);
  // (Only a request with a body still to come, a content type or PUT can be one: a GET is
  // not looked up twice.)
  if (!grpc_web && request.Header("upgrade") == nullptr &&
      (!body_complete_ || content_type != nullptr || request.method == "PUT")) {
    auto [path, query] = rest::SplitRequestTarget(request.target);
    auto match = context_.proxy.web->routes->Lookup(request.method, path);
    if (match.ok()) {
      auto kind = rest::StreamedBodyKindOf(*match->route, request.method, content_type);
      if (kind) {
        StartStreamedRest(std::move(request), *match, *kind);
        return;
      }
    }
  }
  if (body_complete_) {
    request.raw = http::request<http::string_body>(std::move(header_parser_->release().base()));
    Handle(std::move(request));
    return;
  }
  const auto length = header_parser_->content_length();
  if (length && *length > static_cast<uint64_t>(limits.max_message_bytes)) {
    keep_alive_ = false;
    RejectRest(absl::ResourceExhaustedError("request body is larger than limits.max_message_bytes"),
               413);
    return;
  }
  if (length && !header_parser_->chunked() && buffer_.size() >= *length) {
    // The whole body came with the header (a small POST): taken from the buffer as it is,
    // with no body parser and no further read.
    const auto bytes = buffer_.data();
    request.body.assign(static_cast<const char*>(bytes.data()), static_cast<size_t>(*length));
    buffer_.consume(static_cast<size_t>(*length));
    body_complete_ = true;
    request.raw = http::request<http::string_body>(std::move(header_parser_->release().base()));
    Handle(std::move(request));
    return;
  }
  body_parser_ = std::make_unique<BufferedBodyParser>(std::move(*header_parser_));
  body_parser_->body_limit(static_cast<uint64_t>(limits.max_message_bytes));
  SendContinueIfExpected(request);
  pending_request_ = std::make_unique<Request>(std::move(request));
  body_progress_ = Clock::now();
  ReadBufferedBody();
}

void Http1Session::SendContinueIfExpected(const Request& request) {
  // curl asks before sending a large body (curl -T); the answer is "go on".
  const std::string* expect = request.Header("expect");
  if (expect != nullptr && absl::EqualsIgnoreCase(*expect, "100-continue")) {
    Write("HTTP/1.1 100 Continue\r\n\r\n");
  }
}

void Http1Session::ReadBufferedBody() {
  body_reading_ = true;
  ArmTimer();
  auto self = shared_from_this();
  http::async_read_some(
      socket_, buffer_, *body_parser_, [self](const boost::system::error_code& error, size_t) {
        if (self->closed_ || !self->body_reading_) return;
        self->body_reading_ = false;
        if (error == http::error::body_limit) {
          self->keep_alive_ = false;
          self->RejectRest(
              absl::ResourceExhaustedError("request body is larger than limits.max_message_bytes"),
              413);
          return;
        }
        if (error) {
          self->keep_alive_ = false;
          if (error == http::error::end_of_stream || error == boost::asio::error::eof ||
              error == http::error::partial_message) {
            self->Close();
          } else {
            self->RecordRejected("http1", "-", kGrpcInvalidArgument);
            self->SendSimple(400, "application/json",
                             rest::JsonErrorBody(kGrpcInvalidArgument,
                                                 "malformed HTTP request: " + error.message()));
          }
          return;
        }
        self->body_progress_ = Clock::now();
        if (!self->body_parser_->is_done()) {
          self->ReadBufferedBody();
          return;
        }
        self->body_complete_ = true;
        Request request = std::move(*self->pending_request_);
        self->pending_request_.reset();
        request.raw = self->body_parser_->release();
        self->body_parser_.reset();
        request.body = request.raw.body();
        self->Handle(std::move(request));
      });
}

void Http1Session::StartStreamedRest(Request request, const rest::RouteMatch& match,
                                     rest::StreamedBodyKind kind) {
  const Limits& limits = context_.proxy.config->limits;
  route_ = match.route;
  auto [path, query] = rest::SplitRequestTarget(request.target);
  auto created = rest::RequestStream::Create(*context_.proxy.web->transcoder, *route_, match.bindings, query,
                                             kind, static_cast<size_t>(limits.max_message_bytes));
  if (!created.ok()) {
    RejectRest(created.status());
    return;
  }
  request_stream_ = std::move(*created);
  const auto length = header_parser_->content_length();
  if (limits.max_body_bytes > 0 && length &&
      *length > static_cast<uint64_t>(limits.max_body_bytes)) {
    RejectRest(absl::ResourceExhaustedError(
                   absl::StrCat("request body of ", *length,
                                " bytes is larger than limits.max_body_bytes (",
                                limits.max_body_bytes, ")")),
               413);
    return;
  }
  if (!body_complete_) {
    stream_parser_ = std::make_unique<StreamedBodyParser>(std::move(*header_parser_));
    if (limits.max_body_bytes > 0) {
      stream_parser_->body_limit(static_cast<uint64_t>(limits.max_body_bytes));
    } else {
      stream_parser_->body_limit(kNoBodyLimit);
    }
  }
  mode_ = route_->server_streaming ? Mode::kRestStream : Mode::kRestUnary;
  rest_.emplace(*context_.proxy.web->transcoder, *route_, rest::WantsServerSentEvents(request.headers),
                static_cast<size_t>(limits.max_message_bytes));
  const std::string* timeout = request.Header("grpc-timeout");
  if (!Proxy(route_->grpc_path, rest::RestRequestMetadata(request.headers),
             timeout != nullptr ? *timeout : std::string(), "",
             /*body_follows=*/true)) {
    return;
  }
  if (body_complete_) {
    OnStreamedBytes({});
    return;
  }
  SendContinueIfExpected(request);
  body_progress_ = Clock::now();
  ReadStreamedBody();
}

void Http1Session::ReadStreamedBody() {
  if (closed_ || exchange_done_ || body_complete_ || body_reading_) return;
  // Back-pressure: the client is read only as fast as the backend takes the messages.
  if (stream_->request_body.size() >= kMaxPendingRequestBytes) {
    body_paused_ = true;
    // No read or write is pending to own the session while it waits: it owns itself until
    // the backend takes bytes (Consumed) or the exchange ends.
    paused_self_ = shared_from_this();
    return;
  }
  body_paused_ = false;
  paused_self_.reset();
  read_chunk_.resize(kStreamedReadBytes);
  auto& body = stream_parser_->get().body();
  body.data = read_chunk_.data();
  body.size = read_chunk_.size();
  body_reading_ = true;
  ArmTimer();
  auto self = shared_from_this();
  http::async_read_some(
      socket_, buffer_, *stream_parser_, [self](boost::system::error_code error, size_t) {
        if (self->closed_ || !self->body_reading_ || self->exchange_done_) return;
        self->body_reading_ = false;
        if (error == http::error::need_buffer) error = {};  // the chunk buffer is full
        if (error == http::error::body_limit) {
          self->FailExchange(413, rest::WithHttpStatus(
                                      absl::ResourceExhaustedError(absl::StrCat(
                                          "request body is larger than limits.max_body_bytes (",
                                          self->context_.proxy.config->limits.max_body_bytes, ")")),
                                      413));
          return;
        }
        if (error) {
          if (error == http::error::end_of_stream || error == boost::asio::error::eof ||
              error == http::error::partial_message ||
              error == boost::asio::error::connection_reset) {
            // The client hung up mid-body: the backend call is cancelled, nothing answered.
            spdlog::debug("http1: client left during the request body of {}: {}",
                          self->stream_->path, error.message());
            if (self->stream_) self->stream_->gateway_status = kGrpcCancelled;
            self->EndExchange();
            self->Close();
            return;
          }
          self->FailExchange(
              400, absl::InvalidArgumentError("malformed HTTP request body: " + error.message()));
          return;
        }
        self->body_progress_ = Clock::now();
        const size_t n = self->read_chunk_.size() - self->stream_parser_->get().body().size;
        self->body_complete_ = self->stream_parser_->is_done();
        self->OnStreamedBytes(std::string_view(self->read_chunk_.data(), n));
      });
}

void Http1Session::OnStreamedBytes(std::string_view data) {
  std::string frames;
  absl::Status status = request_stream_->Feed(data, &frames);
  if (status.ok() && body_complete_) status = request_stream_->Finish(&frames);
  if (!status.ok()) {
    FailExchange(rest::HttpStatusFromStatus(status), status);
    return;
  }
  stream_->request_body.Append(frames.data(), frames.size());
  if (body_complete_) {
    stream_->request_ended = true;
    stream_parser_.reset();
    WatchForDisconnect();
  }
  if (auto up = stream_->up.lock()) up->ResumeRequest(*stream_);
  ReadStreamedBody();
}

void Http1Session::Consumed(ProxyStream& stream, size_t) {
  if (stream_.get() != &stream || !body_paused_ || exchange_done_) return;
  if (stream.request_body.size() >= kMaxPendingRequestBytes) return;
  body_paused_ = false;
  // Waiting for the backend is not the client's stall.
  body_progress_ = Clock::now();
  auto self = std::move(paused_self_);
  ReadStreamedBody();
}

void Http1Session::FailExchange(int http_status, const absl::Status& status) {
  if (exchange_done_) return;
  const int code = static_cast<int>(status.code());
  CancelUpstream();
  if (stream_) stream_->gateway_status = code;
  if (mode_ == Mode::kRestStream && head_sent_) {
    FinishRest(code, std::string(status.message()));
    return;
  }
  SendSimple(http_status, "application/json", rest::JsonErrorBody(status));
}

void Http1Session::RecordRejected(const char* protocol, const std::string& grpc_path,
                                  int grpc_code) {
  ProxyStream rejected;
  rejected.path = grpc_path;
  rejected.gateway_status = grpc_code;
  if (header_started_) rejected.start = *header_started_;
  RecordCall(*context_.proxy.metrics, protocol, rejected);
}

void Http1Session::RejectRest(const absl::Status& status, int http_status, const Headers& extra) {
  RecordRejected("rest", route_ != nullptr ? route_->grpc_path : std::string("-"),
                 static_cast<int>(status.code()));
  SendSimple(http_status != 0 ? http_status : rest::HttpStatusFromStatus(status),
             "application/json", rest::JsonErrorBody(status), extra);
}

void Http1Session::Handle(Request request) {
  ResetExchange(request);
  if (request.method == "OPTIONS") {
    const Headers with_pseudo = WithPseudoHeaders(request, HeaderUse::kCopy);
    if (grpcweb::CorsPolicy::IsPreflight(with_pseudo)) {
      auto preflight = context_.proxy.web->cors->Preflight(with_pseudo);
      SendSimple(preflight.head.status, "text/plain", preflight.body, preflight.head.headers);
      return;
    }
  }
  const std::string* content_type = request.Header("content-type");
  if (content_type != nullptr && grpcweb::IsGrpcWebContentType(*content_type)) {
    HandleGrpcWeb(request);
    return;
  }
  if (boost::beast::websocket::is_upgrade(request.raw)) {
    auto [path, query] = rest::SplitRequestTarget(request.target);
    auto match = rest::MatchWebSocketRoute(*context_.proxy.web->routes, path);
    if (!match.ok()) {
      keep_alive_ = false;
      RejectRest(match.status());
      return;
    }
    if (!query.empty()) {
      // Each frame is a whole message (with the path's fields): a query would be dropped
      // silently, so it is refused before the upgrade.
      keep_alive_ = false;
      route_ = match->route;
      RejectRest(absl::InvalidArgumentError(absl::StrCat(
          "query \"", std::string(query).substr(0, 100),
          "\": a WebSocket stream takes its messages from the frames only, no query parameters")));
      return;
    }
    // The connection now belongs to the bridge.
    closed_ = true;
    exchange_done_ = true;
    auto bridge = WebSocketBridge::Start(context_.proxy, std::move(socket_), std::move(buffer_),
                                         std::move(request.raw), *match);
    if (context_.websockets != nullptr) context_.websockets->Add(std::move(bridge));
    return;
  }
  if (IsGetOrHead(request.method) && request.target == "/healthz") {
    SendSimple(200, "text/plain", "ok\n");
    return;
  }
  if (IsGetOrHead(request.method) && request.target == "/metrics") {
    SendSimple(200, "text/plain; version=0.0.4", context_.proxy.metrics->Render());
    return;
  }
  if (IsGetOrHead(request.method) && request.target == "/openapi.json") {
    SendSimple(200, "application/json", *context_.proxy.web->openapi_json);
    return;
  }
  HandleRest(request);
}

void Http1Session::HandleRest(const Request& request) {
  auto [path, query] = rest::SplitRequestTarget(request.target);
  auto matched = rest::MatchRestRoute(*context_.proxy.web->routes, request.method, path);
  if (auto* rejection = std::get_if<rest::RestRejection>(&matched)) {
    route_ = rejection->route;
    RejectRest(rejection->status, rejection->http_status, rejection->extra);
    return;
  }
  const auto& match = std::get<rest::RouteMatch>(matched);
  route_ = match.route;
  auto message =
      context_.proxy.web->transcoder->TranscodeRequest(*route_, match.bindings, query, request.body);
  if (!message.ok()) {
    RejectRest(message.status());
    return;
  }
  std::string frame;
  AppendFrame(0, *message, &frame);
  mode_ = route_->server_streaming ? Mode::kRestStream : Mode::kRestUnary;
  rest_.emplace(*context_.proxy.web->transcoder, *route_, rest::WantsServerSentEvents(request.headers),
                static_cast<size_t>(context_.proxy.config->limits.max_message_bytes));
  const std::string* timeout = request.Header("grpc-timeout");
  Proxy(route_->grpc_path, rest::RestRequestMetadata(request.headers),
        timeout != nullptr ? *timeout : std::string(), std::move(frame));
}

void Http1Session::HandleGrpcWeb(Request& request) {
  mode_ = Mode::kGrpcWeb;
  grpcweb::StreamOptions options;
  options.max_message_bytes = static_cast<size_t>(context_.proxy.config->limits.max_message_bytes);
  options.max_header_bytes = static_cast<size_t>(context_.proxy.config->limits.max_header_bytes);
  options.cors = context_.proxy.web->cors;
  grpc_web_.emplace(options);
  const Headers with_pseudo = WithPseudoHeaders(request, HeaderUse::kTake);
  grpcweb::UpstreamRequest upstream;
  absl::Status status = grpc_web_->OnRequestHeaders(with_pseudo, &upstream);
  std::string body;
  if (status.ok()) status = grpc_web_->OnRequestData(request.body, true, &body);
  if (!status.ok()) {
    // The method label only for a path that is a route: a client's paths must not grow the
    // metrics without bound.
    const bool routed = !upstream.path.empty() && context_.proxy.router->Resolve(upstream.path).ok();
    RecordRejected("grpc-web", routed ? upstream.path : std::string("-"),
                   static_cast<int>(status.code()));
    SendOutput(grpc_web_->Fail(status), 0);
    return;
  }
  // The backend request leaves grpc-timeout out of the metadata and sets its own.
  const std::string* timeout = FindHeader(upstream.headers, "grpc-timeout");
  Proxy(upstream.path, upstream.headers, timeout != nullptr ? *timeout : std::string(),
        std::move(body));
}

bool Http1Session::Proxy(const std::string& grpc_path, const Headers& metadata,
                         const std::string& timeout_header, std::string body, bool body_follows) {
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
  // A streamed body lasts as long as the client takes to send it: the route's maximum.
  auto budget =
      SettleBudget(timeouts, timeout_header.empty() ? nullptr : &timeout_header, body_follows);
  if (!budget.ok()) {
    Fail(*stream, static_cast<int>(budget.status().code()), std::string(budget.status().message()));
    return false;
  }
  if (!body_follows && ClientHungUp(socket_.native_handle())) {
    // The client sent its request and hung up at once, so its end came with the request.
    // Started, the call would reach the backend as HEADERS and DATA with the RST_STREAM a
    // flush behind, and grpc++ answers a unary call reset before it read the message
    // UNIMPLEMENTED (no message to deserialize) instead of CANCELLED. It is never started:
    // counted and logged CANCELLED, as a hang-up during the call is.
    Close();
    return false;
  }
  const std::chrono::microseconds remaining = *budget;
  stream->budget_on_entry = remaining;
  const std::string* trace = FindHeader(metadata, "x-deadline-trace");
  stream->trace = trace != nullptr && *trace == "1";
  const Headers headers = BackendRequestHeaders(grpc_path, "", metadata, remaining);
  stream->request_body.Append(body.data(), body.size());
  stream->request_ended = !body_follows;
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
  // While a body is read, its reads notice a client that hangs up.
  if (!body_follows) WatchForDisconnect();
  return !exchange_done_;
}

void Http1Session::OnDeadline() {
  if (stream_) Fail(*stream_, kGrpcDeadlineExceeded, "deadline exceeded at the gateway");
}

void Http1Session::StartResponse(ProxyStream& stream, bool end_stream) {
  if (stream_.get() != &stream || exchange_done_) return;
  if (mode_ == Mode::kGrpcWeb) {
    ResponseHead head = ResponseHeadOf(stream.response_headers);
    if (end_stream && stream.trace) SetDeadlineTrace(stream.budget_on_entry, head.headers);
    SendOutput(grpc_web_->OnResponseHeaders(head, end_stream), 0);
    return;
  }
  if (end_stream) {
    // Trailers-only: the status is in these headers.
    auto [code, message] = rest::GrpcStatusOf(stream.response_headers);
    FinishRest(code, message);
    return;
  }
  SendOutput(rest_->OnResponseHeaders(stream.response_headers), 0);
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
  const size_t n =
      stream.response_body.Take(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  auto output = rest_->OnResponseData(std::string_view(bytes.data(), n));
  if (!output.ok()) {
    Fail(stream, kGrpcInternal, std::string(output.status().message()));
    return;
  }
  if (!output->body.empty()) {
    SendChunk(output->body, n);
  } else {
    GiveBackUnsent(n);
  }
  if (stream.response_ended && stream.response_body.empty()) {
    auto [code, message] = rest::GrpcStatusOf(stream.trailers);
    FinishRest(code, message);
  }
}

void Http1Session::FinishRest(int grpc_code, const std::string& message) {
  if (exchange_done_) return;
  if (!rest_) {
    SendSimple(rest::HttpStatusFromGrpcCode(grpc_code), "application/json",
               rest::JsonErrorBody(grpc_code, message));
    return;
  }
  static const Headers kNone;
  std::optional<std::string> trace;
  if (stream_ && stream_->trace) {
    trace = DeadlineTraceValue(stream_->budget_on_entry, stream_->trailers.empty()
                                                             ? stream_->response_headers
                                                             : stream_->trailers);
  }
  SendOutput(rest_->Finish(grpc_code, message, stream_ ? stream_->response_headers : kNone,
                           stream_ ? stream_->trailers : kNone, trace ? &*trace : nullptr),
             0);
}

void Http1Session::PumpGrpcWeb(ProxyStream& stream) {
  std::string bytes(stream.response_body.size(), '\0');
  const size_t n =
      stream.response_body.Take(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  const bool ended = stream.response_ended && stream.response_body.empty();
  if (n > 0 || (ended && stream.trailers.empty())) {
    SendOutput(grpc_web_->OnResponseData(std::string_view(bytes.data(), n),
                                                ended && stream.trailers.empty()),
                      n);
  }
  if (ended && !stream.trailers.empty() && !exchange_done_) {
    Headers trailers = stream.trailers;
    if (stream.trace) SetDeadlineTrace(stream.budget_on_entry, trailers);
    SendOutput(grpc_web_->OnResponseTrailers(trailers), 0);
  }
}

void Http1Session::SendOutput(const DownstreamOutput& output, size_t consumed) {
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
    SendOutput(
        grpc_web_->Fail(absl::Status(static_cast<absl::StatusCode>(grpc_code), message)), 0);
    return;
  }
  FinishRest(grpc_code, message);
}

void Http1Session::GiveBackUnsent(size_t n) {
  // The start of a message, held by a decoder rather than by a write: given back at once, so
  // that a message larger than the stream window can arrive. But not while the client is
  // behind, or a reader that stalls would let the backend send without end: then once the
  // write queue drains (WriteBatchFrom).
  if (n == 0 || !stream_) return;
  if (queued_write_bytes_ < kMaxQueuedResponseBytes) {
    if (auto up = stream_->up.lock()) up->Consumed(*stream_, n);
  } else {
    deferred_consumed_ += n;
  }
}

void Http1Session::ReleaseDeferred() {
  const size_t n = deferred_consumed_;
  deferred_consumed_ = 0;
  if (!stream_ || n == 0) return;
  if (auto up = stream_->up.lock()) up->Consumed(*stream_, n);
}

void Http1Session::CancelUpstream() {
  if (!stream_) return;
  // Held back bytes still count against the backend connection's window.
  ReleaseDeferred();
  if (stream_->timer) stream_->timer->cancel();
  if (auto up = stream_->up.lock()) {
    if (!stream_->up_closed && !stream_->response_ended) up->Cancel(*stream_);
    up->Release(*stream_);
  }
}

void Http1Session::SendSimple(int status, const std::string& content_type, const std::string& body,
                              const Headers& extra) {
  // A request body not read to its end leaves the connection unusable for another request.
  if (!body_complete_) keep_alive_ = false;
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ", Reason(status), "\r\n");
  bool has_type = false;
  for (const auto& [name, value] : extra) {
    if (name == "content-length" || name == "transfer-encoding" || name == "connection") continue;
    has_type |= name == "content-type";
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (!has_type && !content_type.empty())
    absl::StrAppend(&out, "content-type: ", content_type, "\r\n");
  // A preflight answer carries its own CORS headers; a second Access-Control-Allow-Origin
  // makes the browser refuse it.
  const bool has_cors = std::any_of(extra.begin(), extra.end(), [](const auto& header) {
    return header.first == "access-control-allow-origin";
  });
  if (context_.proxy.web->cors != nullptr && !origin_.empty() && mode_ != Mode::kGrpcWeb &&
      !has_cors) {
    Headers cors;
    context_.proxy.web->cors->AddResponseHeaders(origin_, &cors);
    for (const auto& [name, value] : cors) absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (status != 204 && status != 304)
    absl::StrAppend(&out, "content-length: ", body.size(), "\r\n");
  if (!keep_alive_) out += "connection: close\r\n";
  out += "\r\n";
  if (!head_only_) out += body;  // HEAD: the GET answer's head, its length included
  Write(std::move(out));
  EndExchange();
}

void Http1Session::SendHead(int status, const Headers& headers) {
  if (head_sent_) return;
  head_sent_ = true;
  if (!body_complete_) keep_alive_ = false;
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
    GiveBackUnsent(consumed);
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
  // A body read still pending belongs to no exchange now; its handler returns.
  body_reading_ = false;
  body_paused_ = false;
  // Released last: the caller's frame may be all that holds the session.
  auto self = std::move(paused_self_);
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
  queued_write_bytes_ += bytes.size();
  // Small pieces join the one queued before them (a gRPC-Web reply's head, message, trailers
  // and end become one buffer), as long as that leaves at most one callback, which then runs
  // once all of the joined bytes are written.
  if (!writes_.empty() && bytes.size() <= kMaxJoinedBytes &&
      writes_.back().bytes.size() <= kMaxJoinedBytes &&
      !(writes_.back().on_written && on_written)) {
    PendingWrite& last = writes_.back();
    last.bytes += bytes;
    if (on_written) last.on_written = std::move(on_written);
  } else {
    writes_.push_back({std::move(bytes), std::move(on_written)});
  }
  if (writing_) return;
  writing_ = true;
  write_progress_ = Clock::now();
  ArmTimer();
  // Posted rather than written now: the rest of this response, queued by the same handler,
  // joins the same write (a gRPC-Web reply is a head, a message, trailers and an end).
  flush_posted_ = true;
  auto self = shared_from_this();
  boost::asio::post(socket_.get_executor(), [self] {
    self->flush_posted_ = false;
    if (!self->closed_) self->WriteMore();
  });
}

void Http1Session::WriteMore() {
  if (writes_.empty()) {
    writing_ = false;
    if (exchange_done_) {
      if (!keep_alive_) {
        Close();
      } else if (!reading_headers_) {
        ReadRequest();
      }
    }
    return;
  }
  auto batch = std::make_shared<WriteBatch>();
  batch->reserve(std::min(writes_.size(), kMaxWriteBatch));
  while (!writes_.empty() && batch->size() < kMaxWriteBatch) {
    batch->push_back(std::move(writes_.front()));
    writes_.pop_front();
  }
  WriteBatchFrom(std::move(batch), 0, 0);
}

void Http1Session::WriteBatchFrom(std::shared_ptr<WriteBatch> batch, size_t index, size_t offset) {
  std::vector<boost::asio::const_buffer> buffers;
  buffers.reserve(batch->size() - index);
  for (size_t i = index; i < batch->size(); ++i) {
    const std::string& bytes = (*batch)[i].bytes;
    const size_t skip = i == index ? offset : 0;
    buffers.emplace_back(bytes.data() + skip, bytes.size() - skip);
  }
  // Piece by piece, so that a client taking the response slowly still counts as progress.
  auto self = shared_from_this();
  socket_.async_write_some(
      buffers, [self, batch, index, offset](const boost::system::error_code& error, size_t n) {
        if (self->closed_ || error) {
          // The bytes still go back to the backend window.
          for (size_t i = index; i < batch->size(); ++i) {
            if ((*batch)[i].on_written) (*batch)[i].on_written();
          }
          if (!self->closed_) self->Close();
          return;
        }
        self->write_progress_ = Clock::now();
        size_t i = index;
        size_t at = offset;
        while (i < batch->size() && n >= (*batch)[i].bytes.size() - at) {
          n -= (*batch)[i].bytes.size() - at;
          if ((*batch)[i].on_written) (*batch)[i].on_written();
          self->queued_write_bytes_ -= (*batch)[i].bytes.size();
          ++i;
          at = 0;
        }
        if (i < batch->size()) {
          self->WriteBatchFrom(batch, i, at + n);
          return;
        }
        if (self->deferred_consumed_ > 0 && self->queued_write_bytes_ < kMaxQueuedResponseBytes) {
          self->ReleaseDeferred();
        }
        self->WriteMore();
      });
}

void Http1Session::WatchForDisconnect() {
  // While a call runs, the socket turning readable means the client hung up (cancel the
  // backend call) or sent its next request. The same wait then serves as the next request's
  // read: waiting rather than reading costs no speculative recv(2) that finds nothing, and
  // nothing has to be cancelled when the response is out.
  if (probe_pending_ || closed_) return;
  probe_pending_ = true;
  auto self = shared_from_this();
  socket_.async_wait(boost::asio::ip::tcp::socket::wait_read,
                     [self](const boost::system::error_code& error) { self->OnReadable(error); });
}

void Http1Session::OnReadable(const boost::system::error_code& wait_error) {
  probe_pending_ = false;
  if (closed_) return;
  ssize_t n = -1;
  if (!wait_error) {
    auto target = buffer_.prepare(kDisconnectProbeBytes);
    do {
      n = ::recv(socket_.native_handle(), target.data(), target.size(), MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      WatchForDisconnect();  // readable, then not: wait again
      return;
    }
  }
  if (n <= 0) {
    // EOF or a socket error: between requests, nothing to answer; during a call, Close
    // cancels it.
    reading_headers_ = false;
    Close();
    return;
  }
  buffer_.commit(static_cast<size_t>(n));
  // Waiting for the next request: parse it. During a call: a pipelined request, kept for the
  // next parse; probing stops so the buffer stays bounded.
  if (reading_headers_) ParseHeader();
}

Http1Session::Clock::time_point Http1Session::NextDeadline() const {
  const Limits& limits = context_.proxy.config->limits;
  const auto slow = limits.slow_client_timeout;
  const bool slow_on = slow.count() > 0;
  Clock::time_point deadline = Clock::time_point::max();
  if (reading_headers_) {
    if (header_started_) {
      if (slow_on) deadline = std::min(deadline, *header_started_ + slow);
    } else if (limits.idle_timeout.count() > 0) {
      deadline = std::min(deadline, last_activity_ + limits.idle_timeout);
    }
  }
  if (body_reading_ && slow_on) deadline = std::min(deadline, body_progress_ + slow);
  if (writing_ && slow_on) deadline = std::min(deadline, write_progress_ + slow);
  return deadline;
}

void Http1Session::ArmTimer() {
  if (closed_) return;
  const Clock::time_point deadline = NextDeadline();
  if (deadline == Clock::time_point::max()) return;  // a pending wait finds nothing and stops
  // A pending wait that fires no later re-checks then; only an earlier deadline re-arms.
  if (timer_armed_ && timer_deadline_ <= deadline) return;
  timer_armed_ = true;
  timer_deadline_ = deadline;
  const uint64_t generation = ++timer_generation_;
  timer_.expires_at(deadline);
  std::weak_ptr<Http1Session> weak = shared_from_this();
  timer_.async_wait([weak, generation](const boost::system::error_code& error) {
    auto self = weak.lock();
    // A cancelled or superseded wait does nothing: its successor is already pending.
    if (!self || generation != self->timer_generation_) return;
    self->timer_armed_ = false;
    if (error || self->closed_) return;
    self->OnTimer();
  });
}

void Http1Session::OnTimer() {
  const Limits& limits = context_.proxy.config->limits;
  const auto now = Clock::now();
  const auto slow = limits.slow_client_timeout;
  const bool slow_on = slow.count() > 0;
  if (reading_headers_) {
    if (header_started_ && slow_on && now >= *header_started_ + slow) {
      OnSlowClient("headers");
      return;
    }
    if (!header_started_ && limits.idle_timeout.count() > 0 &&
        now >= last_activity_ + limits.idle_timeout) {
      Close();
      return;
    }
  }
  if (body_reading_ && slow_on && now >= body_progress_ + slow) {
    OnSlowClient("body");
    return;
  }
  if (writing_ && slow_on && now >= write_progress_ + slow) {
    OnSlowClient("response");
    return;
  }
  // Progress moved every deadline into the future: wait for the earliest.
  ArmTimer();
}

void Http1Session::OnSlowClient(const char* phase) {
  const std::string timeout =
      common::FormatDuration(context_.proxy.config->limits.slow_client_timeout);
  const std::string protocol = mode_ == Mode::kGrpcWeb ? "grpc-web" : "rest";
  const std::string method = stream_ && !exchange_done_ ? stream_->path : std::string("-");
  context_.proxy.metrics->SlowClient(protocol, phase);
  spdlog::warn("access slow_client protocol={} phase={} method={} timeout={}", protocol, phase,
               method, timeout);
  keep_alive_ = false;
  const std::string_view which = phase;
  if (which == "headers") {
    reading_headers_ = false;
    SendSimple(408, "application/json",
               rest::JsonErrorBody(kGrpcDeadlineExceeded,
                                   absl::StrCat("request headers not complete within "
                                                "limits.slow_client_timeout (",
                                                timeout, ")")));
    return;
  }
  if (which == "body") {
    body_reading_ = false;
    FailExchange(
        408, absl::DeadlineExceededError(absl::StrCat(
                 "request body made no progress for limits.slow_client_timeout (", timeout, ")")));
    return;
  }
  // The client does not take the response: cancel the call and reset the connection.
  if (stream_ && !exchange_done_) {
    stream_->gateway_status = kGrpcCancelled;
    EndExchange();
  }
  Close();
}

void Http1Session::Close() {
  if (closed_) return;
  // A call the connection cuts short still gets its access line and leaves the open-call
  // count: CANCELLED unless the backend's status already came.
  if (!exchange_done_ && stream_) {
    stream_->down_closed = true;
    EndExchange();
  }
  closed_ = true;
  auto self = std::move(paused_self_);
  timer_.cancel();
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
