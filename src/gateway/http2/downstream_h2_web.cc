// gRPC-Web and REST/JSON on a client's HTTP/2 connection: the same translations as on
// HTTP/1.1 (grpcweb::GrpcWebStream, rest::RestResponse, rest::RequestStream), one per stream, so
// that an HTTP/2 client (curl --http2-prior-knowledge, a TLS-terminating proxy in front
// speaking h2c) reaches every route the HTTP/1.1 side serves.
#include <spdlog/spdlog.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/access_log.h"
#include "common/duration.h"
#include "gateway/proxy/backend_call.h"
#include "gateway/proxy/local_answer.h"
#include "gateway/http2/downstream_h2.h"
#include "gateway/gateway_metrics.h"
#include "gateway/grpcweb/content_type.h"
#include "gateway/proxy/h2_settings.h"
#include "gateway/http2/h2_web_call.h"
#include "gateway/rest/errors.h"
#include "gateway/static_files/codec_glue.h"
#include "gateway/proxy/router.h"
#include "gateway/upstream/upstream_h2.h"

namespace switchboard::gateway {
namespace {

// The request's headers as the translations take them: the pseudo-headers first. Taken
// (moved out of the stream) where nothing reads them again.
enum class HeaderUse { kCopy, kTake };
Headers WithPseudoHeaders(ProxyStream& stream, HeaderUse use) {
  Headers headers;
  headers.reserve(stream.request_headers.size() + 3);
  headers.emplace_back(":method", stream.method);
  headers.emplace_back(":path", stream.path);
  if (!stream.authority.empty()) headers.emplace_back(":authority", stream.authority);
  if (use == HeaderUse::kCopy) {
    headers.insert(headers.end(), stream.request_headers.begin(), stream.request_headers.end());
    return headers;
  }
  for (auto& header : stream.request_headers) headers.push_back(std::move(header));
  stream.request_headers.clear();
  return headers;
}

// REST metadata for the backend, with the client's grpc-timeout (if any) for StartCall to
// settle the deadline from.
Headers RestMetadata(const Headers& request_headers) {
  Headers metadata = rest::RestRequestMetadata(request_headers);
  if (const std::string* timeout = FindHeader(request_headers, "grpc-timeout")) {
    metadata.emplace_back("grpc-timeout", *timeout);
  }
  return metadata;
}

}  // namespace

H2WebCall* DownstreamH2::WebCallOf(int32_t id) {
  if (web_calls_.empty()) return nullptr;
  auto it = web_calls_.find(id);
  return it == web_calls_.end() ? nullptr : it->second.get();
}

void DownstreamH2::DispatchWeb(const std::shared_ptr<ProxyStream>& stream) {
  const WebRoutes& web = *context_.web;
  const int32_t id = stream->down_id;
  std::optional<LocalAnswer> local;
  if (stream->method == "OPTIONS") {
    local = AnswerPreflight(web, WithPseudoHeaders(*stream, HeaderUse::kCopy));
  }
  if (!local) local = AnswerOwnPage(context_, stream->method, stream->path);
  if (local) {
    RespondPlain(id, local->status, local->body, local->content_type.c_str(),
                 std::move(local->headers));
    return;
  }
  auto owned = std::make_unique<H2WebCall>();
  H2WebCall& call = *owned;
  web_calls_[id] = std::move(owned);
  call.head_only = stream->method == "HEAD";  // its errors too go without a body
  stream->counted = true;
  context_.metrics->CallStarted();
  const Limits& limits = context_.config->limits;
  if (!grpcweb::IsGrpcWebContentType(stream->content_type)) {
    if (const std::string* origin = FindHeader(stream->request_headers, "origin")) {
      call.origin = *origin;
    }
    DispatchRest(stream, call);
    return;
  }
  call.kind = H2WebCall::Kind::kGrpcWeb;
  grpcweb::StreamOptions options;
  options.max_message_bytes = static_cast<size_t>(limits.max_message_bytes);
  options.max_header_bytes = static_cast<size_t>(limits.max_header_bytes);
  options.cors = web.cors;
  call.grpc_web.emplace(options);
  grpcweb::UpstreamRequest upstream;
  const absl::Status status =
      call.grpc_web->OnRequestHeaders(WithPseudoHeaders(*stream, HeaderUse::kTake), &upstream);
  if (!status.ok()) {
    // The method label only for a path that is a route: a client's paths must not grow the
    // metrics without bound.
    const bool routed = !upstream.path.empty() && context_.router->Resolve(upstream.path).ok();
    stream->path = routed ? upstream.path : std::string("-");
    RejectWeb(*stream, call, status);
    return;
  }
  stream->path = std::move(upstream.path);
  StartTranslatedCall(stream, call, upstream.headers, /*body_follows=*/false);
}

void DownstreamH2::DispatchRest(const std::shared_ptr<ProxyStream>& stream, H2WebCall& call) {
  const WebRoutes& web = *context_.web;
  const Limits& limits = context_.config->limits;
  const std::string target = std::move(stream->path);
  auto [path, query] = rest::SplitRequestTarget(target);
  stream->path = "-";
  auto matched = rest::MatchRestRoute(*web.routes, stream->method, path);
  if (auto* rejection = std::get_if<rest::RestRejection>(&matched)) {
    // What no route claims may be a file of the `static:` root (the browser app).
    if (auto file =
            static_files::AnswerUnclaimed(context_.static_files.get(), rejection->status,
                                          stream->method, target, stream->request_headers)) {
      static_files::SubmitH2(session(), *stream, std::move(*file), &call.file);
      ScheduleFlush();
      return;
    }
    if (rejection->route != nullptr) stream->path = rejection->route->grpc_path;
    RejectWeb(*stream, call, rejection->status, rejection->http_status, rejection->extra);
    return;
  }
  auto& match = std::get<rest::RouteMatch>(matched);
  call.route = match.route;
  call.bindings = std::move(match.bindings);
  call.query = std::string(query);
  stream->path = call.route->grpc_path;
  call.rest.emplace(*web.transcoder, *call.route, rest::WantsServerSentEvents(stream->request_headers),
                    static_cast<size_t>(limits.max_message_bytes));
  const std::string* content_type =
      stream->content_type.empty() ? nullptr : &stream->content_type;
  auto kind = rest::StreamedBodyKindOf(*call.route, stream->method, content_type);
  if (!kind) {
    if (stream->request_ended) {
      StartBufferedRest(stream, call);
    } else {
      AwaitBufferedBody(stream);  // the body comes in DATA frames, buffered until its end
    }
    return;
  }
  // A client-streaming method with an NDJSON or raw body: each message goes to the backend
  // as it is complete, never the whole body at once.
  auto created = rest::RequestStream::Create(*web.transcoder, *call.route, call.bindings,
                                             call.query, *kind,
                                             static_cast<size_t>(limits.max_message_bytes));
  if (!created.ok()) {
    RejectWeb(*stream, call, created.status());
    return;
  }
  call.request_stream = std::move(*created);
  const std::string* length = FindHeader(stream->request_headers, "content-length");
  uint64_t declared = 0;
  if (limits.max_body_bytes > 0 && length != nullptr && absl::SimpleAtoi(*length, &declared) &&
      declared > static_cast<uint64_t>(limits.max_body_bytes)) {
    RejectWeb(*stream, call,
              absl::ResourceExhaustedError(absl::StrCat(
                  "request body of ", declared, " bytes is larger than limits.max_body_bytes (",
                  limits.max_body_bytes, ")")),
              413);
    return;
  }
  StartTranslatedCall(stream, call, RestMetadata(stream->request_headers), /*body_follows=*/true);
}

void DownstreamH2::StartTranslatedCall(const std::shared_ptr<ProxyStream>& stream,
                                       H2WebCall& call, const Headers& metadata,
                                       bool body_follows) {
  // The request's end reaches the backend only after the translation's last frames: a body
  // that ended with the headers is finished through the translation too.
  const bool ended = stream->request_ended;
  stream->request_ended = false;
  call.call_started = true;
  StartCall(stream, metadata, body_follows, nullptr);
  if (ended) OnWebRequestData(stream, call, {}, true);
}

void DownstreamH2::AwaitBufferedBody(const std::shared_ptr<ProxyStream>& stream) {
  // A body that never ends would hold its buffer and stream for good: it has
  // limits.slow_client_timeout to arrive whole (StartCall's deadline timer replaces this one).
  const auto timeout = context_.config->limits.slow_client_timeout;
  if (timeout.count() <= 0) return;
  stream->timer = std::make_unique<boost::asio::steady_timer>(*context_.io, timeout);
  std::weak_ptr<ProxyStream> weak = stream;
  auto self = shared_from_this();
  stream->timer->async_wait([self, weak, timeout](const boost::system::error_code& error) {
    auto s = weak.lock();
    if (error || !s || s->down_closed) return;
    H2WebCall* call = self->WebCallOf(s->down_id);
    if (call == nullptr || call->call_started) return;
    self->context_.metrics->SlowClient("rest", "request");
    self->RejectWeb(*s, *call,
                    absl::DeadlineExceededError(absl::StrCat(
                        "request body not complete within limits.slow_client_timeout (",
                        common::FormatDuration(timeout), ")")),
                    408);
  });
}

void DownstreamH2::ReleaseBufferedBody(H2WebCall& call) {
  buffered_body_bytes_ -= call.request_body.size();
  std::string().swap(call.request_body);
}

size_t DownstreamH2::BufferedBodyBudget() const {
  return static_cast<size_t>(context_.config->limits.connection_window_bytes);
}

void DownstreamH2::StartBufferedRest(const std::shared_ptr<ProxyStream>& stream,
                                     H2WebCall& call) {
  auto message = context_.web->transcoder->TranscodeRequest(*call.route, call.bindings, call.query,
                                                            call.request_body);
  ReleaseBufferedBody(call);
  if (!message.ok()) {
    RejectWeb(*stream, call, message.status());
    return;
  }
  std::string frame;
  AppendFrame(0, *message, &frame);
  stream->request_body.Append(frame.data(), frame.size());
  stream->request_ended = true;
  call.call_started = true;
  StartCall(stream, RestMetadata(stream->request_headers), /*body_follows=*/false, nullptr);
}

void DownstreamH2::OnWebRequestData(const std::shared_ptr<ProxyStream>& stream, H2WebCall& call,
                                    std::string_view data, bool end) {
  const int32_t id = stream->down_id;
  if (end) stream->request_ended = true;
  if (stream->finished || call.out_ended) {
    nghttp2_session_consume(session(), id, data.size());
    return;
  }
  const Limits& limits = context_.config->limits;
  if (!call.call_started) {
    // A unary REST body, buffered whole (limits.max_message_bytes), its window given back at
    // once. The bodies one connection buffers at a time are bounded too: holding bytes back
    // instead would take the window every other stream of the connection shares.
    nghttp2_session_consume(session(), id, data.size());
    ScheduleFlush();
    if (call.request_body.size() + data.size() > static_cast<size_t>(limits.max_message_bytes)) {
      RejectWeb(*stream, call,
                absl::ResourceExhaustedError("request body is larger than limits.max_message_bytes"),
                413);
      return;
    }
    if (buffered_body_bytes_ + data.size() > BufferedBodyBudget()) {
      RejectWeb(*stream, call,
                absl::ResourceExhaustedError(absl::StrCat(
                    "request bodies being received on this connection exceed "
                    "limits.connection_window_bytes (",
                    BufferedBodyBudget(), " bytes): send fewer large bodies at once")));
      return;
    }
    call.request_body.append(data);
    buffered_body_bytes_ += data.size();
    if (end) StartBufferedRest(stream, call);
    return;
  }
  std::string frames;
  absl::Status status;
  if (call.grpc_web) {
    status = call.grpc_web->OnRequestData(data, end, &frames);
  } else {
    call.request_body_bytes += data.size();
    if (limits.max_body_bytes > 0 &&
        call.request_body_bytes > static_cast<uint64_t>(limits.max_body_bytes)) {
      status = rest::WithHttpStatus(
          absl::ResourceExhaustedError(absl::StrCat(
              "request body is larger than limits.max_body_bytes (", limits.max_body_bytes, ")")),
          413);
    } else {
      status = call.request_stream->Feed(data, &frames);
      if (status.ok() && end) status = call.request_stream->Finish(&frames);
    }
  }
  if (!status.ok()) {
    nghttp2_session_consume(session(), id, data.size());
    if (call.grpc_web || call.rest->head_sent()) {
      Fail(*stream, static_cast<int>(status.code()), std::string(status.message()));
    } else {
      RejectWeb(*stream, call, status);
    }
    return;
  }
  stream->request_body.Append(frames.data(), frames.size());
  if (end) stream->request_ended = true;
  // The client's window opens as the backend takes the messages: while it is behind, the
  // client's bytes stay unacknowledged and the client slows down (see Consumed).
  call.unconsumed_request_bytes += data.size();
  if (stream->request_body.size() < kMaxPendingRequestBytes) {
    nghttp2_session_consume(session(), id, call.unconsumed_request_bytes);
    call.unconsumed_request_bytes = 0;
    ScheduleFlush();
  }
  if (auto up = stream->up.lock()) up->ResumeRequest(*stream);
}

void DownstreamH2::RejectWeb(ProxyStream& stream, H2WebCall& call, const absl::Status& status,
                             int http_status, const Headers& extra) {
  if (call.out_ended) return;
  if (!call.request_body.empty()) ReleaseBufferedBody(call);
  if (auto up = stream.up.lock(); up && !stream.up_closed) {
    if (!stream.response_ended) up->Cancel(stream);
    up->Release(stream);
  }
  stream.gateway_status = static_cast<int>(status.code());
  if (call.grpc_web) {
    SendWebOutput(stream, call, call.grpc_web->Fail(status), 0);
    return;
  }
  SendWebOutput(stream, call, rest::RestErrorOutput(status, http_status, extra), 0);
}

void DownstreamH2::StartWebResponse(ProxyStream& stream, H2WebCall& call, bool end_stream) {
  if (call.grpc_web) {
    ResponseHead head = ResponseHeadOf(stream.response_headers);
    if (end_stream && stream.trace) SetDeadlineTrace(stream.budget_on_entry, head.headers);
    SendWebOutput(stream, call, call.grpc_web->OnResponseHeaders(head, end_stream), 0);
    return;
  }
  if (end_stream) {
    // Trailers-only: the status is in these headers.
    auto [code, message] = rest::GrpcStatusOf(stream.response_headers);
    FinishRest(stream, call, code, message);
    return;
  }
  SendWebOutput(stream, call, call.rest->OnResponseHeaders(stream.response_headers), 0);
}

void DownstreamH2::PumpWebResponse(ProxyStream& stream, H2WebCall& call) {
  if (call.out_ended) return;
  std::string bytes(stream.response_body.size(), '\0');
  const size_t n =
      stream.response_body.Take(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  const std::string_view taken(bytes.data(), n);
  const bool ended = stream.response_ended && stream.response_body.empty();
  if (call.grpc_web) {
    if (n > 0 || (ended && stream.trailers.empty())) {
      SendWebOutput(stream, call,
                    call.grpc_web->OnResponseData(taken, ended && stream.trailers.empty()), n);
    }
    if (ended && !stream.trailers.empty() && !call.out_ended) {
      Headers trailers = stream.trailers;
      if (stream.trace) SetDeadlineTrace(stream.budget_on_entry, trailers);
      SendWebOutput(stream, call, call.grpc_web->OnResponseTrailers(trailers), 0);
    }
    return;
  }
  auto output = call.rest->OnResponseData(taken);
  if (!output.ok()) {
    if (auto up = stream.up.lock()) up->Consumed(stream, n);
    Fail(stream, kGrpcInternal, std::string(output.status().message()));
    return;
  }
  SendWebOutput(stream, call, std::move(*output), n);
  if (ended) {
    auto [code, message] = rest::GrpcStatusOf(stream.trailers);
    FinishRest(stream, call, code, message);
  }
}

void DownstreamH2::FailWeb(ProxyStream& stream, H2WebCall& call, int grpc_code,
                           const std::string& message) {
  if (call.out_ended) return;
  if (auto up = stream.up.lock(); up && !stream.up_closed) {
    if (!stream.response_ended) up->Cancel(stream);
    up->Release(stream);
  }
  stream.gateway_status = grpc_code;
  if (call.grpc_web) {
    SendWebOutput(stream, call,
                  call.grpc_web->Fail(absl::Status(static_cast<absl::StatusCode>(grpc_code),
                                                   message)),
                  0);
    return;
  }
  if (!call.rest) {
    SendWebOutput(stream, call,
                  rest::RestErrorOutput(absl::Status(static_cast<absl::StatusCode>(grpc_code), message)),
                  0);
    return;
  }
  FinishRest(stream, call, grpc_code, message);
}

void DownstreamH2::FinishRest(ProxyStream& stream, H2WebCall& call, int grpc_code,
                              const std::string& message) {
  std::optional<std::string> trace;
  if (stream.trace) {
    trace = DeadlineTraceValue(stream.budget_on_entry,
                               stream.trailers.empty() ? stream.response_headers : stream.trailers);
  }
  DownstreamOutput output = call.rest->Finish(grpc_code, message, stream.response_headers,
                                              stream.trailers, trace ? &*trace : nullptr);
  // WWW-Authenticate on a 401, Retry-After on a 429 (auth/access_control.h).
  if (output.head) {
    output.head->headers.insert(output.head->headers.end(), stream.error_headers.begin(),
                                stream.error_headers.end());
  }
  SendWebOutput(stream, call, std::move(output), 0);
}

void DownstreamH2::SendWebOutput(ProxyStream& stream, H2WebCall& call, DownstreamOutput output,
                                 size_t consumed) {
  auto give_back = [&stream](size_t n) {
    if (n == 0) return;
    if (auto up = stream.up.lock()) up->Consumed(stream, n);
  };
  if (call.out_ended || stream.down_closed || closed()) {
    give_back(consumed);
    return;
  }
  const int32_t id = stream.down_id;
  if (output.head && !call.head_submitted) {
    Headers headers;
    headers.reserve(output.head->headers.size() + 4);
    headers.emplace_back(":status", std::to_string(output.head->status));
    for (auto& header : output.head->headers) {
      // Malformed in an HTTP/2 response: a 426's Upgrade, for one, is left out.
      if (!IsConnectionSpecificHeader(header.first)) headers.push_back(std::move(header));
    }
    if (!call.grpc_web && !call.origin.empty() &&
        FindHeader(headers, "access-control-allow-origin") == nullptr) {
      context_.web->cors->AddResponseHeaders(call.origin, &headers);
    }
    call.head_submitted = true;
    stream.response_started = true;
    if (call.head_only) {
      // HEAD: the GET answer's head, its length included, and no body.
      headers.emplace_back("content-length", std::to_string(output.body.size()));
      output.body.clear();
      output.end_stream = true;
    }
    const auto nv = ToNv(headers);
    if (output.end_stream && output.body.empty()) {
      nghttp2_submit_response(session(), id, nv.data(), nv.size(), nullptr);
      call.out_ended = true;
      stream.finished = true;
      if (stream.timer) stream.timer->cancel();
      give_back(consumed);
      ScheduleFlush();
      return;
    }
    nghttp2_data_provider provider{};
    provider.source.ptr = &stream;
    provider.read_callback = ReadWebBody;
    nghttp2_submit_response(session(), id, nv.data(), nv.size(), &provider);
  }
  if (!call.head_submitted) {  // nothing for the client yet (a partial message)
    give_back(consumed);
    return;
  }
  call.out.Append(output.body.data(), output.body.size());
  if (output.end_stream) {
    call.out_ended = true;
    stream.finished = true;
    if (stream.timer) stream.timer->cancel();
  }
  // The backend's bytes go back to its window once the client has taken what they became: a
  // slow reader holds at most a window of its own stream.
  if (call.out.empty()) {
    give_back(consumed);
  } else {
    call.held_response_bytes += consumed;
    if (waiting_since_.emplace(id, std::chrono::steady_clock::now()).second) ArmStallTimer();
  }
  nghttp2_session_resume_data(session(), id);
  ScheduleFlush();
}

ssize_t DownstreamH2::ReadWebBody(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                                  uint32_t* data_flags, nghttp2_data_source* source,
                                  void* user_data) {
  auto* stream = static_cast<ProxyStream*>(source->ptr);
  auto* self = static_cast<DownstreamH2*>(user_data);
  H2WebCall* call = self->WebCallOf(id);
  if (call == nullptr) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
  }
  const size_t n = call->out.Take(buf, length);
  if (!call->out.empty()) {
    if (n > 0) self->waiting_since_[id] = std::chrono::steady_clock::now();
    return static_cast<ssize_t>(n);
  }
  self->waiting_since_.erase(id);
  if (call->held_response_bytes > 0) {
    if (auto up = stream->up.lock()) up->Consumed(*stream, call->held_response_bytes);
    call->held_response_bytes = 0;
  }
  if (call->out_ended) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  } else if (n == 0) {
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

void DownstreamH2::ReleaseWebCall(int32_t id, ProxyStream& stream) {
  auto it = web_calls_.find(id);
  if (it == web_calls_.end()) return;
  std::unique_ptr<H2WebCall> call = std::move(it->second);
  web_calls_.erase(it);
  // Bytes held for a client that is gone still count against the backend connection's window.
  if (call->held_response_bytes > 0) {
    if (auto up = stream.up.lock()) up->Consumed(stream, call->held_response_bytes);
  }
  if (!call->request_body.empty()) ReleaseBufferedBody(*call);
}

}  // namespace switchboard::gateway
