#include "rest_call.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors.h"
#include "gateway/codec/grpc_status.h"
#include "gateway/codec/status_codes.h"

namespace switchboard::gateway::rest {
namespace {

// A raw body's type: the bytes of a download are whatever the file holds.
constexpr char kRawContentType[] = "application/octet-stream";
constexpr int kHttpPartialContent = 206;
constexpr int kHttpRangeNotSatisfiable = 416;

bool IsForwardedRestHeader(const std::string& name) {
  return name == "authorization" || name == "user-agent" ||
         (absl::StartsWith(name, "x-") && name != "x-deadline-unix-us");
}

// Response metadata a REST client sees as headers (the same x- rule as requests: e.g.
// x-server-id, which replica answered); binary values and the deadline trace are left out.
void AppendRestResponseMetadata(const Headers& from, Headers& to) {
  for (const auto& [name, value] : from) {
    if (absl::StartsWith(name, "x-") && !absl::EndsWith(name, "-bin") &&
        name != "x-deadline-budget" && FindHeader(to, name.c_str()) == nullptr) {
      to.emplace_back(name, value);
    }
  }
}

DownstreamOutput Whole(int http_status, const char* content_type, std::string body, Headers extra) {
  DownstreamOutput out;
  out.head.emplace();
  out.head->status = http_status;
  out.head->headers.reserve(extra.size() + 1);
  out.head->headers.emplace_back("content-type", content_type);
  for (auto& header : extra) out.head->headers.push_back(std::move(header));
  out.body = std::move(body);
  out.end_stream = true;
  return out;
}

}  // namespace

ResponseHead RestResponse::RawHead(int64_t total_bytes) const {
  ResponseHead head;
  head.status = 200;
  head.headers = {{"content-type", kRawContentType}, {"accept-ranges", "bytes"}};
  if (range_ && total_bytes >= 0) {
    // The backend checked that the first byte is in the file; the last is cut to its end.
    const int64_t last = range_->last ? std::min(*range_->last, total_bytes - 1) : total_bytes - 1;
    head.status = kHttpPartialContent;
    head.headers.emplace_back("content-range",
                              absl::StrCat("bytes ", range_->first, "-", last, "/", total_bytes));
    head.headers.emplace_back("content-length", absl::StrCat(last - range_->first + 1));
  } else if (!range_ && total_bytes >= 0) {
    head.headers.emplace_back("content-length", absl::StrCat(total_bytes));
  }
  AppendRestResponseMetadata(raw_response_headers_, head.headers);
  return head;
}

DownstreamOutput RestErrorOutput(const absl::Status& status, int http_status, Headers extra) {
  return Whole(http_status != 0 ? http_status : HttpStatusFromStatus(status), "application/json",
               JsonErrorBody(status), std::move(extra));
}

std::variant<RouteMatch, RestRejection> MatchRestRoute(const RouteTable& routes,
                                                       const std::string& method,
                                                       std::string_view path) {
  auto match = routes.Lookup(method, path);
  if (!match.ok()) {
    RestRejection rejection{match.status()};
    if (HttpStatusFromStatus(match.status()) == 405) {
      rejection.extra.emplace_back("allow", absl::StrJoin(routes.AllowedMethods(path), ", "));
    }
    return rejection;
  }
  const Route* route = match->route;
  if (route->client_streaming && method == "GET") {
    RestRejection rejection{absl::FailedPreconditionError(absl::StrCat(
        "GET ", std::string(path), " is a ", route->server_streaming ? "bidirectional" : "client",
        " stream: open it as a WebSocket (Connection: Upgrade, Upgrade: websocket)"))};
    rejection.http_status = 426;
    rejection.extra.emplace_back("upgrade", "websocket");
    rejection.route = route;
    return rejection;
  }
  return std::move(*match);
}

absl::StatusOr<RouteMatch> MatchWebSocketRoute(const RouteTable& routes, std::string_view path) {
  absl::Status first;
  for (const char* method : {"GET", "POST", "PUT", "PATCH"}) {
    auto match = routes.Lookup(method, path);
    if (match.ok() && match->route->client_streaming) return match;
    if (first.ok()) first = match.ok() ? absl::OkStatus() : match.status();
  }
  if (!first.ok() && first.code() == absl::StatusCode::kNotFound) return first;
  return absl::InvalidArgumentError(
      "WebSocket is for client-streaming and bidirectional methods only");
}

Headers RestRequestMetadata(const Headers& request_headers) {
  Headers metadata;
  for (const auto& [name, value] : request_headers) {
    if (IsForwardedRestHeader(name)) metadata.emplace_back(name, value);
  }
  return metadata;
}

bool WantsServerSentEvents(const Headers& request_headers) {
  const std::string* accept = FindHeader(request_headers, "accept");
  return accept != nullptr && absl::StrContains(*accept, "text/event-stream");
}

std::pair<int, std::string> GrpcStatusOf(const Headers& headers) {
  const std::string* code = FindHeader(headers, "grpc-status");
  if (code == nullptr) return {kGrpcInternal, "backend sent no grpc-status"};
  const std::string* message = FindHeader(headers, "grpc-message");
  return {ParseGrpcStatus(*code), message != nullptr ? DecodeGrpcMessage(*message) : std::string()};
}

RestResponse::RestResponse(const Transcoder& transcoder, const Route& route, bool sse,
                           size_t max_message_bytes)
    : transcoder_(&transcoder),
      route_(&route),
      sse_(sse),
      decoder_(max_message_bytes),
      raw_(StreamsRawBody(route)) {}

DownstreamOutput RestResponse::OnResponseHeaders(const Headers& response_headers) {
  DownstreamOutput out;
  if (!streaming() || head_sent_ || finished_) return out;
  if (raw_) {
    raw_response_headers_ = response_headers;
    return out;
  }
  head_sent_ = true;
  out.head.emplace();
  out.head->headers = {{"content-type", sse_ ? "text/event-stream" : "application/x-ndjson"},
                       {"cache-control", "no-cache"}};
  AppendRestResponseMetadata(response_headers, out.head->headers);
  return out;
}

absl::StatusOr<DownstreamOutput> RestResponse::OnResponseData(std::string_view bytes) {
  DownstreamOutput out;
  if (finished_) return out;
  decoder_.Feed(bytes);
  GrpcFrame frame;
  while (decoder_.Next(&frame)) {
    if (!streaming()) {
      if (!first_message_) first_message_ = std::move(frame.payload);
      continue;
    }
    if (raw_) {
      auto chunk = ReadRawChunk(*route_, frame.payload);
      if (!chunk.ok()) return chunk.status();
      if (!head_sent_) {
        out.head = RawHead(chunk->total_bytes);
        head_sent_ = true;
      }
      out.body += chunk->data;
      continue;
    }
    auto json = sse_ ? transcoder_->ResponseToSseEvent(*route_, frame.payload)
                     : transcoder_->ResponseToNdjsonLine(*route_, frame.payload);
    if (!json.ok()) return absl::InternalError(json.status().message());
    out.body += *json;
  }
  if (!decoder_.status().ok()) return absl::InternalError(decoder_.status().message());
  return out;
}

DownstreamOutput RestResponse::Finish(int grpc_code, const std::string& message,
                                      const Headers& response_headers, const Headers& trailers,
                                      const std::string* trace) {
  if (finished_) return {};
  finished_ = true;
  if (streaming() && head_sent_) {
    DownstreamOutput out;
    // Raw bytes have no place for an error: the answer ends short, and a client that was
    // given a Content-Length sees it.
    if (raw_) grpc_code = kGrpcOk;
    if (grpc_code != kGrpcOk) {
      const std::string error = JsonErrorBody(grpc_code, message);
      out.body = sse_ ? FormatSseEvent(error, "error") : FormatNdjsonLine(error);
    }
    out.end_stream = true;
    return out;
  }
  Headers extra;
  if (trace != nullptr) extra.emplace_back("x-deadline-budget", *trace);
  AppendRestResponseMetadata(response_headers, extra);
  AppendRestResponseMetadata(trailers, extra);
  if (grpc_code == kGrpcOk && !streaming()) {
    if (!first_message_) {
      grpc_code = kGrpcInternal;
    } else {
      auto json = transcoder_->TranscodeResponse(*route_, *first_message_);
      if (json.ok()) return Whole(200, "application/json", std::move(*json), std::move(extra));
      return Whole(500, "application/json", JsonErrorBody(json.status()), std::move(extra));
    }
  }
  if (grpc_code == kGrpcOk) {  // a stream that ended before any message
    if (raw_) return Whole(200, kRawContentType, "", std::move(extra));
    return Whole(200, sse_ ? "text/event-stream" : "application/x-ndjson", "", std::move(extra));
  }
  if (raw_ && range_ && grpc_code == kGrpcOutOfRange) {
    extra.emplace_back("content-range", "bytes */*");
    return Whole(kHttpRangeNotSatisfiable, "application/json", JsonErrorBody(grpc_code, message),
                 std::move(extra));
  }
  const std::string text =
      grpc_code == kGrpcInternal && message.empty() ? "backend sent no response" : message;
  return Whole(HttpStatusFromGrpcCode(grpc_code), "application/json",
               JsonErrorBody(grpc_code, text), std::move(extra));
}

}  // namespace switchboard::gateway::rest
