#include "gateway/upstream_h2.h"

#include <spdlog/spdlog.h>

#include "gateway/backend_call.h"
#include "gateway/downstream_sink.h"
#include "gateway/gateway_metrics.h"
#include "gateway/h2_settings.h"

namespace switchboard::gateway {
namespace {

constexpr uint32_t kMaxConcurrentPushes = 0;

UpstreamH2* Self(void* user_data) { return static_cast<UpstreamH2*>(user_data); }

ProxyStream* StreamOf(nghttp2_session* session, int32_t id) {
  return static_cast<ProxyStream*>(nghttp2_session_get_stream_user_data(session, id));
}

}  // namespace

UpstreamH2::UpstreamH2(boost::asio::io_context& io, const Backend& backend,
                       GatewayMetrics* metrics, int32_t connection_window)
    : H2Connection(boost::asio::ip::tcp::socket(io)),
      backend_(backend),
      metrics_(metrics),
      connection_window_(connection_window) {}

std::shared_ptr<UpstreamH2> UpstreamH2::Connect(boost::asio::io_context& io,
                                                const Backend& backend, GatewayMetrics* metrics,
                                                int32_t connection_window) {
  std::shared_ptr<UpstreamH2> connection(new UpstreamH2(io, backend, metrics, connection_window));
  connection->self_ = connection;
  boost::system::error_code error;
  auto address = boost::asio::ip::make_address(backend.host, error);
  auto on_connect = [connection](const boost::system::error_code& error) {
    if (error) {
      if (connection->metrics_ != nullptr) connection->metrics_->UpstreamError(connection->backend_.ToString());
      connection->FailQueued("cannot connect to " + connection->backend_.ToString() + ": " +
                             error.message());
      connection->Close();
      return;
    }
    connection->OnConnected();
  };
  if (!error) {
    connection->socket().async_connect(
        boost::asio::ip::tcp::endpoint(address, backend.port), on_connect);
  } else {
    // A host name: resolve, then connect to the first address that answers.
    auto resolver = std::make_shared<boost::asio::ip::tcp::resolver>(io);
    resolver->async_resolve(
        backend.host, std::to_string(backend.port),
        [connection, resolver, on_connect](const boost::system::error_code& error,
                                           boost::asio::ip::tcp::resolver::results_type results) {
          if (error) return on_connect(error);
          boost::asio::async_connect(connection->socket(), results,
                                     [on_connect](const boost::system::error_code& error,
                                                  const boost::asio::ip::tcp::endpoint&) {
                                       on_connect(error);
                                     });
        });
  }
  return connection;
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
  SubmitProxySettings(session, kMaxConcurrentPushes, connection_window_);
  connected_ = true;
  Start(session);
  auto queued = std::move(queued_);
  for (auto& [stream, headers] : queued) SubmitNow(stream, headers);
  Flush();
}

void UpstreamH2::Submit(const std::shared_ptr<ProxyStream>& stream, const Headers& headers) {
  if (closed()) {
    if (auto down = stream->down.lock()) down->Fail(*stream, kGrpcUnavailable, "backend connection closed");
    return;
  }
  if (!connected_) {
    queued_.emplace_back(stream, headers);
    return;
  }
  SubmitNow(stream, headers);
  ScheduleFlush();
}

void UpstreamH2::SubmitNow(const std::shared_ptr<ProxyStream>& stream, const Headers& headers) {
  if (stream->down_closed || stream->finished) return;
  const std::vector<nghttp2_nv> nv = ToNv(headers);
  nghttp2_data_provider provider{};
  provider.source.ptr = stream.get();
  provider.read_callback = ReadRequestBody;
  const int32_t id =
      nghttp2_submit_request(session(), nullptr, nv.data(), nv.size(), &provider, stream.get());
  if (id < 0) {
    if (auto down = stream->down.lock()) {
      down->Fail(*stream, kGrpcUnavailable,
                 std::string("backend refused the stream: ") + nghttp2_strerror(id));
    }
    return;
  }
  stream->up_id = id;
  stream->up = shared_from_this();
  streams_[id] = stream;
}

void UpstreamH2::ResumeRequest(ProxyStream& stream) {
  if (closed() || stream.up_id < 0 || stream.up_closed) return;
  nghttp2_session_resume_data(session(), stream.up_id);
  ScheduleFlush();
}

void UpstreamH2::Cancel(ProxyStream& stream) {
  if (closed() || stream.up_id < 0 || stream.up_closed) return;
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

void UpstreamH2::FailQueued(const std::string& why) {
  auto queued = std::move(queued_);
  for (auto& [stream, headers] : queued) {
    if (auto down = stream->down.lock()) down->Fail(*stream, kGrpcUnavailable, why);
  }
}

void UpstreamH2::OnClosed() {
  if (metrics_ != nullptr && !streams_.empty()) metrics_->UpstreamError(backend_.ToString());
  FailQueued("backend " + backend_.ToString() + " closed the connection");
  auto streams = std::move(streams_);
  for (auto& [id, stream] : streams) {
    stream->up_closed = true;
    if (auto down = stream->down.lock()) {
      if (!stream->response_ended) {
        down->Fail(*stream, kGrpcUnavailable,
                   "connection to backend " + backend_.ToString() + " lost");
      }
    }
  }
}

int UpstreamH2::OnHeader(nghttp2_session* session, const nghttp2_frame* frame,
                         const uint8_t* name, size_t name_len, const uint8_t* value,
                         size_t value_len, uint8_t, void*) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  ProxyStream* stream = StreamOf(session, frame->hd.stream_id);
  if (stream == nullptr) return 0;
  auto& target = frame->headers.cat == NGHTTP2_HCAT_RESPONSE ? stream->response_headers
                                                              : stream->trailers;
  target.emplace_back(std::string(reinterpret_cast<const char*>(name), name_len),
                      std::string(reinterpret_cast<const char*>(value), value_len));
  return 0;
}

int UpstreamH2::OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void*) {
  ProxyStream* stream = StreamOf(session, frame->hd.stream_id);
  if (stream == nullptr) return 0;
  auto down = stream->down.lock();
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (frame->hd.type == NGHTTP2_HEADERS) {
    if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE) {
      if (end_stream) stream->response_ended = true;
      if (down) down->StartResponse(*stream, end_stream);
      return 0;
    }
    if (end_stream) stream->response_ended = true;  // trailers
  } else if (frame->hd.type == NGHTTP2_DATA && end_stream) {
    stream->response_ended = true;
  } else {
    return 0;
  }
  if (down) down->ResumeResponse(*stream);
  return 0;
}

