// The client side of HTTP/2: nghttp2's callbacks, native gRPC passed through, flow control
// and the connection's timers. One file on purpose, above 500 lines: the callbacks share the
// stream map and the window accounting, and split apart they would each need the other's
// invariants restated (translated calls are in downstream_h2_web.cc).
#include "gateway/http2/downstream_h2.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/duration.h"
#include "gateway/proxy/backend_call.h"
#include "gateway/codec/grpc_status.h"
#include "gateway/gateway_metrics.h"
#include "gateway/codec/grpc_timeout.h"
#include "gateway/proxy/h2_settings.h"
#include "gateway/http2/h2_web_call.h"
#include "gateway/proxy/router.h"
#include "gateway/upstream/call_start.h"
#include "gateway/upstream/upstream_h2.h"

namespace switchboard::gateway {
namespace {

// How often, per slow_client_timeout, streams with waiting response bytes are looked at: a
// stalled one is caught within 1 + 1/kStallChecksPerTimeout timeouts.
constexpr int kStallChecksPerTimeout = 4;
constexpr std::chrono::milliseconds kMinStallCheckInterval{50};

// Connection-specific headers never cross a proxy (RFC 9113 8.2.2), and the gateway sets the
// deadline headers itself.
bool IsDroppedRequestHeader(std::string_view name) {
  return IsConnectionSpecificHeader(name) || name == "grpc-timeout" ||
         name == "x-deadline-unix-us" || name == "host";
}

DownstreamH2* Self(void* user_data) { return static_cast<DownstreamH2*>(user_data); }

ProxyStream* StreamOf(nghttp2_session* session, int32_t id) {
  return static_cast<ProxyStream*>(nghttp2_session_get_stream_user_data(session, id));
}

ssize_t ReadPlainBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* data_flags,
                      nghttp2_data_source* source, void*) {
  auto* body = static_cast<std::string*>(source->ptr);
  const size_t n = std::min(length, body->size());
  std::memcpy(buf, body->data(), n);
  body->erase(0, n);
  if (body->empty()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

}  // namespace

DownstreamH2::DownstreamH2(GatewayContext context, transport::ByteStream stream)
    : H2Connection(std::move(stream)),
      context_(context),
      idle_timer_(*context.io),
      last_activity_(std::chrono::steady_clock::now()),
      stall_timer_(*context.io) {}

DownstreamH2::~DownstreamH2() = default;

void DownstreamH2::OnActivity() { last_activity_ = std::chrono::steady_clock::now(); }

void DownstreamH2::OnReceiveFailed(int error) {
  if (const char* label = H2ConnectionErrorLabel(error)) context_.metrics->H2ConnectionError(label);
}

void DownstreamH2::ArmIdleTimer() {
  const auto idle = context_.config->limits.idle_timeout;
  // Never in the past: a connection with quiet streams is checked again a full period later
  // rather than in a loop.
  idle_timer_.expires_at(std::max(last_activity_ + idle,
                                  std::chrono::steady_clock::now() + std::chrono::milliseconds(1)));
  std::weak_ptr<DownstreamH2> weak = shared_from_this();
  idle_timer_.async_wait([weak, idle](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (error || !self || self->closed()) return;
    const auto now = std::chrono::steady_clock::now();
    const auto slow = self->context_.config->limits.slow_client_timeout;
    const bool quiet = now - self->last_activity_ >= idle;
    if (!self->heads_started_.empty() && slow.count() > 0 &&
        now - self->heads_started_.begin()->second >= slow) {
      self->context_.metrics->SlowClient("unknown", "headers");
      nghttp2_session_terminate_session(self->session(), NGHTTP2_NO_ERROR);
      self->Flush();
      return;
    }
    if (quiet && self->streams_.empty()) {
      nghttp2_session_terminate_session(self->session(), NGHTTP2_NO_ERROR);
      self->Flush();
      return;
    }
    // Open streams keep the connection; look again after another full period.
    if (quiet) self->last_activity_ = std::chrono::steady_clock::now();
    self->ArmIdleTimer();
  });
}

void DownstreamH2::ArmStallTimer() {
  const auto timeout = context_.config->limits.slow_client_timeout;
  if (stall_timer_armed_ || timeout.count() <= 0 || closed() || waiting_since_.empty()) return;
  stall_timer_armed_ = true;
  stall_timer_.expires_after(std::max<std::chrono::milliseconds>(timeout / kStallChecksPerTimeout,
                                                                 kMinStallCheckInterval));
  std::weak_ptr<DownstreamH2> weak = shared_from_this();
  stall_timer_.async_wait([weak](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!self) return;
    self->stall_timer_armed_ = false;
    if (error || self->closed()) return;
    self->CheckStalledResponses();
    self->ArmStallTimer();
  });
}

void DownstreamH2::CheckStalledResponses() {
  const auto timeout = context_.config->limits.slow_client_timeout;
  const auto now = std::chrono::steady_clock::now();
  std::vector<int32_t> stalled;
  for (const auto& [id, since] : waiting_since_) {
    if (now - since >= timeout) stalled.push_back(id);
  }
  for (int32_t id : stalled) {
    waiting_since_.erase(id);
    auto it = streams_.find(id);
    if (it == streams_.end()) continue;
    ProxyStream& stream = *it->second;
    const H2WebCall* call = WebCallOf(id);
    const char* protocol = call != nullptr ? call->protocol() : "grpc";
    context_.metrics->SlowClient(protocol, "response");
    spdlog::warn("access slow_client protocol={} phase=response method={} timeout={}", protocol,
                 stream.path, common::FormatDuration(timeout));
    stream.gateway_status = kGrpcCancelled;
    // Finished as far as this side goes: the backend's reset of the cancelled call must not
    // answer the client again.
    stream.finished = true;
    if (auto up = stream.up.lock(); up && !stream.up_closed && !stream.response_ended) {
      up->Cancel(stream);
    }
    // OnStreamClose records the call and gives the held bytes back to the backend's window.
    nghttp2_submit_rst_stream(session(), NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  }
  if (!stalled.empty()) ScheduleFlush();
}

std::weak_ptr<DownstreamH2> DownstreamH2::Start(GatewayContext context,
                                                transport::ByteStream stream, std::string initial) {
  std::shared_ptr<DownstreamH2> connection(new DownstreamH2(context, std::move(stream)));
  connection->self_ = connection;
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnStreamClose);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, OnFrameSend);
  nghttp2_option* option =
      NewProxyOptions(MaxContinuationsFor(context.config->limits.max_header_bytes));
  nghttp2_session* session = nullptr;
  nghttp2_session_server_new2(&session, callbacks, connection.get(), option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  SubmitProxySettings(session,
                      static_cast<uint32_t>(context.config->limits.max_streams_per_connection),
                      static_cast<int32_t>(context.config->limits.connection_window_bytes));
  connection->H2Connection::Start(session, std::move(initial));
  if (!connection->closed()) connection->ArmIdleTimer();
  return connection;
}

void DownstreamH2::ScheduleFlush() {
  if (flush_scheduled_ || closed()) return;
  flush_scheduled_ = true;
  auto self = shared_from_this();
  boost::asio::post(*context_.io, [self] {
    self->flush_scheduled_ = false;
    self->Flush();
  });
}

int DownstreamH2::OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame,
                                 void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  DownstreamH2* self = Self(user_data);
  auto stream = std::make_shared<ProxyStream>();
  stream->down_id = frame->hd.stream_id;
  stream->down = std::static_pointer_cast<DownstreamSink>(self->shared_from_this());
  nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, stream.get());
  self->streams_[frame->hd.stream_id] = std::move(stream);
  self->heads_started_.emplace(frame->hd.stream_id, std::chrono::steady_clock::now());
  return 0;
}

