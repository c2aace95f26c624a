#include "gateway/codec/grpc_framing.h"

#include <gtest/gtest.h>

namespace switchboard::gateway {
namespace {

TEST(GrpcFraming, RoundTripsAcrossAnyChunking) {
  std::string stream;
  AppendFrame(0, "hello", &stream);
  AppendFrame(0, "", &stream);
  AppendFrame(kFlagTrailers, "grpc-status:0\r\n", &stream);
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    FrameDecoder decoder(1024);
    std::vector<GrpcFrame> frames;
    for (size_t i = 0; i < stream.size(); i += chunk) {
      decoder.Feed(std::string_view(stream).substr(i, chunk));
      GrpcFrame frame;
      while (decoder.Next(&frame)) frames.push_back(frame);
    }
    ASSERT_EQ(frames.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(frames[0].payload, "hello");
    EXPECT_EQ(frames[1].payload, "");
    EXPECT_EQ(frames[2].flags, kFlagTrailers);
    EXPECT_TRUE(decoder.AtBoundary());
  }
}

TEST(GrpcFraming, TruncatedFrameIsNotABoundary) {
  std::string stream;
  AppendFrame(0, "hello", &stream);
  FrameDecoder decoder(1024);
  decoder.Feed(std::string_view(stream).substr(0, 7));
  GrpcFrame frame;
  EXPECT_FALSE(decoder.Next(&frame));
  EXPECT_FALSE(decoder.AtBoundary());
  EXPECT_TRUE(decoder.status().ok());
}

TEST(GrpcFraming, OversizedFrameFailsBeforeBuffering) {
  std::string header = {0, 0x7f, 0, 0, 0};  // declares ~2 GiB
  FrameDecoder decoder(4 * 1024 * 1024);
  decoder.Feed(header);
  GrpcFrame frame;
  EXPECT_FALSE(decoder.Next(&frame));
  EXPECT_EQ(decoder.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(decoder.status().message().find("limit"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::gateway
