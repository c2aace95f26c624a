#include "gateway/upstream/upstream_h2.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "gateway/proxy/backend_call.h"
#include "gateway/codec/grpc_status.h"
#include "gateway/proxy/downstream_sink.h"
#include "gateway/gateway_metrics.h"
#include "gateway/proxy/h2_settings.h"
#include "gateway/proxy/router.h"
#include "gateway/transport/tls_stream.h"

namespace switchboard::gateway {
namespace {

constexpr uint32_t kMaxConcurrentPushes = 0;
// A retry needs at least this much of the call's deadline left to be worth sending.
constexpr std::chrono::milliseconds kMinRetryBudget{5};

UpstreamH2* Self(void* user_data) { return static_cast<UpstreamH2*>(user_data); }

UpstreamCall* CallOfSession(nghttp2_session* session, int32_t id) {
  return static_cast<UpstreamCall*>(nghttp2_session_get_stream_user_data(session, id));
}

int StatusOf(const ProxyStream& stream) {
  return GrpcStatusOf(FindHeader(stream.trailers, "grpc-status"),
                      FindHeader(stream.response_headers, "grpc-status"));
}

void FailDownstream(ProxyStream& stream, const std::string& why) {
  if (auto down = stream.down.lock()) down->Fail(stream, kGrpcUnavailable, why);
}

// A backend that accepts the connection but never finishes the handshake fails the calls
// waiting for it after this.
constexpr auto kTlsHandshakeTime = std::chrono::seconds(10);

}  // namespace

UpstreamH2::UpstreamH2(boost::asio::io_context& io, const Backend& backend, UpstreamPool* pool)
    : H2Connection(transport::ByteStream::Plain(boost::asio::ip::tcp::socket(io))),
      backend_(backend),
      pool_(pool) {}

std::shared_ptr<UpstreamH2> UpstreamH2::Connect(boost::asio::io_context& io, const Backend& backend,
                                                UpstreamPool* pool, const UpstreamTls* tls) {
  std::shared_ptr<UpstreamH2> connection(new UpstreamH2(io, backend, pool));
  connection->self_ = connection;
  boost::system::error_code error;
  auto address = boost::asio::ip::make_address(backend.host, error);
  std::optional<UpstreamTls> with_tls;
  if (tls != nullptr) with_tls = *tls;
  auto on_connect = [connection, with_tls](const boost::system::error_code& error) {
    if (connection->closed()) return;
    if (error) {
      if (auto* metrics = connection->pool_->metrics()) {
        metrics->UpstreamError(connection->backend_.ToString());
      }
      connection->FailQueued("cannot connect to " + connection->backend_.ToString() + ": " +
                             error.message());
      connection->Close();
      return;
    }
    if (with_tls) {
      connection->StartTls(*with_tls);
      return;
    }
    connection->OnConnected();
  };
  if (!error) {
    connection->socket().async_connect(boost::asio::ip::tcp::endpoint(address, backend.port),
                                       on_connect);
  } else {
    // A host name: resolve, then connect to the first address that answers.
    auto resolver = std::make_shared<boost::asio::ip::tcp::resolver>(io);
    resolver->async_resolve(
        backend.host, std::to_string(backend.port),
        [connection, resolver, on_connect](const boost::system::error_code& error,
                                           boost::asio::ip::tcp::resolver::results_type results) {
          if (error) return on_connect(error);
          boost::asio::async_connect(
              connection->socket(), results,
              [on_connect](const boost::system::error_code& error,
                           const boost::asio::ip::tcp::endpoint&) { on_connect(error); });
        });
  }
  return connection;
}

void UpstreamH2::StartTls(const UpstreamTls& tls) {
  boost::system::error_code ignored;
  socket().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  auto stream = std::make_unique<transport::TlsStream>(std::move(socket()), tls.context);
  transport::TlsStream& handshaking = *stream;
  ReplaceStream(transport::ByteStream(std::move(stream)));
  auto self = shared_from_this();
  handshaking.StartHandshake(
      transport::TlsStream::Handshake::client, kTlsHandshakeTime,
      [self](const boost::system::error_code& error) {
        if (self->closed()) return;
        if (error) {
          if (auto* metrics = self->pool_->metrics()) metrics->UpstreamError(self->backend_.ToString());
          self->FailQueued("TLS handshake with " + self->backend_.ToString() +
                           " failed: " + error.message());
          self->Close();
          return;
        }
        self->OnConnected();
      },
      tls.server_name.empty() ? backend_.host : tls.server_name);
}

void UpstreamH2::OnConnected() {
  boost::system::error_code ignored;
  socket().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnStreamClose);
  nghttp2_option* option = NewProxyOptions();
  nghttp2_session* session = nullptr;
  nghttp2_session_client_new2(&session, callbacks, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  SubmitProxySettings(session, kMaxConcurrentPushes, pool_->connection_window());
  connected_ = true;
  Start(session);
  auto queued = std::move(queued_);
  for (auto& call : queued) SubmitNow(call);
  Flush();
  CloseIfDrained();
}

void UpstreamH2::Submit(const std::shared_ptr<UpstreamCall>& call) {
  if (closed()) {
    TryFailed(call, "backend connection to " + backend_.ToString() + " closed");
    return;
  }
  if (!connected_) {
    queued_.push_back(call);
    return;
  }
  SubmitNow(call);
  ScheduleFlush();
}

void UpstreamH2::SubmitNow(const std::shared_ptr<UpstreamCall>& call) {
  ProxyStream& stream = *call->stream;
  if (stream.down_closed || stream.finished) {
    call->cancelled = true;
    pool_->EndTry(*call, false);
    return;
  }
  const std::vector<nghttp2_nv> nv = ToNv(call->headers);
  nghttp2_data_provider provider{};
  provider.source.ptr = call.get();
  provider.read_callback = ReadRequestBody;
  const int32_t id =
      nghttp2_submit_request(session(), nullptr, nv.data(), nv.size(), &provider, call.get());
  if (id < 0) {
    TryFailed(call, std::string("backend refused the stream: ") + nghttp2_strerror(id));
    return;
  }
  stream.up_id = id;
  stream.up = shared_from_this();
  streams_[id] = call;
}

UpstreamCall* UpstreamH2::CallOf(int32_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void UpstreamH2::ResumeRequest(ProxyStream& stream) {
  if (closed() || stream.up_id < 0 || stream.up_closed) return;
  nghttp2_session_resume_data(session(), stream.up_id);
  ScheduleFlush();
}

void UpstreamH2::Cancel(ProxyStream& stream) {
  if (closed() || stream.up_id < 0 || stream.up_closed) return;
  if (UpstreamCall* call = CallOf(stream.up_id)) call->cancelled = true;
  nghttp2_submit_rst_stream(session(), NGHTTP2_FLAG_NONE, stream.up_id, NGHTTP2_CANCEL);
  ScheduleFlush();
}

void UpstreamH2::Consumed(ProxyStream& stream, size_t n) {
  // A closed stream still owes the connection window: nghttp2 credits the connection for a
  // closed stream and skips only the stream's own window. Skipping it here would leak the
  // window one response at a time until the backend could send nothing more.
  if (closed() || stream.up_id < 0 || n == 0) return;
  nghttp2_session_consume(session(), stream.up_id, n);
  ScheduleFlush();
}

void UpstreamH2::Release(ProxyStream& stream) {
  const size_t n = stream.response_body.size();
  stream.response_body.Clear();
  Consumed(stream, n);
}

void UpstreamH2::ScheduleFlush() {
  if (flush_scheduled_ || closed()) return;
  flush_scheduled_ = true;
  auto self = shared_from_this();
  boost::asio::post(socket().get_executor(), [self] {
    self->flush_scheduled_ = false;
    self->Flush();
  });
}

void UpstreamH2::Drain() {
  draining_ = true;
  CloseIfDrained();
}

void UpstreamH2::CloseIfDrained() {
  if (!draining_ || closed() || !streams_.empty() || !queued_.empty()) return;
  if (!connected_) {
    Close();
    return;
  }
  // GOAWAY; the session then wants neither to read nor to write and Flush closes the socket.
  nghttp2_session_terminate_session(session(), NGHTTP2_NO_ERROR);
  ScheduleFlush();
}

void UpstreamH2::Detach(int32_t id) {
  streams_.erase(id);
  if (closed()) return;
  nghttp2_session_set_stream_user_data(session(), id, nullptr);
  if (nghttp2_session_find_stream(session(), id) != nullptr) {
    nghttp2_submit_rst_stream(session(), NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    ScheduleFlush();
  }
}

void UpstreamH2::TryFailed(const std::shared_ptr<UpstreamCall>& call, const std::string& why) {
  pool_->EndTry(*call, true);
  if (pool_->Retry(call)) return;
  FailDownstream(*call->stream, why);
}

void UpstreamH2::FailQueued(const std::string& why) {
  auto queued = std::move(queued_);
  for (auto& call : queued) TryFailed(call, why);
}

void UpstreamH2::OnClosed() {
  if (pool_->metrics() != nullptr && !streams_.empty()) {
    pool_->metrics()->UpstreamError(backend_.ToString());
  }
  auto streams = std::move(streams_);
  FailQueued("backend " + backend_.ToString() + " closed the connection");
  const std::string why = "connection to backend " + backend_.ToString() + " lost";
  for (auto& [id, call] : streams) {
    ProxyStream& stream = *call->stream;
    stream.up_closed = true;
    if (stream.response_ended) {
      pool_->EndTry(*call, StatusOf(stream) == kGrpcUnavailable);
    } else {
      TryFailed(call, why);
    }
  }
  // An established connection that went away without being asked to: its backend may be
  // gone, so let health checking look now rather than at its next tick.
  if (connected_ && !draining_) pool_->ConnectionLost(backend_.ToString());
}

int UpstreamH2::OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                         size_t name_len, const uint8_t* value, size_t value_len, uint8_t, void*) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  UpstreamCall* call = CallOfSession(session, frame->hd.stream_id);
  if (call == nullptr) return 0;
  ProxyStream& stream = *call->stream;
  auto& target =
      frame->headers.cat == NGHTTP2_HCAT_RESPONSE ? stream.response_headers : stream.trailers;
  target.emplace_back(std::string(reinterpret_cast<const char*>(name), name_len),
                      std::string(reinterpret_cast<const char*>(value), value_len));
  return 0;
}

int UpstreamH2::OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
  UpstreamH2* self = Self(user_data);
  if (frame->hd.type == NGHTTP2_GOAWAY) {
    // Streams above last_stream_id are closed as REFUSED_STREAM (and retried); new calls go
    // to a new connection.
    self->going_away_ = true;
    return 0;
  }
  UpstreamCall* call = CallOfSession(session, frame->hd.stream_id);
  if (call == nullptr) return 0;
  ProxyStream& stream = *call->stream;
  auto down = stream.down.lock();
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (frame->hd.type == NGHTTP2_HEADERS) {
    if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE) {
      const int status = end_stream ? StatusOf(stream) : -1;
      // Trailers-only UNAVAILABLE, or a CANCELLED the gateway did not ask for (grpc++ answers
      // so for the calls it had not started when it shuts down, before its GOAWAY): nothing
      // reached the client yet, so another backend may answer. Only UNAVAILABLE counts
      // against the backend.
      const bool refused =
          status == kGrpcUnavailable || (status == kGrpcCancelled && !call->cancelled);
      if (refused && call->balancer != nullptr) {
        auto held = self->streams_.at(frame->hd.stream_id);
        self->pool_->EndTry(*held, status == kGrpcUnavailable);
        const int32_t id = frame->hd.stream_id;
        if (self->pool_->Retry(held, [self, id] { self->Detach(id); })) return 0;
      }
      if (end_stream) stream.response_ended = true;
      call->delivered = true;
      if (down) down->StartResponse(stream, end_stream);
      return 0;
    }
    if (end_stream) stream.response_ended = true;  // trailers
  } else if (frame->hd.type == NGHTTP2_DATA && end_stream) {
    stream.response_ended = true;
  } else {
    return 0;
  }
  if (down) down->ResumeResponse(stream);
  return 0;
}

