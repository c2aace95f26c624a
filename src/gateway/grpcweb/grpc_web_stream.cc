#include "grpc_web_stream.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gateway/codec/grpc_status.h"
#include "gateway/codec/http_status.h"

namespace switchboard::gateway::grpcweb {
namespace {

constexpr std::string_view kCallMethod = "POST";
constexpr std::string_view kIdentity = "identity";
constexpr int kHttpOk = 200;
constexpr int kHttpUnsupportedMediaType = 415;

// Request headers the translation consumes or that describe only the browser's hop.
bool IsDroppedRequestHeader(std::string_view name) {
  static constexpr std::string_view kDropped[] = {"content-type", "content-length",  "host",
                                                  "accept",       "accept-encoding", "expect",
                                                  "x-grpc-web",   "grpc-timeout"};
  for (std::string_view dropped : kDropped) {
    if (name == dropped) return true;
  }
  return false;
}

// Call-Definition headers (PROTOCOL-HTTP2.md) that go before custom metadata.
bool IsCallDefinitionHeader(std::string_view name) {
  return name == "grpc-encoding" || name == "grpc-accept-encoding" || name == "grpc-message-type" ||
         name == "user-agent";
}

std::string StatusText(absl::StatusCode code) { return std::to_string(static_cast<int>(code)); }

// The message a gateway-made status carries: bounded, valid UTF-8, percent-encoded.
std::string LocalGrpcMessage(const absl::Status& status) {
  std::string_view message(status.message().data(), status.message().size());
  if (message.size() > kMaxLocalMessageBytes) message = message.substr(0, kMaxLocalMessageBytes);
  return EncodeGrpcMessage(ToValidUtf8(message));
}

void AppendTrailerLine(std::string_view name, std::string_view value, std::string* block) {
  block->append(name.data(), name.size());
  block->push_back(':');
  block->append(value.data(), value.size());
  block->append("\r\n");
}

// The request headers the translation looks at, found in one pass over the list (the first
// of each name, as FindHeader would).
struct KnownRequestHeaders {
  const std::string* origin = nullptr;
  const std::string* content_type = nullptr;
  const std::string* accept = nullptr;
  const std::string* method = nullptr;
  const std::string* path = nullptr;
  const std::string* content_encoding = nullptr;
  const std::string* authority = nullptr;
  const std::string* host = nullptr;
  const std::string* grpc_timeout = nullptr;
  bool has_connection = false;
};

KnownRequestHeaders ScanRequestHeaders(const Headers& headers) {
  KnownRequestHeaders known;
  const auto take = [](const std::string*& slot, const std::string& value) {
    if (slot == nullptr) slot = &value;
  };
  for (const auto& [key, value] : headers) {
    // By length first: most names are none of these and cost one compare.
    switch (key.size()) {
      case 4:
        if (EqualsIgnoreCase(key, "host")) take(known.host, value);
        break;
      case 5:
        if (EqualsIgnoreCase(key, ":path")) take(known.path, value);
        break;
      case 6:
        if (EqualsIgnoreCase(key, "origin")) {
          take(known.origin, value);
        } else if (EqualsIgnoreCase(key, "accept")) {
          take(known.accept, value);
        }
        break;
      case 7:
        if (EqualsIgnoreCase(key, ":method")) take(known.method, value);
        break;
      case 10:
        if (EqualsIgnoreCase(key, ":authority")) {
          take(known.authority, value);
        } else if (EqualsIgnoreCase(key, "connection")) {
          known.has_connection = true;
        }
        break;
      case 12:
        if (EqualsIgnoreCase(key, "content-type")) {
          take(known.content_type, value);
        } else if (EqualsIgnoreCase(key, "grpc-timeout")) {
          take(known.grpc_timeout, value);
        }
        break;
      case 16:
        if (EqualsIgnoreCase(key, "content-encoding")) take(known.content_encoding, value);
        break;
      default:
        break;
    }
  }
  return known;
}

bool IsLowercase(std::string_view name) {
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') return false;
  }
  return true;
}

}  // namespace

GrpcWebStream::GrpcWebStream(const StreamOptions& options)
    : options_(options),
      request_frames_(options.max_message_bytes),
      response_frames_(options.max_message_bytes) {}

absl::Status GrpcWebStream::SetRequestError(absl::Status status) {
  request_status_ = status;
  return status;
}