int UpstreamH2::OnDataChunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data,
                            size_t len, void*) {
  ProxyStream* stream = StreamOf(session, id);
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

int UpstreamH2::OnStreamClose(nghttp2_session* session, int32_t id, uint32_t error_code,
                              void* user_data) {
  UpstreamH2* self = Self(user_data);
  auto it = self->streams_.find(id);
  if (it == self->streams_.end()) return 0;
  std::shared_ptr<ProxyStream> stream = it->second;
  self->streams_.erase(it);
  stream->up_closed = true;
  if (!stream->response_ended) {
    if (auto down = stream->down.lock()) {
      down->Fail(*stream, kGrpcUnavailable,
                 std::string("backend reset the stream: ") + nghttp2_http2_strerror(error_code));
    }
  }
  (void)session;
  return 0;
}

ssize_t UpstreamH2::ReadRequestBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                                    uint32_t* data_flags, nghttp2_data_source* source, void*) {
  auto* stream = static_cast<ProxyStream*>(source->ptr);
  if (stream->down_closed && !stream->request_ended) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const size_t n = stream->request_body.Take(buf, length);
  if (n > 0) {
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

std::shared_ptr<UpstreamH2> UpstreamPool::Get(const Backend& backend) {
  const std::string key = backend.ToString();
  auto& connection = connections_[key];
  if (!connection || connection->closed()) {
    connection = UpstreamH2::Connect(io_, backend, metrics_, connection_window_);
  }
  return connection;
}

}  // namespace switchboard::gateway

namespace switchboard::gateway {

void UpstreamPool::CloseAll() {
  auto connections = std::move(connections_);
  for (auto& [key, connection] : connections) connection->Shutdown();
}

}  // namespace switchboard::gateway
