// One gRPC-Web call as the browser and the backend send it (grpcweb/grpc_web_stream.h): the
// request head (content type, accept, metadata), the request body in binary or text mode, and
// the backend's frames back. Checked: the backend only ever gets whole frames with flags 0 or 1
// under the limit and valid gRPC metadata (grpc-timeout aside, which the proxy judges); in binary
// mode the frames are the body's bytes; the browser gets whole frames in its wire format; every
// hook after the end gives nothing.
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "gateway/codec/grpc_framing.h"
#include "gateway/grpcweb/grpc_web_stream.h"

namespace switchboard::gateway::grpcweb {
namespace {

constexpr size_t kMaxMessageBytes = 1024;
constexpr size_t kMaxHeaderBytes = 4096;

// Input: header lines "name: value\n" up to an empty line, then the body. The same body bytes
// stand for the backend's response. The chunk size comes from the body's length, so that the
// fuzzer reaches every split.
struct Call {
  Headers headers;
  std::string_view body;
};

Call ParseInput(std::string_view input) {
  Call call;
  while (!input.empty()) {
    const size_t end = input.find('\n');
    const std::string_view line = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    if (line.empty()) break;
    const size_t colon = line.find(':', 1);  // pseudo-headers start with ':'
    if (colon == std::string_view::npos) continue;
    call.headers.emplace_back(std::string(line.substr(0, colon)),
                              std::string(TrimOws(line.substr(colon + 1))));
  }
  call.body = input;
  return call;
}

std::vector<std::string_view> Chunks(std::string_view bytes) {
  const size_t chunk = 1 + bytes.size() % 13;
  std::vector<std::string_view> chunks;
  for (size_t at = 0; at < bytes.size(); at += chunk) chunks.push_back(bytes.substr(at, chunk));
  return chunks;
}

// Whole native frames with flags 0 or 1, none over the limit.
void CheckNativeFrames(std::string_view bytes) {
  FrameDecoder decoder(kMaxMessageBytes);
  decoder.Feed(bytes);
  GrpcFrame frame;
  while (decoder.Next(&frame)) SB_FUZZ_CHECK(frame.flags <= kFlagCompressed);
  SB_FUZZ_CHECK(decoder.status().ok());
  SB_FUZZ_CHECK(decoder.AtBoundary());
}

void CheckRequest(GrpcWebStream& stream, const Call& call) {
  UpstreamRequest upstream;
  if (!stream.OnRequestHeaders(call.headers, &upstream).ok()) return;
  SB_FUZZ_CHECK(!upstream.path.empty() && upstream.path[0] == '/');
  for (const auto& [name, value] : upstream.headers) {
    SB_FUZZ_CHECK(IsValidMetadataName(name));
    // grpc-timeout goes on verbatim: the proxy judges it (a malformed one fails the call) and
    // sends its own.
    if (name != "grpc-timeout") SB_FUZZ_CHECK(IsValidMetadataValue(value));
  }
  std::string sent;
  absl::Status status;
  for (const std::string_view chunk : Chunks(call.body)) {
    status = stream.OnRequestData(chunk, false, &sent);
    if (!status.ok()) break;
  }
  if (status.ok()) status = stream.OnRequestData("", true, &sent);
  if (!status.ok()) return;
  CheckNativeFrames(sent);
  if (stream.request_format() == WireFormat::kBinary) SB_FUZZ_CHECK(sent == call.body);
}

void CheckResponse(GrpcWebStream& stream, const Call& call) {
  std::string body;
  bool ended = false;
  auto take = [&](const DownstreamOutput& out) {
    SB_FUZZ_CHECK(!ended || (out.body.empty() && !out.head));
    body += out.body;
    ended = ended || out.end_stream;
  };
  take(stream.OnResponseHeaders({200, {{":status", "200"}, {"content-type", "application/grpc"}}},
                                false));
  for (const std::string_view chunk : Chunks(call.body)) take(stream.OnResponseData(chunk, false));
  take(stream.OnResponseTrailers({{"grpc-status", "0"}}));
  take(stream.Fail(absl::InternalError("after the end")));
  SB_FUZZ_CHECK(ended);
  std::string frames = body;
  if (stream.response_format() == WireFormat::kText) {
    frames.clear();
    Base64StreamDecoder decoder;
    SB_FUZZ_CHECK(decoder.Decode(body, &frames).ok());
    SB_FUZZ_CHECK(decoder.Finish().ok());
  }
  FrameDecoder decoder(kMaxMessageBytes + kMaxHeaderBytes);
  decoder.Feed(frames);
  GrpcFrame frame;
  while (decoder.Next(&frame)) {
  }
  SB_FUZZ_CHECK(decoder.status().ok());
  SB_FUZZ_CHECK(decoder.AtBoundary());
}

}  // namespace
}  // namespace switchboard::gateway::grpcweb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::gateway::grpcweb;
  const Call call = ParseInput(std::string_view(reinterpret_cast<const char*>(data), size));
  StreamOptions options;
  options.max_message_bytes = kMaxMessageBytes;
  options.max_header_bytes = kMaxHeaderBytes;
  GrpcWebStream stream(options);
  CheckRequest(stream, call);
  CheckResponse(stream, call);
  return 0;
}