int DownstreamH2::OnHeader(nghttp2_session* session, const nghttp2_frame* frame,
                           const uint8_t* name, size_t name_len, const uint8_t* value,
                           size_t value_len, uint8_t, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  ProxyStream* stream = StreamOf(session, frame->hd.stream_id);
  if (stream == nullptr) return 0;
  stream->request_header_bytes += name_len + value_len;
  if (static_cast<int64_t>(stream->request_header_bytes) >
      Self(user_data)->context_.config->limits.max_header_bytes) {
    // Resets the stream: the headers are larger than limits.max_header_bytes.
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  const std::string_view key(reinterpret_cast<const char*>(name), name_len);
  const std::string_view val(reinterpret_cast<const char*>(value), value_len);
  if (key == ":method") {
    stream->method.assign(val);
  } else if (key == ":path") {
    stream->path.assign(val);
  } else if (key == ":authority") {
    stream->authority.assign(val);
  } else if (key == "content-type") {
    stream->content_type.assign(val);
  }
  if (key.empty() || key[0] != ':') stream->request_headers.emplace_back(key, val);
  return 0;
}

int DownstreamH2::OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame,
                              void* user_data) {
  DownstreamH2* self = Self(user_data);
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    self->heads_started_.erase(frame->hd.stream_id);
    auto it = self->streams_.find(frame->hd.stream_id);
    if (it == self->streams_.end()) return 0;
    if (end_stream) it->second->request_ended = true;
    self->Dispatch(it->second);
    return 0;
  }
  if (frame->hd.type == NGHTTP2_DATA && end_stream) {
    ProxyStream* stream = StreamOf(session, frame->hd.stream_id);
    if (stream == nullptr) return 0;
    stream->request_ended = true;
    if (H2WebCall* call = self->WebCallOf(frame->hd.stream_id)) {
      self->OnWebRequestData(self->streams_[frame->hd.stream_id], *call, {}, true);
      return 0;
    }
    if (auto up = stream->up.lock()) up->ResumeRequest(*stream);
  }
  return 0;
}

