// gRPC length-prefixed framing (codec/grpc_framing.h): a byte stream cut into chunks by the
// input. Whatever the bytes and the cuts, the decoder accounts for exactly the bytes it was
// given, re-encoding its frames gives back the bytes they came from, the chunking changes
// nothing, and no frame is over the limit.
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "gateway/codec/grpc_framing.h"

namespace switchboard::gateway {
namespace {

// The gateway's default limits.max_message_bytes.
constexpr size_t kDefaultLimit = 4 * 1024 * 1024;

struct Decoded {
  std::vector<GrpcFrame> frames;
  absl::Status status;
  size_t buffered = 0;
};

Decoded DecodeAll(std::string_view stream, size_t max_message_bytes,
                  const std::vector<size_t>& cuts) {
  FrameDecoder decoder(max_message_bytes);
  Decoded decoded;
  size_t fed = 0;
  size_t framed = 0;
  auto drain = [&] {
    GrpcFrame frame;
    while (decoder.Next(&frame)) {
      SB_FUZZ_CHECK(frame.payload.size() <= max_message_bytes);
      framed += kFrameHeaderBytes + frame.payload.size();
      decoded.frames.push_back(frame);
    }
    // Never more bytes reported than were given.
    SB_FUZZ_CHECK(framed + decoder.buffered_bytes() == fed);
    SB_FUZZ_CHECK(decoder.AtBoundary() == (decoder.buffered_bytes() == 0));
  };
  size_t at = 0;
  for (size_t cut : cuts) {
    const auto chunk = stream.substr(at, cut);
    decoder.Feed(chunk);
    fed += chunk.size();
    at += chunk.size();
    drain();
  }
  decoder.Feed(stream.substr(at));
  fed += stream.size() - at;
  drain();
  decoded.status = decoder.status();
  decoded.buffered = decoder.buffered_bytes();
  if (!decoded.status.ok()) {
    SB_FUZZ_CHECK(decoded.status.code() == absl::StatusCode::kResourceExhausted);
    GrpcFrame frame;
    SB_FUZZ_CHECK(!decoder.Next(&frame));  // failed for good
  }
  return decoded;
}

}  // namespace
}  // namespace switchboard::gateway

// Input: an options byte (bit 7 set: a limit of the low 7 bits in bytes, else the default 4 MiB),
// a chunk-size byte (0: one chunk), then the byte stream.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::gateway;
  if (size < 2) return 0;
  const size_t max_message_bytes = (data[0] & 0x80) != 0 ? data[0] & 0x7f : kDefaultLimit;
  const size_t chunk = data[1];
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::vector<size_t> cuts;
  if (chunk > 0) cuts.assign(stream.size() / chunk, chunk);

  const Decoded chunked = DecodeAll(stream, max_message_bytes, cuts);
  const Decoded whole = DecodeAll(stream, max_message_bytes, {});
  SB_FUZZ_CHECK(chunked.frames.size() == whole.frames.size());
  SB_FUZZ_CHECK(chunked.status.code() == whole.status.code());
  SB_FUZZ_CHECK(chunked.buffered == whole.buffered);

  std::string encoded;
  for (size_t i = 0; i < whole.frames.size(); ++i) {
    SB_FUZZ_CHECK(chunked.frames[i].flags == whole.frames[i].flags);
    SB_FUZZ_CHECK(chunked.frames[i].payload == whole.frames[i].payload);
    AppendFrame(whole.frames[i].flags, whole.frames[i].payload, &encoded);
  }
  // The frames are the stream's prefix, byte for byte.
  SB_FUZZ_CHECK(stream.substr(0, encoded.size()) == encoded);
  if (whole.status.ok()) SB_FUZZ_CHECK(encoded.size() + whole.buffered == stream.size());
  return 0;
}
