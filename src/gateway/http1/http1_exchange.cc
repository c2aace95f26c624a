// One HTTP/1.1 request as a call: dispatched by content type to REST or gRPC-Web (or the
// gateway's own pages, a CORS preflight, a WebSocket upgrade), proxied to its backend, and the
// backend's answer translated back.
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
#include "gateway/auth/authenticator.h"
#include "gateway/codec/grpc_timeout.h"
#include "gateway/codec/headers.h"
#include "gateway/gateway_metrics.h"
#include "gateway/grpcweb/content_type.h"
#include "gateway/http1/http1_session.h"
#include "gateway/http1/http1_session_parts.h"
#include "gateway/proxy/backend_call.h"
#include "gateway/proxy/local_answer.h"
#include "gateway/proxy/router.h"
#include "gateway/rest/errors.h"
#include "gateway/rest/rest_call.h"
#include "gateway/static_files/codec_glue.h"
#include "gateway/upstream/call_start.h"
#include "gateway/upstream/upstream_h2.h"
#include "gateway/websocket/websocket_bridge.h"

namespace switchboard::gateway {
namespace {

constexpr int kHttpVersionNotSupported = 505;

}  // namespace

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

void Http1Session::FailExchange(const absl::Status& status) {
  if (exchange_done_) return;
  CancelUpstream();
  if (stream_) {
    stream_->gateway_status = static_cast<int>(status.code());
    SendOutput(translation_->Fail(status, {}), 0);
    return;
  }
  SendSimple(rest::HttpStatusFromStatus(status), "application/json", rest::JsonErrorBody(status));
}

const char* Http1Session::ProtocolName() const {
  return translation_ ? translation_->protocol() : "rest";
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
  RecordRejected(ProtocolName(), "-", static_cast<int>(status.code()));
  SendSimple(http_status != 0 ? http_status : rest::HttpStatusFromStatus(status),
             "application/json", rest::JsonErrorBody(status), extra);
}

void Http1Session::Handle(Request request) {
  ResetExchange(request);
  if (request.method == "OPTIONS") {
    if (auto preflight =
            AnswerPreflight(*context_.proxy.web, WithPseudoHeaders(request, HeaderUse::kCopy))) {
      SendSimple(preflight->status, preflight->content_type, preflight->body, preflight->headers);
      return;
    }
  }
  if (protocol_->pass_through) {
    // gRPC's own framing needs HTTP/2 (trailers, streams); on HTTP/1.1 the path would only be
    // looked up as a REST route and answered 404.
    RejectRest(absl::UnimplementedError(
                   "native gRPC (content-type application/grpc) needs HTTP/2: send it to this "
                   "port over h2c (prior knowledge), or use gRPC-Web or REST over HTTP/1.1"),
               kHttpVersionNotSupported);
    return;
  }
  // A WebSocket upgrade and the gateway's own pages are plain HTTP: a request another
  // protocol claims by its content type (gRPC-Web) goes to its translation whatever its path.
  if (protocol_->plain_http && boost::beast::websocket::is_upgrade(request.raw)) {
    auto [path, query] = rest::SplitRequestTarget(request.target);
    auto match = rest::MatchWebSocketRoute(*context_.proxy.web->routes, path);
    if (!match.ok()) {
      keep_alive_ = false;
      RejectRest(match.status());
      return;
    }
    if (!auth::OnlyTokenParameters(context_.proxy.config->auth, query)) {
      // Each frame is a whole message (with the path's fields): a query would be dropped
      // silently, so it is refused before the upgrade.
      keep_alive_ = false;
      RecordRejected("rest", match->route->grpc_path, kGrpcInvalidArgument);
      SendSimple(400, "application/json",
                 rest::JsonErrorBody(absl::InvalidArgumentError(absl::StrCat(
                     "query \"", std::string(query).substr(0, 100),
                     "\": a WebSocket stream takes its messages from the frames only, no query "
                     "parameters"))));
      return;
    }
    // The connection now belongs to the bridge.
    closed_ = true;
    exchange_done_ = true;
    auto bridge = WebSocketBridge::Start(context_.proxy, std::move(transport_), std::move(buffer_),
                                         std::move(request.raw), *match);
    if (context_.websockets != nullptr) context_.websockets->Add(std::move(bridge));
    return;
  }
  if (protocol_->plain_http) {
    if (auto page = AnswerOwnPage(context_.proxy, request.method, request.target)) {
      SendSimple(page->status, page->content_type, page->body, page->headers);
      return;
    }
  }
  HandleTranslated(request);
}

void Http1Session::HandleTranslated(const Request& request) {
  std::string body;
  absl::Status status = header_status_;
  if (status.ok()) status = translation_->OnRequestData(request.body, true, &body);
  if (!status.ok()) {
    // What no route claims may be a file of the `static:` root (the browser app).
    if (!header_status_.ok() && protocol_->plain_http) {
      if (auto file =
              static_files::AnswerUnclaimed(context_.proxy.static_files.get(), header_status_,
                                            request.method, request.target, request.headers)) {
        if (!body_complete_) keep_alive_ = false;
        auto self = shared_from_this();
        static_files::SendHttp1(
            std::move(*file), head_only_, keep_alive_,
            [self](std::string bytes, std::function<void()> on_written) {
              if (self->closed_) return false;
              self->Write(std::move(bytes), std::move(on_written));
              return true;
            },
            [self](bool complete) { complete ? self->EndExchange() : self->Close(); });
        return;
      }
    }
    // The method label only for a path that is a route: a client's paths must not grow the
    // metrics without bound.
    const bool routed =
        !upstream_.path.empty() && context_.proxy.router->Resolve(upstream_.path).ok();
    RecordRejected(ProtocolName(), routed ? upstream_.path : std::string("-"),
                   static_cast<int>(status.code()));
    SendOutput(translation_->Fail(status, {}), 0);
    return;
  }
  // The backend request leaves grpc-timeout out of the metadata and sets its own.
  const std::string* timeout = FindHeader(upstream_.headers, "grpc-timeout");
  Proxy(upstream_.path, upstream_.headers, timeout != nullptr ? *timeout : std::string(),
        std::move(body));
}

void Http1Session::StartStreamedCall(const Request& request) {
  const Limits& limits = context_.proxy.config->limits;
  if (!body_complete_) {
    stream_parser_ = std::make_unique<StreamedBodyParser>(std::move(*header_parser_));
    if (limits.max_body_bytes > 0) {
      stream_parser_->body_limit(static_cast<uint64_t>(limits.max_body_bytes));
    } else {
      stream_parser_->body_limit(kNoBodyLimit);
    }
  }
  const std::string* timeout = FindHeader(upstream_.headers, "grpc-timeout");
  if (!Proxy(upstream_.path, upstream_.headers, timeout != nullptr ? *timeout : std::string(), "",
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

bool Http1Session::Proxy(const std::string& grpc_path, const Headers& metadata,
                         const std::string& timeout_header, std::string body, bool body_follows) {
  auto stream = std::make_shared<ProxyStream>();
  stream_ = stream;
  stream->down = std::static_pointer_cast<DownstreamSink>(shared_from_this());
  stream->path = grpc_path;
  stream->counted = true;
  context_.proxy.metrics->CallStarted();
  if (!body_follows && transport_.PeerHungUp()) {
    // The client sent its request and hung up at once, so its end came with the request.
    // Started, the call would reach the backend as HEADERS and DATA with the RST_STREAM a
    // flush behind, and grpc++ answers a unary call reset before it read the message
    // UNIMPLEMENTED (no message to deserialize) instead of CANCELLED. It is never started:
    // counted and logged CANCELLED, as a hang-up during the call is.
    Close();
    return false;
  }
  stream->request_body.Append(body.data(), body.size());
  stream->request_ended = !body_follows;
  std::weak_ptr<Http1Session> weak = shared_from_this();
  std::weak_ptr<ProxyStream> weak_stream = stream;
  // A streamed body lasts as long as the client takes to send it: the route's maximum.
  const CallStart start{&metadata,
                        timeout_header.empty() ? nullptr : &timeout_header,
                        body_follows,
                        nullptr,
                        {},
                        PeerAddressOf(transport_.socket()),
                        &transport_.peer_identity()};
  const absl::Status status = StartBackendCall(context_.proxy, stream, start, [weak, weak_stream] {
    auto self = weak.lock();
    auto s = weak_stream.lock();
    if (self && s && self->stream_ == s) self->OnDeadline();
  });
  if (!status.ok()) {
    Fail(*stream, static_cast<int>(status.code()), std::string(status.message()));
    return false;
  }
  // While a body is read, its reads notice a client that hangs up.
  if (!body_follows) WatchForDisconnect();
  return !exchange_done_;
}

void Http1Session::OnDeadline() {
  if (stream_) Fail(*stream_, kGrpcDeadlineExceeded, "deadline exceeded at the gateway");
}

void Http1Session::StartResponse(ProxyStream& stream, bool end_stream) {
  if (stream_.get() != &stream || exchange_done_) return;
  ResponseHead head = ResponseHeadOf(stream.response_headers);
  if (end_stream && stream.trace) SetDeadlineTrace(stream.budget_on_entry, head.headers);
  SendOutput(translation_->OnResponseHeaders(head, end_stream), 0);
}

void Http1Session::ResumeResponse(ProxyStream& stream) {
  if (stream_.get() != &stream || exchange_done_) return;
  PumpResponse(stream);
}

void Http1Session::PumpResponse(ProxyStream& stream) {
  std::string bytes(stream.response_body.size(), '\0');
  const size_t n =
      stream.response_body.Take(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  const bool ended = stream.response_ended && stream.response_body.empty();
  const bool ended_without_trailers = ended && stream.trailers.empty();
  if (n > 0 || ended_without_trailers) {
    SendOutput(
        translation_->OnResponseData(std::string_view(bytes.data(), n), ended_without_trailers), n);
  }
  if (ended && !stream.trailers.empty() && !exchange_done_) {
    Headers trailers = stream.trailers;
    if (stream.trace) SetDeadlineTrace(stream.budget_on_entry, trailers);
    SendOutput(translation_->OnResponseTrailers(trailers), 0);
  }
}

void Http1Session::SendOutput(const DownstreamOutput& output, size_t consumed) {
  if (output.gateway_status >= 0 && stream_) {
    // The translation failed the call itself (a backend response it cannot translate).
    CancelUpstream();
    stream_->gateway_status = output.gateway_status;
  }
  // CORS headers are the codec's to add only where the translation adds none of its own.
  const bool add_cors = !translation_->adds_cors_headers();
  if (output.head) {
    if (output.end_stream) {
      // The backend bytes this answer came from need no write to carry them.
      GiveBackUnsent(consumed);
      SendSimple(output.head->status, "", output.body, output.head->headers, add_cors);
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
  // WWW-Authenticate on a 401, Retry-After on a 429 (auth/access_control.h), and the deadline
  // trace the client asked for.
  Headers extra = stream.error_headers;
  if (stream.trace) {
    extra.emplace_back(
        "x-deadline-budget",
        DeadlineTraceValue(stream.budget_on_entry,
                           stream.trailers.empty() ? stream.response_headers : stream.trailers));
  }
  SendOutput(
      translation_->Fail(absl::Status(static_cast<absl::StatusCode>(grpc_code), message), extra),
      0);
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

}  // namespace switchboard::gateway