absl::Status GrpcWebStream::OnRequestHeaders(const Headers& request_headers,
                                             UpstreamRequest* upstream) {
  if (!request_status_.ok()) return request_status_;
  if (request_headers_seen_) {
    return SetRequestError(absl::InternalError("request headers received twice"));
  }
  request_headers_seen_ = true;

  const KnownRequestHeaders known = ScanRequestHeaders(request_headers);
  if (known.origin != nullptr) origin_ = *known.origin;
  const std::string* content_type = known.content_type;
  absl::StatusOr<WireFormat> format = RequestWireFormat(content_type ? *content_type : "");
  request_format_ = format.ok() ? *format : WireFormat::kBinary;
  response_format_ = ResponseWireFormat(known.accept, request_format_);

  const size_t header_bytes = HeaderListBytes(request_headers);
  if (header_bytes > options_.max_header_bytes) {
    return SetRequestError(absl::ResourceExhaustedError(
        absl::StrCat("request headers of ", header_bytes, " bytes exceed the limit of ",
                     options_.max_header_bytes)));
  }
  if (!format.ok()) {
    if (ClassifyContentType(content_type ? *content_type : "") == ContentTypeKind::kNotGrpcWeb) {
      error_http_status_ = kHttpUnsupportedMediaType;
    }
    return SetRequestError(format.status());
  }
  const std::string* method = known.method;
  if (method == nullptr || *method != kCallMethod) {
    return SetRequestError(absl::UnimplementedError(
        absl::StrCat("method ", Quote(method ? *method : ""), ": gRPC-Web calls are POST")));
  }
  const std::string* path = known.path;
  if (path == nullptr || path->empty() || (*path)[0] != '/') {
    return SetRequestError(absl::InvalidArgumentError(
        absl::StrCat("path ", Quote(path ? *path : ""), ": want /<package>.<Service>/<Method>")));
  }
  if (const std::string* encoding = known.content_encoding) {
    if (!EqualsIgnoreCase(TrimOws(*encoding), kIdentity)) {
      return SetRequestError(absl::UnimplementedError(
          absl::StrCat("content-encoding ", Quote(*encoding),
                       ": compressed gRPC-Web request bodies are not supported")));
    }
  }

  upstream->path = *path;
  const std::string* authority = known.authority != nullptr ? known.authority : known.host;
  upstream->authority = authority ? *authority : "";

  const std::vector<std::string> connection =
      known.has_connection ? ConnectionTokens(request_headers) : std::vector<std::string>();
  Headers call_definition;
  Headers metadata;
  for (const auto& [key, raw_value] : request_headers) {
    std::string name = IsLowercase(key) ? key : ToLower(key);
    if (name.empty() || name[0] == ':' || IsHopHeader(name, connection) ||
        IsDroppedRequestHeader(name) || name == "content-encoding" || !IsValidMetadataName(name)) {
      continue;
    }
    const std::string_view value = TrimOws(raw_value);
    if (!IsValidMetadataValue(value)) continue;
    (IsCallDefinitionHeader(name) ? call_definition : metadata)
        .emplace_back(std::move(name), std::string(value));
  }

  Headers& out = upstream->headers;
  out.clear();
  out.reserve(call_definition.size() + metadata.size() + 4);
  out.emplace_back("te", "trailers");
  if (const std::string* timeout = known.grpc_timeout) {
    out.emplace_back("grpc-timeout", std::string(TrimOws(*timeout)));
  }
  out.emplace_back("content-type", std::string(kGrpcContentType));
  if (FindHeader(call_definition, "grpc-accept-encoding") == nullptr) {
    // The browser cannot decompress messages (PROTOCOL-WEB.md, "Compression"), so the backend
    // must not compress unless the client said it could.
    out.emplace_back("grpc-accept-encoding", std::string(kIdentity));
  }
  for (auto& header : call_definition) out.push_back(std::move(header));
  for (auto& header : metadata) out.push_back(std::move(header));
  return absl::OkStatus();
}