int DownstreamH2::OnFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type == NGHTTP2_GOAWAY) {
    if (const char* label = H2ConnectionErrorLabel(frame->goaway.error_code)) {
      Self(user_data)->context_.metrics->H2ConnectionError(label);
    }
    return 0;
  }
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0 ||
      (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)) {
    return 0;
  }
  DownstreamH2* self = Self(user_data);
  auto it = self->streams_.find(frame->hd.stream_id);
  if (it == self->streams_.end() || it->second->request_ended) return 0;
  // The response is complete while the client is still sending (an answer before the whole
  // body: 413, 408, a rejected call). Its bytes are read and dropped while it finishes on its
  // own; one that does not within limits.slow_client_timeout, or sends more than a message's
  // worth, is told to stop with RST_STREAM NO_ERROR (RFC 9113 8.1). Not at once: some clients
  // (curl 7.88) drop a complete response when that arrives.
  const auto timeout = self->context_.config->limits.slow_client_timeout;
  if (timeout.count() <= 0) return 0;
  ProxyStream& stream = *it->second;
  stream.timer = std::make_unique<boost::asio::steady_timer>(*self->context_.io, timeout);
  std::weak_ptr<ProxyStream> weak = it->second;
  auto owner = self->shared_from_this();
  stream.timer->async_wait([owner, weak](const boost::system::error_code& error) {
    auto s = weak.lock();
    if (!error && s) owner->StopRequest(*s);
  });
  return 0;
}

void DownstreamH2::StopRequest(ProxyStream& stream) {
  if (stream.request_ended || stream.down_closed || closed()) return;
  stream.request_ended = true;  // nothing more of it is wanted
  nghttp2_submit_rst_stream(session(), NGHTTP2_FLAG_NONE, stream.down_id, NGHTTP2_NO_ERROR);
  ScheduleFlush();
}

int DownstreamH2::OnDataChunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data,
                              size_t len, void* user_data) {
  ProxyStream* stream = StreamOf(session, id);
  DownstreamH2* self = Self(user_data);
  if (stream == nullptr || stream->finished) {
    nghttp2_session_consume(session, id, len);
    if (stream != nullptr) {
      stream->discarded_request_bytes += len;
      if (stream->discarded_request_bytes >
          static_cast<uint64_t>(self->context_.config->limits.max_message_bytes)) {
        self->StopRequest(*stream);
      }
    }
    return 0;
  }
  if (H2WebCall* call = self->WebCallOf(id)) {
    self->OnWebRequestData(self->streams_[id], *call,
                           std::string_view(reinterpret_cast<const char*>(data), len), false);
    return 0;
  }
  stream->request_body.Append(reinterpret_cast<const char*>(data), len);
  if (auto up = stream->up.lock()) up->ResumeRequest(*stream);
  return 0;
}

int DownstreamH2::OnStreamClose(nghttp2_session*, int32_t id, uint32_t, void* user_data) {
  DownstreamH2* self = Self(user_data);
  self->plain_bodies_.erase(id);
  self->waiting_since_.erase(id);
  self->heads_started_.erase(id);
  auto it = self->streams_.find(id);
  if (it == self->streams_.end()) return 0;
  std::shared_ptr<ProxyStream> stream = it->second;
  self->streams_.erase(it);
  const bool was_finished = stream->finished;
  stream->down_closed = true;
  if (stream->timer) stream->timer->cancel();
  if (stream->counted) {
    stream->finished = was_finished;
    H2WebCall* call = self->WebCallOf(id);
    RecordCall(*self->context_.metrics, call != nullptr ? call->protocol() : "grpc", *stream);
  }
  self->ReleaseWebCall(id, *stream);
  // A client that hangs up cancels its backend call at once, and what the gateway still held
  // of its response goes back to the backend connection's window.
  if (auto up = stream->up.lock()) {
    if (!stream->up_closed && !stream->response_ended) up->Cancel(*stream);
    up->Release(*stream);
  }
  return 0;
}

