// The status of a gRPC call on the wire (PROTOCOL-HTTP2.md): grpc-status and grpc-message in
// trailers, or in the headers of a trailers-only response.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::gateway {

// Whether a grpc-status value may be passed on as it is: 1*DIGIT, at most kMaxStatusDigits
// (codes past the ones known today included, as a proxy forwards them).
bool IsGrpcStatusValue(std::string_view value);
inline constexpr size_t kMaxStatusDigits = 10;

// The gRPC status code in a grpc-status header value: UNKNOWN (2) unless it is a decimal number
// in 0..16, as a client must treat a missing or unparsable one.
int ParseGrpcStatus(std::string_view header_value);

// grpc-status from the trailers, else from the headers of a trailers-only response, parsed as
// ParseGrpcStatus does; -1 when neither has one.
int GrpcStatusOf(const std::string* trailers_status, const std::string* headers_status);

// Decodes a grpc-message header value: "%XX" escapes become bytes; a malformed escape is kept as
// it is, since PROTOCOL-HTTP2.md says a receiver must not fail on one.
std::string DecodeGrpcMessage(std::string_view header_value);
// Encodes a message for grpc-message: bytes outside 0x20..0x7E, and '%', become "%XX"
// (uppercase hex).
std::string EncodeGrpcMessage(std::string_view message);
// `text` with every byte that is not part of a valid UTF-8 sequence replaced by '?', so that an
// encoded message always decodes as UTF-8 (the JS client's decodeURIComponent throws on invalid
// UTF-8).
std::string ToValidUtf8(std::string_view text);

}  // namespace switchboard::gateway
