// The application/grpc-web-text request body (grpcweb/base64_stream.h): base64 text in chunks.
// Checked: the decoder gives the same bytes and the same verdict whatever the chunking, never
// more than 3 bytes per 4 characters consumed, stays failed once failed, and decodes whatever
// AppendBase64 encodes.
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "gateway/grpcweb/base64_stream.h"

namespace switchboard::gateway::grpcweb {
namespace {

struct Result {
  std::string bytes;
  absl::Status status;
  uint64_t offset = 0;
};

Result DecodeInChunks(std::string_view text, size_t chunk) {
  Base64StreamDecoder decoder;
  Result result;
  if (chunk == 0) chunk = text.size() + 1;
  for (size_t at = 0; at < text.size(); at += chunk) {
    const absl::Status status = decoder.Decode(text.substr(at, chunk), &result.bytes);
    SB_FUZZ_CHECK(decoder.offset() <= text.size());
    SB_FUZZ_CHECK(result.bytes.size() <= decoder.offset() / 4 * 3);
    if (!status.ok()) {
      SB_FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
      // Failed for good: nothing more is decoded.
      const size_t before = result.bytes.size();
      SB_FUZZ_CHECK(decoder.Decode("AAAA", &result.bytes).code() == status.code());
      SB_FUZZ_CHECK(result.bytes.size() == before);
      break;
    }
  }
  result.status = decoder.Finish();
  result.offset = decoder.offset();
  return result;
}

}  // namespace
}  // namespace switchboard::gateway::grpcweb

// Input: a chunk-size byte (0: one chunk), then the body text.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::gateway::grpcweb;
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Result chunked = DecodeInChunks(text, data[0]);
  const Result whole = DecodeInChunks(text, 0);
  SB_FUZZ_CHECK(chunked.bytes == whole.bytes);
  SB_FUZZ_CHECK(chunked.status.code() == whole.status.code());
  SB_FUZZ_CHECK(chunked.offset == whole.offset);
  if (whole.status.ok()) SB_FUZZ_CHECK(whole.offset == text.size());

  // Any bytes, encoded, decode back to themselves, in one padded unit or several.
  std::string encoded;
  AppendBase64(text, &encoded);
  SB_FUZZ_CHECK(encoded.size() == Base64EncodedSize(text.size()));
  const size_t half = text.size() / 2;
  std::string flushes;
  AppendBase64(text.substr(0, half), &flushes);
  AppendBase64(text.substr(half), &flushes);
  for (const std::string& body : {encoded, flushes}) {
    const Result round_trip = DecodeInChunks(body, data[0]);
    SB_FUZZ_CHECK(round_trip.status.ok());
    SB_FUZZ_CHECK(round_trip.bytes == text);
  }
  return 0;
}
