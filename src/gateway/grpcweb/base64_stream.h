// Base64 for application/grpc-web-text bodies (PROTOCOL-WEB.md, "Text-encoded streams"):
// a streaming decoder for requests and a per-flush encoder for responses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace switchboard::gateway::grpcweb {

// Decodes a request body sent as base64 text, whatever the chunk boundaries. The body is a
// sequence of 4-character groups of the standard alphabet (RFC 4648 §4); a group may end in
// padding ("xx==", "xxx=") and more groups may follow it, because a client pads each flush on
// its own. Holds at most 3 characters between calls, so memory is constant.
class Base64StreamDecoder {
 public:
  // Appends the bytes decoded from `chunk` to `out`. INVALID_ARGUMENT, naming the byte and its
  // offset in the body, for a character outside the alphabet (whitespace and the URL-safe
  // alphabet included) or padding anywhere but the end of a group; the decoder then stays
  // failed and `out` holds what was decoded before the bad group.
  absl::Status Decode(std::string_view chunk, std::string* out);
  // At the end of the body: INVALID_ARGUMENT when it stopped inside a group (padding is
  // mandatory, as the official client and Envoy have it).
  absl::Status Finish() const;
  // Characters consumed so far.
  uint64_t offset() const { return offset_; }

 private:
  uint8_t group_[4] = {0, 0, 0, 0};
  size_t group_size_ = 0;
  // Number of '=' in the current group; once set, the group must be completed with '='.
  size_t padding_ = 0;
  uint64_t offset_ = 0;
  absl::Status status_;
};

// Appends `bytes` as padded standard base64: every call is a self-contained unit a client can
// decode on its own, so a server can flush message by message.
void AppendBase64(std::string_view bytes, std::string* out);
size_t Base64EncodedSize(size_t bytes);

}  // namespace switchboard::gateway::grpcweb
