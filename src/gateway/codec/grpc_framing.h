// The gRPC length-prefixed message framing (grpc/grpc doc/PROTOCOL-HTTP2.md: a flag byte, a
// 4-byte big-endian length, the message), in one place for every codec of the gateway.
// gRPC-Web uses the same framing, with flag bit 0x80 marking the trailers frame.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace switchboard::gateway {

inline constexpr size_t kFrameHeaderBytes = 5;
inline constexpr uint8_t kFlagCompressed = 0x01;
inline constexpr uint8_t kFlagTrailers = 0x80;

struct GrpcFrame {
  uint8_t flags = 0;
  std::string payload;
};

// Appends one frame holding `payload` to `out`.
void AppendFrame(uint8_t flags, std::string_view payload, std::string* out);

// Splits a byte stream into frames, whatever the chunk boundaries. Bounded: a frame whose
// declared length exceeds `max_message_bytes` is an error before its payload is buffered.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Adds bytes; complete frames become available through Next().
  void Feed(std::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }
  // The next complete frame; false when more bytes are needed or on error (see status()).
  bool Next(GrpcFrame* frame);
  // RESOURCE_EXHAUSTED for an oversized frame; OK otherwise.
  const absl::Status& status() const { return status_; }
  // True when no partial frame is buffered: a stream may end here cleanly.
  bool AtBoundary() const { return buffer_.size() == offset_; }
  size_t buffered_bytes() const { return buffer_.size() - offset_; }

 private:
  size_t max_message_bytes_;
  std::string buffer_;
  size_t offset_ = 0;
  absl::Status status_;
};

}  // namespace switchboard::gateway
