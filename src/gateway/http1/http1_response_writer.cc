// Writing HTTP/1.1 answers: whole ones, heads and chunks of streamed ones, through one queue
// with at most one write in flight, small pieces joined and the rest gathered.
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
#include "gateway/http1/http1_session.h"
#include "gateway/http1/http1_session_parts.h"
#include "gateway/proxy/backend_call.h"
#include "gateway/proxy/router.h"
#include "gateway/rest/errors.h"
#include "gateway/upstream/upstream_h2.h"
#include "gateway/websocket/websocket_bridge.h"

namespace switchboard::gateway {
namespace {

// Queued pieces given to one gather write (writev takes up to IOV_MAX = 1024).
constexpr size_t kMaxWriteBatch = 64;
// Queued pieces up to this size are copied into one buffer rather than written side by side.
constexpr size_t kMaxJoinedBytes = 4096;

const char* Reason(int status) {
  return http::obsolete_reason(static_cast<http::status>(status)).data();
}

}  // namespace

void Http1Session::SendSimple(int status, const std::string& content_type, const std::string& body,
                              const Headers& extra, bool add_cors) {
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
  if (add_cors && context_.proxy.web->cors != nullptr && !origin_.empty() && !has_cors) {
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
  // A translation that knows its body's length (a REST download) says so: the body goes
  // unframed, and the connection closes after it, so that a body cut short by a failure is
  // seen as short rather than taken for a whole one.
  length_delimited_ = FindHeader(headers, "content-length") != nullptr;
  if (length_delimited_) keep_alive_ = false;
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ", Reason(status), "\r\n");
  for (const auto& [name, value] : headers) {
    if (name == "transfer-encoding" || name == "connection") continue;
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (!length_delimited_) out += "transfer-encoding: chunked\r\n";
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
  Write(length_delimited_
            ? data
            : absl::StrCat(absl::StrFormat("%x", data.size()), "\r\n", data, "\r\n"),
        on_written);
}

void Http1Session::SendLastChunk() {
  if (!length_delimited_) Write("0\r\n\r\n");
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
      RecordCall(*context_.proxy.metrics, ProtocolName(), *stream_);
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
  boost::asio::post(transport_.get_executor(), [self] {
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
  transport_.WriteSome(
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

}  // namespace switchboard::gateway