int UpstreamH2::OnDataChunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data,
                            size_t len, void*) {
  UpstreamCall* call = CallOfSession(session, id);
  ProxyStream* stream = call != nullptr ? call->stream.get() : nullptr;
  auto down = stream != nullptr ? stream->down.lock() : nullptr;
  if (stream == nullptr || !down || stream->down_closed || stream->finished) {
    // Nobody will read it: give the window back at once.
    nghttp2_session_consume(session, id, len);
    return 0;
  }
  stream->response_body.Append(reinterpret_cast<const char*>(data), len);
  down->ResumeResponse(*stream);
  return 0;
}

int UpstreamH2::OnStreamClose(nghttp2_session*, int32_t id, uint32_t error_code, void* user_data) {
  UpstreamH2* self = Self(user_data);
  auto it = self->streams_.find(id);
  if (it == self->streams_.end()) return 0;
  std::shared_ptr<UpstreamCall> call = it->second;
  self->streams_.erase(it);
  ProxyStream& stream = *call->stream;
  stream.up_closed = true;
  if (stream.response_ended) {
    self->pool_->EndTry(*call, StatusOf(stream) == kGrpcUnavailable);
  } else {
    self->TryFailed(call,
                    std::string("backend reset the stream: ") + nghttp2_http2_strerror(error_code));
  }
  self->CloseIfDrained();
  return 0;
}