absl::Status GrpcWebStream::OnRequestData(std::string_view bytes, bool end_stream,
                                          std::string* upstream_body) {
  if (!request_status_.ok()) return request_status_;
  if (!request_headers_seen_) {
    return SetRequestError(absl::InternalError("request data before request headers"));
  }
  if (request_ended_) return SetRequestError(absl::InternalError("request data after its end"));

  std::string_view framed = bytes;
  if (request_format_ == WireFormat::kText) {
    decoded_.clear();
    absl::Status decoded = base64_.Decode(bytes, &decoded_);
    if (!decoded.ok()) return SetRequestError(decoded);
    framed = decoded_;
  }
  request_frames_.Feed(framed);
  while (request_frames_.Next(&frame_)) {
    if ((frame_.flags & ~kFlagCompressed) != 0) {
      return SetRequestError(absl::InvalidArgumentError(absl::StrFormat(
          "request frame with flags 0x%02x: a request carries messages only (flags 0, or 1 "
          "when compressed)",
          frame_.flags)));
    }
    AppendFrame(frame_.flags, frame_.payload, upstream_body);
  }
  if (!request_frames_.status().ok()) {
    return SetRequestError(
        absl::Status(request_frames_.status().code(),
                     absl::StrCat("request ", std::string(request_frames_.status().message()))));
  }
  if (!end_stream) return absl::OkStatus();

  request_ended_ = true;
  if (request_format_ == WireFormat::kText) {
    absl::Status finished = base64_.Finish();
    if (!finished.ok()) return SetRequestError(finished);
  }
  if (!request_frames_.AtBoundary()) {
    return SetRequestError(absl::InvalidArgumentError(absl::StrCat(
        "request body ends inside a length-prefixed message: ", request_frames_.buffered_bytes(),
        " bytes of its frame arrived")));
  }
  return absl::OkStatus();
}

void GrpcWebStream::EmitHead(ResponseHead head, DownstreamOutput* out) {
  if (options_.cors != nullptr && !origin_.empty()) {
    options_.cors->AddResponseHeaders(origin_, &head.headers);
  }
  out->head = std::move(head);
  head_sent_ = true;
}

void GrpcWebStream::AppendBody(std::string_view frames, std::string* out) const {
  if (frames.empty()) return;
  if (response_format_ == WireFormat::kText) {
    AppendBase64(frames, out);
  } else {
    out->append(frames.data(), frames.size());
  }
}

DownstreamOutput GrpcWebStream::OnResponseHeaders(const ResponseHead& upstream, bool end_stream) {
  DownstreamOutput out;
  if (finished_) return out;
  if (upstream_headers_seen_) {
    FailInto(absl::InternalError("upstream sent a second response header block"), &out);
    return out;
  }
  upstream_headers_seen_ = true;

  const std::string* content_type = FindHeader(upstream.headers, "content-type");
  const std::string* grpc_status = FindHeader(upstream.headers, "grpc-status");
  if (upstream.status != kHttpOk) {
    FailInto(absl::Status(static_cast<absl::StatusCode>(GrpcCodeOfHttpStatus(upstream.status)),
                          absl::StrCat("upstream answered HTTP ", upstream.status)),
             &out);
    return out;
  }
  const bool is_grpc = content_type != nullptr && IsNativeGrpcContentType(*content_type);
  // A trailers-only answer without content-type still says what happened; take it.
  if (!is_grpc && !(end_stream && grpc_status != nullptr)) {
    FailInto(absl::InternalError(absl::StrCat("upstream answered with content-type ",
                                              Quote(content_type ? *content_type : ""),
                                              ", not application/grpc")),
             &out);
    return out;
  }
  if (end_stream && !IsGrpcStatusValue(grpc_status ? *grpc_status : "")) {
    FailInto(absl::UnknownError(absl::StrCat("upstream trailers-only response has grpc-status ",
                                             Quote(grpc_status ? *grpc_status : ""))),
             &out);
    return out;
  }

  ResponseHead head;
  head.status = kHttpOk;
  head.headers.emplace_back("content-type", std::string(ResponseContentType(response_format_)));
  if (end_stream) {
    // grpc-status, then grpc-message, then the rest, as in a trailer block.
    head.headers.emplace_back("grpc-status", *grpc_status);
    const std::string* message = FindHeader(upstream.headers, "grpc-message");
    if (message != nullptr && IsValidMetadataValue(*message)) {
      head.headers.emplace_back("grpc-message", *message);
    }
  }
  const std::vector<std::string> connection = ConnectionTokens(upstream.headers);
  for (const auto& [key, value] : upstream.headers) {
    std::string name = ToLower(key);
    if (name.empty() || name[0] == ':' || name == "content-type" || name == "content-length" ||
        name == "grpc-status" || name == "grpc-message" || IsHopHeader(name, connection) ||
        !IsValidMetadataName(name) || !IsValidMetadataValue(value)) {
      continue;
    }
    head.headers.emplace_back(std::move(name), value);
  }
  const size_t head_bytes = HeaderListBytes(head.headers);
  if (head_bytes > options_.max_header_bytes) {
    FailInto(
        absl::InternalError(absl::StrCat("upstream response headers of ", head_bytes,
                                         " bytes exceed the limit of ", options_.max_header_bytes)),
        &out);
    return out;
  }
  EmitHead(std::move(head), &out);
  if (end_stream) {
    finished_ = true;
    out.end_stream = true;
  }
  return out;
}

