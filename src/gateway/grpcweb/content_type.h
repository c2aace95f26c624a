// Which gRPC-Web wire format a request speaks (its Content-Type) and which one its response
// must use (the Accept header), per grpc/grpc doc/PROTOCOL-WEB.md.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace switchboard::gateway::grpcweb {

// kBinary: length-prefixed frames as they are. kText: the same bytes, base64-encoded.
enum class WireFormat { kBinary, kText };

enum class ContentTypeKind {
  kGrpcWeb,            // application/grpc-web, application/grpc-web+proto
  kGrpcWebText,        // application/grpc-web-text, application/grpc-web-text+proto,
                       // application/grpc-web-text-base64 (the spec's explicit spelling)
  kGrpcWebOtherCodec,  // gRPC-Web with a codec other than proto: +json, +thrift, ...
  kNotGrpcWeb,         // anything else, native application/grpc included
};

// Parameters (";charset=...") are ignored, case is not significant, spaces around are allowed.
ContentTypeKind ClassifyContentType(std::string_view content_type);

// For dispatch: true when the request belongs to the gRPC-Web translation. A gRPC-Web request
// with an unsupported codec counts, so its client gets a gRPC-Web UNIMPLEMENTED it can read.
bool IsGrpcWebContentType(std::string_view content_type);

// The wire format of a request body. UNIMPLEMENTED for a codec other than proto;
// INVALID_ARGUMENT for a content type that is not gRPC-Web. The messages name the value.
absl::StatusOr<WireFormat> RequestWireFormat(std::string_view content_type);

// The format of the response: text when an Accept media range names gRPC-Web text (what the
// official JS client sends in its default "text" mode); binary when Accept names only binary
// gRPC-Web; otherwise (no Accept, "*/*") the request's own format. `accept` may be null.
WireFormat ResponseWireFormat(const std::string* accept, WireFormat request_format);

// The response Content-Type for a format. Always "+proto", as Envoy does: proto is the only
// codec translated, and the JS client matches on the "application/grpc-web-text" prefix.
std::string_view ResponseContentType(WireFormat format);

// A native gRPC response or request: "application/grpc", "application/grpc+<codec>", any
// parameters.
bool IsNativeGrpcContentType(std::string_view content_type);

inline constexpr std::string_view kGrpcWebProtoContentType = "application/grpc-web+proto";
inline constexpr std::string_view kGrpcWebTextProtoContentType = "application/grpc-web-text+proto";
inline constexpr std::string_view kGrpcContentType = "application/grpc";

}  // namespace switchboard::gateway::grpcweb