ssize_t UpstreamH2::ReadRequestBody(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                                    uint32_t* data_flags, nghttp2_data_source* source,
                                    void* user_data) {
  auto* call = static_cast<UpstreamCall*>(source->ptr);
  ProxyStream* stream = call->stream.get();
  // A try that was abandoned for a retry: its body now belongs to the next try.
  if (stream->up_id != id || stream->up.lock().get() != Self(user_data)) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  if (stream->down_closed && !stream->request_ended) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const size_t n = stream->request_body.Take(buf, length);
  if (n > 0) {
    if (call->keep_sent) {
      if (call->sent.size() + n > RetryPolicy::kMaxBufferedRequestBytes) {
        // Too large to keep: this call gets one try.
        call->keep_sent = false;
        std::string().swap(call->sent);
      } else {
        call->sent.append(reinterpret_cast<const char*>(buf), n);
      }
    }
    if (auto down = stream->down.lock()) down->Consumed(*stream, n);
  }
  if (stream->request_body.empty()) {
    if (stream->request_ended) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    } else if (n == 0) {
      return NGHTTP2_ERR_DEFERRED;
    }
  }
  return static_cast<ssize_t>(n);
}

// ---- UpstreamPool ----

std::shared_ptr<UpstreamH2> UpstreamPool::Get(const std::string& address) {
  auto& connection = connections_[address];
  if (!connection || connection->closed() || connection->going_away()) {
    // Addresses come from a validated configuration.
    auto backend = ParseBackend(address);
    const UpstreamTls* tls = nullptr;
    if (tls_) {
      auto found = tls_->find(address);
      if (found != tls_->end()) tls = &found->second;
    }
    connection = UpstreamH2::Connect(io_, backend.ok() ? *backend : Backend{}, this, tls);
  }
  return connection;
}

