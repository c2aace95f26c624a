// Reading an HTTP/1.1 request: the header under its size and time limits, then a body that is
// buffered whole (bounded) or streamed to the backend as it arrives.
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

// Bytes asked of the socket per read while request headers arrive.
constexpr size_t kHeaderReadBytes = 4096;
// One read of a streamed request body, and how much of it may wait for the backend's window
// before the client is no longer read: together the memory a streamed call holds.
constexpr size_t kStreamedReadBytes = 64 * 1024;

}  // namespace

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
  transport_.async_read_some(buffer_.prepare(kHeaderReadBytes),
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
  length_delimited_ = false;
  stream_.reset();
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
  protocol_ = nullptr;
  translation_.reset();
  upstream_ = UpstreamRequest();
  header_status_ = absl::OkStatus();
  ResetExchange(request);
  const Limits& limits = context_.proxy.config->limits;
  if (header.version() >= 11 && request.Header("host") == nullptr) {
    // RFC 9112 3.2: an HTTP/1.1 request without Host is answered 400. Its body, if any, is
    // not read: the connection closes after the answer.
    keep_alive_ = false;
    RejectRest(absl::InvalidArgumentError("an HTTP/1.1 request needs a Host header"));
    return;
  }

  // The protocol by content type, and what its translation makes of the headers; its errors
  // are answered once the body is read (the connection stays usable), except for a body that
  // is a stream of messages (a client-streaming method's NDJSON or raw body): never buffered
  // whole, so answered or started now.
  protocol_ = &ProtocolFor(request.Header("content-type"));
  if (!protocol_->pass_through) {
    translation_ = protocol_->create(context_.proxy);
    header_status_ =
        translation_->OnRequestHeaders(WithPseudoHeaders(request, HeaderUse::kCopy), &upstream_);
    if (upstream_.body_is_stream) {
      if (header_status_.ok()) {
        StartStreamedCall(request);
      } else {
        RecordRejected(ProtocolName(), upstream_.path, static_cast<int>(header_status_.code()));
        SendOutput(translation_->Fail(header_status_, {}), 0);
      }
      return;
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
      transport_, buffer_, *body_parser_, [self](const boost::system::error_code& error, size_t) {
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
      transport_, buffer_, *stream_parser_, [self](boost::system::error_code error, size_t) {
        if (self->closed_ || !self->body_reading_ || self->exchange_done_) return;
        self->body_reading_ = false;
        if (error == http::error::need_buffer) error = {};  // the chunk buffer is full
        if (error == http::error::body_limit) {
          self->FailExchange(
              rest::WithHttpStatus(absl::ResourceExhaustedError(absl::StrCat(
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
              absl::InvalidArgumentError("malformed HTTP request body: " + error.message()));
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
  const absl::Status status = translation_->OnRequestData(data, body_complete_, &frames);
  if (!status.ok()) {
    FailExchange(status);
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

}  // namespace switchboard::gateway