DownstreamOutput GrpcWebStream::OnResponseData(std::string_view bytes, bool end_stream) {
  DownstreamOutput out;
  if (finished_) return out;
  if (!head_sent_) {
    FailInto(absl::InternalError("upstream sent data before response headers"), &out);
    return out;
  }
  response_frames_.Feed(bytes);
  std::string frames;
  absl::Status error;
  while (response_frames_.Next(&frame_)) {
    if ((frame_.flags & ~kFlagCompressed) != 0) {
      error = absl::InternalError(absl::StrFormat(
          "upstream response frame with flags 0x%02x: native gRPC messages have flags 0 or 1",
          frame_.flags));
      break;
    }
    AppendFrame(frame_.flags, frame_.payload, &frames);
  }
  if (error.ok() && !response_frames_.status().ok()) {
    error =
        absl::Status(response_frames_.status().code(),
                     absl::StrCat("response ", std::string(response_frames_.status().message())));
  }
  // Whole messages that arrived before a failure still reach the browser, as a backend's
  // own messages before its error status would.
  AppendBody(frames, &out.body);
  if (!error.ok()) {
    FailInto(error, &out);
  } else if (end_stream) {
    FailInto(absl::InternalError("upstream ended the response without trailers"), &out);
  }
  return out;
}

DownstreamOutput GrpcWebStream::OnResponseTrailers(const Headers& trailers) {
  DownstreamOutput out;
  if (finished_) return out;
  if (!head_sent_) {
    FailInto(absl::InternalError("upstream sent trailers before response headers"), &out);
    return out;
  }
  if (!response_frames_.AtBoundary()) {
    FailInto(absl::InternalError(absl::StrCat(
                 "upstream trailers arrived inside a message: ", response_frames_.buffered_bytes(),
                 " bytes of its frame had arrived")),
             &out);
    return out;
  }
  const std::string* grpc_status = FindHeader(trailers, "grpc-status");
  if (!IsGrpcStatusValue(grpc_status ? *grpc_status : "")) {
    FailInto(absl::UnknownError(absl::StrCat("upstream trailers have grpc-status ",
                                             Quote(grpc_status ? *grpc_status : ""))),
             &out);
    return out;
  }
  std::string block;
  AppendTrailerLine("grpc-status", *grpc_status, &block);
  if (const std::string* message = FindHeader(trailers, "grpc-message")) {
    if (IsValidMetadataValue(*message)) AppendTrailerLine("grpc-message", *message, &block);
  }
  for (const auto& [key, value] : trailers) {
    const std::string name = ToLower(key);
    if (name.empty() || name[0] == ':' || name == "grpc-status" || name == "grpc-message" ||
        IsHopByHopHeader(name) || !IsValidMetadataName(name) || !IsValidMetadataValue(value)) {
      continue;
    }
    AppendTrailerLine(name, value, &block);
  }
  if (block.size() > options_.max_header_bytes) {
    FailInto(
        absl::InternalError(absl::StrCat("upstream trailers of ", block.size(),
                                         " bytes exceed the limit of ", options_.max_header_bytes)),
        &out);
    return out;
  }
  std::string frame;
  AppendFrame(kFlagTrailers, block, &frame);
  AppendBody(frame, &out.body);
  finished_ = true;
  out.end_stream = true;
  return out;
}

DownstreamOutput GrpcWebStream::Fail(const absl::Status& status, const Headers& /*extra*/) {
  DownstreamOutput out;
  FailInto(status, &out);
  return out;
}

void GrpcWebStream::FailInto(const absl::Status& status, DownstreamOutput* out) {
  if (finished_) return;
  const std::string code = StatusText(status.code());
  const std::string message = LocalGrpcMessage(status);
  if (!head_sent_) {
    ResponseHead head;
    head.status = error_http_status_;
    head.headers.emplace_back("content-type", std::string(ResponseContentType(response_format_)));
    head.headers.emplace_back("grpc-status", code);
    if (!message.empty()) head.headers.emplace_back("grpc-message", message);
    EmitHead(std::move(head), out);
  } else {
    std::string block;
    AppendTrailerLine("grpc-status", code, &block);
    if (!message.empty()) AppendTrailerLine("grpc-message", message, &block);
    std::string frame;
    AppendFrame(kFlagTrailers, block, &frame);
    AppendBody(frame, &out->body);
  }
  finished_ = true;
  out->end_stream = true;
}

}  // namespace switchboard::gateway::grpcweb