void UpstreamPool::Submit(const RouteTarget& target, const std::shared_ptr<ProxyStream>& stream,
                          Headers headers) {
  auto call = std::make_shared<UpstreamCall>();
  call->stream = stream;
  call->headers = std::move(headers);
  call->service = target.route->name;
  call->balancer = target.balancer;
  call->max_tries = target.retryable ? target.route->retries.attempts : 1;
  call->keep_sent = call->max_tries > 1;
  if (!target.route->hash_header.empty()) {
    if (const std::string* key = FindHeader(call->headers, target.route->hash_header.c_str())) {
      call->hash_key = *key;
    }
  }
  auto endpoint =
      call->balancer->Pick(call->hash_key ? &*call->hash_key : nullptr, {}, lb::Clock::now());
  if (!endpoint.ok()) {
    FailDownstream(*stream, std::string(endpoint.status().message()));
    return;
  }
  StartTry(call, *endpoint);
}

void UpstreamPool::StartTry(const std::shared_ptr<UpstreamCall>& call,
                            const std::shared_ptr<lb::Endpoint>& endpoint) {
  call->endpoint = endpoint;
  call->tried.push_back(endpoint.get());
  ++call->tries;
  ++endpoint->requests;
  ++endpoint->in_flight;
  call->counted = true;
  call->cancelled = false;
  Get(endpoint->address)->Submit(call);
}

