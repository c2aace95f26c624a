#include "rest_stream.h"

#include <utility>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "errors.h"
#include "gateway/codec/grpc_framing.h"
#include "gateway/codec/status_codes.h"
#include "raw_body.h"

namespace switchboard::gateway::rest {
namespace {

std::string HeaderOr(const Headers& headers, std::string_view name, std::string_view otherwise) {
  const std::string* value = FindHeader(headers, name);
  return value != nullptr ? *value : std::string(otherwise);
}

}  // namespace

RestStream::RestStream(const RouteTable& routes, const Transcoder& transcoder,
                       RestStreamOptions options)
    : routes_(&routes), transcoder_(&transcoder), options_(options) {}

absl::Status RestStream::RequestError(absl::Status status) {
  request_failed_ = true;
  return status;
}

absl::Status RestStream::OnRequestHeaders(const Headers& request_headers,
                                          UpstreamRequest* upstream) {
  const std::string method = HeaderOr(request_headers, ":method", "");
  const std::string target = HeaderOr(request_headers, ":path", "");
  upstream->authority = HeaderOr(request_headers, ":authority", "");
  if (upstream->authority.empty()) upstream->authority = HeaderOr(request_headers, "host", "");
  auto [path, query] = SplitRequestTarget(target);
  auto matched = MatchRestRoute(*routes_, method, path);
  if (auto* rejection = std::get_if<RestRejection>(&matched)) {
    route_ = rejection->route;
    if (route_ != nullptr) upstream->path = route_->grpc_path;
    rejection_headers_ = std::move(rejection->extra);
    return RequestError(rejection->http_status != 0
                            ? WithHttpStatus(rejection->status, rejection->http_status)
                            : rejection->status);
  }
  auto& match = std::get<RouteMatch>(matched);
  route_ = match.route;
  bindings_ = std::move(match.bindings);
  query_ = std::string(query);
  upstream->path = route_->grpc_path;
  upstream->headers = RestRequestMetadata(request_headers);
  if (const std::string* timeout = FindHeader(request_headers, "grpc-timeout")) {
    upstream->headers.emplace_back("grpc-timeout", *timeout);
  }
  response_.emplace(*transcoder_, *route_, WantsServerSentEvents(request_headers),
                    options_.max_message_bytes);
  // A download's Range goes to the backend as the request's offset and limit, so that it
  // seeks; any other route, or a Range this does not take, gets the whole answer.
  const std::string* range_header = FindHeader(request_headers, "range");
  if (range_header != nullptr && method == "GET" && StreamsRawBody(*route_) &&
      AcceptsByteRange(*route_)) {
    if (auto range = ParseRangeHeader(*range_header)) {
      absl::StrAppend(&query_, query_.empty() ? "" : "&", RangeQuery(*range));
      response_->SetRange(*range);
    }
  }
  const auto kind =
      StreamedBodyKindOf(*route_, method, FindHeader(request_headers, "content-type"));
  if (!kind) {
    upstream->call_needs_whole_body = true;
    return absl::OkStatus();
  }
  // A client-streaming method with an NDJSON or raw body: each message goes to the backend as
  // it is complete, never the whole body at once.
  // Set before the checks below: the codec answers their errors at once rather than read
  // (or buffer) a body that is a stream.
  upstream->body_is_stream = true;
  auto created = RequestStream::Create(*transcoder_, *route_, bindings_, query_, *kind,
                                       options_.max_message_bytes);
  if (!created.ok()) return RequestError(created.status());
  request_stream_ = std::move(*created);
  const std::string* length = FindHeader(request_headers, "content-length");
  uint64_t declared = 0;
  if (options_.max_body_bytes > 0 && length != nullptr && absl::SimpleAtoi(*length, &declared) &&
      declared > options_.max_body_bytes) {
    return RequestError(WithHttpStatus(
        absl::ResourceExhaustedError(absl::StrCat("request body of ", declared,
                                                  " bytes is larger than limits.max_body_bytes (",
                                                  options_.max_body_bytes, ")")),
        kHttpPayloadTooLarge));
  }
  return absl::OkStatus();
}

absl::Status RestStream::OnRequestData(std::string_view bytes, bool end_stream,
                                       std::string* upstream_body) {
  if (route_ == nullptr || request_failed_) {
    return absl::FailedPreconditionError("request data for a REST call without its route");
  }
  if (request_stream_) {
    streamed_bytes_ += bytes.size();
    if (options_.max_body_bytes > 0 && streamed_bytes_ > options_.max_body_bytes) {
      return RequestError(WithHttpStatus(
          absl::ResourceExhaustedError(absl::StrCat(
              "request body is larger than limits.max_body_bytes (", options_.max_body_bytes, ")")),
          kHttpPayloadTooLarge));
    }
    absl::Status status = request_stream_->Feed(bytes, upstream_body);
    if (status.ok() && end_stream) status = request_stream_->Finish(upstream_body);
    return status.ok() ? status : RequestError(std::move(status));
  }
  if (body_.size() + bytes.size() > options_.max_message_bytes) {
    std::string().swap(body_);
    return RequestError(WithHttpStatus(
        absl::ResourceExhaustedError("request body is larger than limits.max_message_bytes"),
        kHttpPayloadTooLarge));
  }
  body_.append(bytes);
  if (!end_stream) return absl::OkStatus();
  auto message = transcoder_->TranscodeRequest(*route_, bindings_, query_, body_);
  std::string().swap(body_);
  if (!message.ok()) return RequestError(message.status());
  AppendFrame(0, *message, upstream_body);
  return absl::OkStatus();
}

DownstreamOutput RestStream::OnResponseHeaders(const ResponseHead& upstream, bool end_stream) {
  if (!response_) return {};
  response_headers_ = upstream.headers;
  if (end_stream) {
    // Trailers-only: the status is in these headers.
    auto [code, message] = GrpcStatusOf(upstream.headers);
    return Finish(code, message, {}, upstream.headers);
  }
  return response_->OnResponseHeaders(upstream.headers);
}

DownstreamOutput RestStream::OnResponseData(std::string_view bytes, bool end_stream) {
  if (!response_) return {};
  auto output = response_->OnResponseData(bytes);
  if (!output.ok()) {
    DownstreamOutput failed = Finish(kGrpcInternal, std::string(output.status().message()), {}, {});
    failed.gateway_status = kGrpcInternal;
    return failed;
  }
  if (end_stream) {
    // The backend ended without trailers: INTERNAL "backend sent no grpc-status".
    auto [code, message] = GrpcStatusOf({});
    DownstreamOutput last = Finish(code, message, {}, {});
    if (last.head && !output->head) output->head = std::move(last.head);
    output->body += last.body;
    output->end_stream = true;
  }
  return std::move(*output);
}

DownstreamOutput RestStream::OnResponseTrailers(const Headers& trailers) {
  if (!response_) return {};
  auto [code, message] = GrpcStatusOf(trailers);
  return Finish(code, message, trailers, trailers);
}

DownstreamOutput RestStream::Fail(const absl::Status& status, const Headers& extra) {
  // Whatever of the request is held goes now: the stream may stay open a while (until the
  // client stops sending), its bytes no longer counted anywhere.
  std::string().swap(body_);
  request_stream_.reset();
  // The request's own errors, and the codec's that name their HTTP status (408 for a body
  // that does not arrive, 413), are answered as such while no head is out.
  const bool request_error =
      request_failed_ || status.GetPayload(kHttpStatusPayloadUrl).has_value();
  if (!response_ || (request_error && !response_->head_sent())) {
    if (answered_ || (response_ && response_->finished())) return {};
    answered_ = true;
    // Later events find the call over.
    if (response_) response_->Finish(kGrpcCancelled, "", {}, {}, nullptr);
    Headers headers = rejection_headers_;
    headers.insert(headers.end(), extra.begin(), extra.end());
    return RestErrorOutput(status, 0, std::move(headers));
  }
  return Finish(static_cast<int>(status.code()), std::string(status.message()), {}, extra, extra);
}

DownstreamOutput RestStream::Finish(int grpc_code, const std::string& message,
                                    const Headers& trailers, const Headers& trace_source,
                                    const Headers& extra) {
  const std::string* trace = FindHeader(trace_source, "x-deadline-budget");
  DownstreamOutput output =
      response_->Finish(grpc_code, message, response_headers_, trailers, trace);
  if (output.head) {
    for (const auto& header : extra) {
      if (header.first != "x-deadline-budget") output.head->headers.push_back(header);
    }
    // An OK call answered with an error: the response was not the route's message, or none
    // came. The gateway failed it, as the metrics and the access log must say.
    if (grpc_code == kGrpcOk && output.head->status >= kHttpInternalServerError) {
      output.gateway_status = kGrpcInternal;
    }
  }
  return output;
}

}  // namespace switchboard::gateway::rest