void DownstreamH2::Dispatch(const std::shared_ptr<ProxyStream>& stream) {
  const Protocol& protocol =
      ProtocolFor(stream->content_type.empty() ? nullptr : &stream->content_type);
  if (!protocol.pass_through) {
    if (context_.web != nullptr) {
      DispatchWeb(stream, protocol);
      return;
    }
    RespondPlain(stream->down_id, 415,
                 "this port serves native gRPC over HTTP/2 (content-type application/grpc)\n");
    return;
  }
  stream->counted = true;
  context_.metrics->CallStarted();
  if (stream->method != "POST") {
    Fail(*stream, kGrpcUnimplemented, "gRPC requires POST, got " + stream->method);
    return;
  }
  StartCall(stream, stream->request_headers, false, IsDroppedRequestHeader);
}

void DownstreamH2::StartCall(const std::shared_ptr<ProxyStream>& stream, const Headers& metadata,
                             bool body_follows, bool (*drop)(std::string_view name)) {
  std::weak_ptr<ProxyStream> weak = stream;
  auto self = shared_from_this();
  // A streamed body lasts as long as the client takes to send it: the route's maximum.
  const CallStart start{&metadata, FindHeader(metadata, "grpc-timeout"), body_follows, drop, {},
                        PeerAddressOf(socket()), &H2Connection::stream().peer_identity()};
  const absl::Status status = StartBackendCall(context_, stream, start, [self, weak] {
    if (auto s = weak.lock()) self->OnDeadline(s);
  });
  if (!status.ok()) Fail(*stream, static_cast<int>(status.code()), std::string(status.message()));
}

void DownstreamH2::AddTrace(ProxyStream& stream, Headers& headers) const {
  if (stream.trace) SetDeadlineTrace(stream.budget_on_entry, headers);
}

void DownstreamH2::StartResponse(ProxyStream& stream, bool end_stream) {
  if (stream.finished || stream.down_closed || closed()) return;
  if (H2WebCall* call = WebCallOf(stream.down_id)) {
    StartWebResponse(stream, *call, end_stream);
    return;
  }
  Headers headers;
  headers.reserve(stream.response_headers.size() + 1);
  for (const auto& header : stream.response_headers) {
    const std::string_view name = header.first;
    if (IsConnectionSpecificHeader(name)) continue;
    headers.push_back(header);
  }
  if (end_stream) {
    // Trailers-only: the status travels in the one HEADERS frame.
    AddTrace(stream, headers);
    const auto nv = ToNv(headers);
    nghttp2_submit_response(session(), stream.down_id, nv.data(), nv.size(), nullptr);
    stream.finished = true;
    if (stream.timer) stream.timer->cancel();
  } else {
    const auto nv = ToNv(headers);
    nghttp2_data_provider provider{};
    provider.source.ptr = &stream;
    provider.read_callback = ReadResponseBody;
    nghttp2_submit_response(session(), stream.down_id, nv.data(), nv.size(), &provider);
    stream.response_started = true;
  }
  ScheduleFlush();
}

void DownstreamH2::ResumeResponse(ProxyStream& stream) {
  if (stream.finished || stream.down_closed || closed()) return;
  if (H2WebCall* call = WebCallOf(stream.down_id)) {
    PumpWebResponse(stream, *call);
    return;
  }
  if (!stream.response_started) return;
  if (!stream.response_body.empty() &&
      waiting_since_.emplace(stream.down_id, std::chrono::steady_clock::now()).second) {
    ArmStallTimer();
  }
  nghttp2_session_resume_data(session(), stream.down_id);
  ScheduleFlush();
}

ssize_t DownstreamH2::ReadResponseBody(nghttp2_session* session, int32_t id, uint8_t* buf,
                                       size_t length, uint32_t* data_flags,
                                       nghttp2_data_source* source, void* user_data) {
  auto* stream = static_cast<ProxyStream*>(source->ptr);
  DownstreamH2* self = Self(user_data);
  const size_t n = stream->response_body.Take(buf, length);
  if (n > 0) {
    if (auto up = stream->up.lock()) up->Consumed(*stream, n);
  }
  if (stream->response_body.empty()) {
    self->waiting_since_.erase(id);
  } else if (n > 0) {
    self->waiting_since_[id] = std::chrono::steady_clock::now();
  }
  if (stream->response_body.empty()) {
    if (stream->response_ended) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!stream->trailers.empty()) {
        self->AddTrace(*stream, stream->trailers);
        const auto nv = ToNv(stream->trailers);
        if (nghttp2_submit_trailer(session, id, nv.data(), nv.size()) == 0) {
          *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        }
      }
      stream->finished = true;
      if (stream->timer) stream->timer->cancel();
    } else if (n == 0) {
      return NGHTTP2_ERR_DEFERRED;
    }
  }
  return static_cast<ssize_t>(n);
}