void UpstreamPool::EndTry(UpstreamCall& call, bool failed) {
  if (!call.counted) return;
  call.counted = false;
  --call.endpoint->in_flight;
  if (call.cancelled || call.balancer == nullptr) return;
  if (call.balancer->RecordResult(*call.endpoint, failed, lb::Clock::now())) {
    const auto& outlier = call.endpoint->outlier;
    spdlog::warn("backend ejected service={} backend={} times={} for_ms={}", call.service,
                 call.endpoint->address, outlier.times_ejected(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(outlier.ejected_until() -
                                                                       lb::Clock::now())
                     .count());
  }
}

bool UpstreamPool::Retry(const std::shared_ptr<UpstreamCall>& call,
                         const std::function<void()>& before) {
  ProxyStream& stream = *call->stream;
  if (call->balancer == nullptr || call->cancelled || call->tries >= call->max_tries ||
      !call->keep_sent || call->delivered || stream.finished || stream.down_closed ||
      stream.response_started) {
    return false;
  }
  auto remaining = RemainingDeadline(call->headers);
  if (!remaining || *remaining < kMinRetryBudget) return false;
  auto endpoint = call->balancer->Pick(call->hash_key ? &*call->hash_key : nullptr, call->tried,
                                       lb::Clock::now());
  if (!endpoint.ok()) return false;
  if (before) before();
  // The stream starts over: what the failed try received is dropped, the body is sent again.
  stream.up_id = -1;
  stream.up.reset();
  stream.up_closed = false;
  stream.response_headers.clear();
  stream.trailers.clear();
  stream.response_body.Clear();
  stream.response_ended = false;
  ByteQueue body;
  body.Append(call->sent.data(), call->sent.size());
  std::string rest(stream.request_body.size(), '\0');
  stream.request_body.Take(reinterpret_cast<uint8_t*>(rest.data()), rest.size());
  body.Append(rest.data(), rest.size());
  stream.request_body = std::move(body);
  call->sent.clear();
  SetDeadlineHeaders(call->headers, *remaining);
  if (metrics_ != nullptr) metrics_->Retry(call->service);
  spdlog::debug("retry service={} path={} from={} to={} try={}", call->service, stream.path,
                call->endpoint->address, (*endpoint)->address, call->tries + 1);
  StartTry(call, *endpoint);
  return true;
}

void UpstreamPool::Drain(const std::vector<std::string>& addresses) {
  for (const auto& address : addresses) {
    auto it = connections_.find(address);
    if (it == connections_.end()) continue;
    auto connection = std::move(it->second);
    connections_.erase(it);
    connection->Drain();
  }
}

void UpstreamPool::CloseAll() {
  auto connections = std::move(connections_);
  for (auto& [key, connection] : connections) connection->Shutdown();
}

}  // namespace switchboard::gateway
