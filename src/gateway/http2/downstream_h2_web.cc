// Translated calls (gRPC-Web, REST/JSON: proxy/protocols.h) on a client's HTTP/2 connection,
// one translation per stream, so that an HTTP/2 client (a browser over TLS, curl
// --http2-prior-knowledge, a TLS-terminating proxy in front speaking h2c) reaches every route
// the HTTP/1.1 side serves. Nothing here names a protocol: the translation does.
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/duration.h"
#include "gateway/gateway_metrics.h"
#include "gateway/grpcweb/cors.h"
#include "gateway/http2/downstream_h2.h"
#include "gateway/http2/h2_web_call.h"
#include "gateway/proxy/backend_call.h"
#include "gateway/proxy/h2_settings.h"
#include "gateway/proxy/local_answer.h"
#include "gateway/proxy/protocols.h"
#include "gateway/proxy/router.h"
#include "gateway/rest/errors.h"
#include "gateway/static_files/codec_glue.h"
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

}  // namespace

H2WebCall* DownstreamH2::WebCallOf(int32_t id) {
  if (web_calls_.empty()) return nullptr;
  auto it = web_calls_.find(id);
  return it == web_calls_.end() ? nullptr : it->second.get();
}

void DownstreamH2::DispatchWeb(const std::shared_ptr<ProxyStream>& stream,
                               const Protocol& protocol) {
  const int32_t id = stream->down_id;
  std::optional<LocalAnswer> local;
  if (stream->method == "OPTIONS") {
    local = AnswerPreflight(*context_.web, WithPseudoHeaders(*stream, HeaderUse::kCopy));
  }
  if (!local) local = AnswerOwnPage(context_, stream->method, stream->path);
  if (local) {
    RespondPlain(id, local->status, local->body, local->content_type.c_str(),
                 std::move(local->headers));
    return;
  }
  auto owned = std::make_unique<H2WebCall>();
  H2WebCall& call = *owned;
  call.translation = protocol.create(context_);
  web_calls_[id] = std::move(owned);
  call.head_only = stream->method == "HEAD";  // its errors too go without a body
  stream->counted = true;
  context_.metrics->CallStarted();
  if (const std::string* origin = FindHeader(stream->request_headers, "origin")) {
    call.origin = *origin;
  }
  // A request no route claims may still be a file: its headers stay for that answer.
  const std::string target = stream->path;
  UpstreamRequest upstream;
  const absl::Status status = call.translation->OnRequestHeaders(
      WithPseudoHeaders(*stream, protocol.plain_http ? HeaderUse::kCopy : HeaderUse::kTake),
      &upstream);
  // Until a route is known the metrics label is "-": a client's paths (a file's URL with any
  // query) must not grow the metrics without bound.
  stream->path = "-";
  if (!status.ok()) {
    if (protocol.plain_http) {
      if (auto file =
              static_files::AnswerUnclaimed(context_.static_files.get(), status, stream->method,
                                            target, stream->request_headers)) {
        static_files::SubmitH2(session(), *stream, std::move(*file), &call.file);
        ScheduleFlush();
        return;
      }
    }
    // The method label only for a path that is a route: a client's paths must not grow the
    // metrics without bound.
    const bool routed = !upstream.path.empty() && context_.router->Resolve(upstream.path).ok();
    stream->path = routed ? upstream.path : std::string("-");
    FailWeb(*stream, call, status);
    return;
  }
  stream->path = std::move(upstream.path);
  if (!upstream.call_needs_whole_body) {
    StartTranslatedCall(stream, call, upstream.headers, upstream.body_is_stream);
    return;
  }
  call.metadata = std::move(upstream.headers);
  if (stream->request_ended) {
    OnWebRequestData(stream, call, {}, true);
  } else {
    AwaitBufferedBody(stream);  // the body comes in DATA frames, held until its end
  }
}

void DownstreamH2::StartTranslatedCall(const std::shared_ptr<ProxyStream>& stream, H2WebCall& call,
                                       const Headers& metadata, bool body_follows) {
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
    self->context_.metrics->SlowClient(call->protocol(), "request");
    self->FailWeb(
        *s, *call,
        rest::WithHttpStatus(absl::DeadlineExceededError(absl::StrCat(
                                 "request body not complete within limits.slow_client_timeout (",
                                 common::FormatDuration(timeout), ")")),
                             408));
  });
}

void DownstreamH2::ReleaseBufferedBody(H2WebCall& call) {
  buffered_body_bytes_ -= call.buffered_body_bytes;
  call.buffered_body_bytes = 0;
}

