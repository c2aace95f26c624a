// One HTTP/1.1 client connection: its life from the first byte to the close, the watch for a
// client that hangs up mid-call, and the timers that bound a slow client.
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
#include "gateway/codec/grpc_timeout.h"
#include "gateway/codec/headers.h"
#include "gateway/gateway_metrics.h"
#include "gateway/grpcweb/content_type.h"
#include "gateway/http1/http1_session_parts.h"
#include "gateway/proxy/backend_call.h"
#include "gateway/proxy/router.h"
#include "gateway/rest/errors.h"
#include "gateway/upstream/upstream_h2.h"
#include "gateway/websocket/websocket_bridge.h"

namespace switchboard::gateway {
Http1Session::Http1Session(Http1Context context, transport::ByteStream stream)
    : context_(context),
      transport_(std::move(stream)),
      timer_(*context.proxy.io),
      last_activity_(Clock::now()) {}

std::weak_ptr<Http1Session> Http1Session::Start(Http1Context context,
                                                transport::ByteStream stream, std::string initial) {
  std::shared_ptr<Http1Session> session(new Http1Session(context, std::move(stream)));
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

void Http1Session::WatchForDisconnect() {
  // While a call runs, the connection turning readable means the client hung up (cancel the
  // backend call) or sent its next request. The same read then serves as the next request's:
  // nothing has to be cancelled when the response is out. It reads into a buffer of its own,
  // as buffer_ may be consumed and reused by a pipelined request's parse meanwhile.
  if (probe_pending_ || closed_) return;
  probe_pending_ = true;
  auto self = shared_from_this();
  transport_.ReadWhenReady(boost::asio::buffer(probe_buffer_),
                        [self](const boost::system::error_code& error, size_t n) {
                          self->OnReadable(error, n);
                        });
}

void Http1Session::OnReadable(const boost::system::error_code& error, size_t n) {
  probe_pending_ = false;
  if (closed_) return;
  if (error || n == 0) {
    // EOF or a socket error: between requests, nothing to answer; during a call, Close
    // cancels it.
    reading_headers_ = false;
    Close();
    return;
  }
  buffer_.commit(boost::asio::buffer_copy(buffer_.prepare(n), boost::asio::buffer(probe_buffer_, n)));
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
  const std::string protocol = ProtocolName();
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
    FailExchange(rest::WithHttpStatus(
        absl::DeadlineExceededError(absl::StrCat(
            "request body made no progress for limits.slow_client_timeout (", timeout, ")")),
        408));
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
  transport_.Close();
}

}  // namespace switchboard::gateway