void DownstreamH2::Consumed(ProxyStream& stream, size_t n) {
  if (closed() || stream.down_closed) return;
  if (H2WebCall* call = WebCallOf(stream.down_id)) {
    // The backend took translated bytes: the client's own bytes held back while it was
    // behind are given back.
    if (call->unconsumed_request_bytes == 0 ||
        stream.request_body.size() >= kMaxPendingRequestBytes) {
      return;
    }
    n = call->unconsumed_request_bytes;
    call->unconsumed_request_bytes = 0;
  }
  nghttp2_session_consume(session(), stream.down_id, n);
  ScheduleFlush();
}

void DownstreamH2::Fail(ProxyStream& stream, int grpc_code, const std::string& message) {
  if (stream.finished || stream.down_closed || closed()) return;
  if (H2WebCall* call = WebCallOf(stream.down_id)) {
    FailWeb(stream, *call, absl::Status(static_cast<absl::StatusCode>(grpc_code), message));
    return;
  }
  if (auto up = stream.up.lock(); up && !stream.up_closed) up->Cancel(stream);
  stream.gateway_status = grpc_code;
  Headers status = {{"grpc-status", std::to_string(grpc_code)},
                    {"grpc-message", EncodeGrpcMessage(message)}};
  if (!stream.response_started) {
    Headers headers = {{":status", "200"}, {"content-type", "application/grpc"}};
    headers.insert(headers.end(), status.begin(), status.end());
    AddTrace(stream, headers);
    const auto nv = ToNv(headers);
    nghttp2_submit_response(session(), stream.down_id, nv.data(), nv.size(), nullptr);
    stream.finished = true;
    if (stream.timer) stream.timer->cancel();
  } else {
    if (auto up = stream.up.lock()) up->Release(stream);
    stream.trailers = status;
    stream.response_ended = true;
    nghttp2_session_resume_data(session(), stream.down_id);
  }
  ScheduleFlush();
}

void DownstreamH2::OnDeadline(const std::shared_ptr<ProxyStream>& stream) {
  Fail(*stream, kGrpcDeadlineExceeded, "deadline exceeded at the gateway");
}

void DownstreamH2::RespondPlain(int32_t stream_id, int http_status, const std::string& body,
                                const char* content_type, Headers extra) {
  Headers headers = {{":status", std::to_string(http_status)}, {"content-type", content_type}};
  for (auto& header : extra) headers.push_back(std::move(header));
  auto it = streams_.find(stream_id);
  if (it != streams_.end() && it->second->method == "HEAD") {
    // The GET answer's head, its length included, and no body.
    headers.emplace_back("content-length", std::to_string(body.size()));
    const auto nv = ToNv(headers);
    nghttp2_submit_response(session(), stream_id, nv.data(), nv.size(), nullptr);
    it->second->finished = true;
    ScheduleFlush();
    return;
  }
  std::string& stored = plain_bodies_[stream_id];
  stored = body;
  const auto nv = ToNv(headers);
  nghttp2_data_provider provider{};
  provider.source.ptr = &stored;
  provider.read_callback = ReadPlainBody;
  nghttp2_submit_response(session(), stream_id, nv.data(), nv.size(), &provider);
  if (it != streams_.end()) it->second->finished = true;
  ScheduleFlush();
}

void DownstreamH2::BeginDrain() {
  if (closed()) return;
  nghttp2_submit_goaway(session(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session()), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  ScheduleFlush();
}

void DownstreamH2::EndDrain() {
  if (closed()) return;
  const auto streams = streams_;
  for (const auto& [id, stream] : streams) {
    // A response the backend already ended only waits for the client to take it.
    if (stream->response_ended) continue;
    Fail(*stream, kGrpcUnavailable, "the gateway is shutting down");
  }
  ScheduleFlush();
}

void DownstreamH2::OnClosed() {
  idle_timer_.cancel();
  stall_timer_.cancel();
  waiting_since_.clear();
  auto streams = std::move(streams_);
  for (auto& [id, stream] : streams) {
    stream->down_closed = true;
    if (stream->timer) stream->timer->cancel();
    ReleaseWebCall(id, *stream);
    if (auto up = stream->up.lock(); up && !stream->up_closed && !stream->response_ended) {
      up->Cancel(*stream);
    }
  }
}

}  // namespace switchboard::gateway