size_t DownstreamH2::BufferedBodyBudget() const {
  return static_cast<size_t>(context_.config->limits.connection_window_bytes);
}

void DownstreamH2::OnWebRequestData(const std::shared_ptr<ProxyStream>& stream, H2WebCall& call,
                                    std::string_view data, bool end) {
  const int32_t id = stream->down_id;
  if (end) stream->request_ended = true;
  if (stream->finished || call.out_ended) {
    nghttp2_session_consume(session(), id, data.size());
    return;
  }
  std::string frames;
  if (!call.call_started) {
    // A body the call needs whole, held by the translation (within limits.max_message_bytes),
    // its window given back at once. The bodies one connection holds at a time are bounded
    // too, checked before the translation takes the bytes: holding bytes back instead would
    // take the window every other stream of the connection shares.
    nghttp2_session_consume(session(), id, data.size());
    ScheduleFlush();
    if (buffered_body_bytes_ + data.size() > BufferedBodyBudget()) {
      FailWeb(*stream, call,
              absl::ResourceExhaustedError(
                  absl::StrCat("request bodies being received on this connection exceed "
                               "limits.connection_window_bytes (",
                               BufferedBodyBudget(), " bytes): send fewer large bodies at once")));
      return;
    }
    const absl::Status status = call.translation->OnRequestData(data, end, &frames);
    if (!status.ok()) {
      FailWeb(*stream, call, status);
      return;
    }
    buffered_body_bytes_ += data.size();
    call.buffered_body_bytes += data.size();
    if (!end) return;
    ReleaseBufferedBody(call);
    stream->request_body.Append(frames.data(), frames.size());
    stream->request_ended = true;
    call.call_started = true;
    StartCall(stream, call.metadata, /*body_follows=*/false, nullptr);
    Headers().swap(call.metadata);
    return;
  }
  const absl::Status status = call.translation->OnRequestData(data, end, &frames);
  if (!status.ok()) {
    nghttp2_session_consume(session(), id, data.size());
    FailWeb(*stream, call, status);
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

void DownstreamH2::StartWebResponse(ProxyStream& stream, H2WebCall& call, bool end_stream) {
  ResponseHead head = ResponseHeadOf(stream.response_headers);
  if (end_stream) AddTrace(stream, head.headers);
  SendWebOutput(stream, call, call.translation->OnResponseHeaders(head, end_stream), 0);
}

void DownstreamH2::PumpWebResponse(ProxyStream& stream, H2WebCall& call) {
  if (call.out_ended) return;
  std::string bytes(stream.response_body.size(), '\0');
  const size_t n =
      stream.response_body.Take(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  const bool ended = stream.response_ended && stream.response_body.empty();
  const bool ended_without_trailers = ended && stream.trailers.empty();
  if (n > 0 || ended_without_trailers) {
    SendWebOutput(
        stream, call,
        call.translation->OnResponseData(std::string_view(bytes.data(), n), ended_without_trailers),
        n);
  }
  if (ended && !stream.trailers.empty() && !call.out_ended) {
    Headers trailers = stream.trailers;
    AddTrace(stream, trailers);
    SendWebOutput(stream, call, call.translation->OnResponseTrailers(trailers), 0);
  }
}

void DownstreamH2::FailWeb(ProxyStream& stream, H2WebCall& call, const absl::Status& status) {
  if (call.out_ended) return;
  if (call.buffered_body_bytes > 0) ReleaseBufferedBody(call);
  if (auto up = stream.up.lock(); up && !stream.up_closed) {
    if (!stream.response_ended) up->Cancel(stream);
    up->Release(stream);
  }
  stream.gateway_status = static_cast<int>(status.code());
  // WWW-Authenticate on a 401, Retry-After on a 429 (auth/access_control.h), and the deadline
  // trace the client asked for.
  Headers extra = stream.error_headers;
  if (stream.trace) {
    extra.emplace_back(
        "x-deadline-budget",
        DeadlineTraceValue(stream.budget_on_entry,
                           stream.trailers.empty() ? stream.response_headers : stream.trailers));
  }
  SendWebOutput(stream, call, call.translation->Fail(status, extra), 0);
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
  if (output.gateway_status >= 0) {
    // The translation failed the call itself (a backend response it cannot translate).
    stream.gateway_status = output.gateway_status;
    if (auto up = stream.up.lock(); up && !stream.up_closed) {
      if (!stream.response_ended) up->Cancel(stream);
      up->Release(stream);
    }
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
    if (!call.translation->adds_cors_headers() && !call.origin.empty() &&
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
  if (call->buffered_body_bytes > 0) ReleaseBufferedBody(*call);
}

}  // namespace switchboard::gateway
