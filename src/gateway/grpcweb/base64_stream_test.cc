#include "base64_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace switchboard::gateway::grpcweb {
namespace {

// Decodes `text` fed in chunks of `chunk` characters; returns the status of the first failure
// (Decode or Finish) and the bytes decoded.
absl::Status DecodeChunked(const std::string& text, size_t chunk, std::string* out) {
  Base64StreamDecoder decoder;
  for (size_t i = 0; i < text.size(); i += chunk) {
    absl::Status status = decoder.Decode(std::string_view(text).substr(i, chunk), out);
    if (!status.ok()) return status;
  }
  return decoder.Finish();
}

TEST(Base64Encode, PadsEveryCall) {
  struct Case {
    std::string bytes;
    std::string want;
  };
  const Case cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string("\x00\xff\xfe", 3), "AP/+"},
  };
  for (const Case& c : cases) {
    std::string out = "prefix:";
    AppendBase64(c.bytes, &out);
    EXPECT_EQ(out, "prefix:" + c.want) << c.bytes;
    EXPECT_EQ(Base64EncodedSize(c.bytes.size()), c.want.size());
  }
}

TEST(Base64Decode, AcceptsAnyChunkingAndConcatenatedPaddedSegments) {
  struct Case {
    std::string text;
    std::string want;
  };
  const Case cases[] = {
      {"", ""},
      {"Zg==", "f"},
      {"Zm8=", "fo"},
      {"Zm9vYmFy", "foobar"},
      // Each flush padded on its own, then concatenated (PROTOCOL-WEB.md).
      {"Zg==Zg==", "ff"},
      {"Zm8=Zm9vYg==Zm9v", "fofoobfoo"},
      {"Zg==Zm8=Zm9v", "ffofoo"},
      {"AP/+", std::string("\x00\xff\xfe", 3)},
  };
  for (const Case& c : cases) {
    for (size_t chunk = 1; chunk <= c.text.size() + 1; ++chunk) {
      SCOPED_TRACE(c.text + " in chunks of " + std::to_string(chunk));
      std::string out;
      ASSERT_TRUE(DecodeChunked(c.text, chunk, &out).ok());
      EXPECT_EQ(out, c.want);
    }
  }
}

TEST(Base64Decode, RoundTripsPerFlushEncoding) {
  std::string text;
  std::string want;
  for (int i = 0; i < 50; ++i) {
    const std::string flush(static_cast<size_t>(i), static_cast<char>(i * 7));
    AppendBase64(flush, &text);
    want += flush;
  }
  for (size_t chunk : {1, 2, 3, 5, 7, 64, 1000}) {
    std::string out;
    ASSERT_TRUE(DecodeChunked(text, chunk, &out).ok()) << chunk;
    EXPECT_EQ(out, want);
  }
}

TEST(Base64Decode, RejectsMalformedText) {
  struct Case {
    std::string text;
    std::string message_part;
  };
  const Case cases[] = {
      {"Zm9v*mFy", "byte 0x2a ('*') at offset 4 is not in the base64 alphabet"},
      {"Zm9v\nYmFy", "byte 0x0a at offset 4 is not in the base64"},
      {"Zm9v YmFy", "byte 0x20 (' ') at offset 4"},
      {"Zm9-", "byte 0x2d ('-') at offset 3"},              // URL-safe alphabet
      {"Zm9_", "byte 0x5f ('_') at offset 3"},              // URL-safe alphabet
      {"Zm9v\xc3\xa9", "byte 0xc3 at offset 4"},            // non-ASCII
      {"=Zg=", "'=' at offset 0 is character 1"},           // padding first
      {"Z===", "'=' at offset 1 is character 2"},           // too much padding
      {"Zg=a", "byte 0x61 ('a') at offset 3 follows '='"},  // padding in the middle
      {"Zg==Z=Zg", "'=' at offset 5 is character 2"},
      {"Zm9", "ends after 3 characters, 3 into a 4-character base64 group"},
      {"Zg==Zg", "ends after 6 characters, 2 into"},
      {"Zg=", "ends after 3 characters, 3 into"},  // unpadded at the end
  };
  for (const Case& c : cases) {
    for (size_t chunk = 1; chunk <= c.text.size(); ++chunk) {
      SCOPED_TRACE(c.text + " in chunks of " + std::to_string(chunk));
      std::string out;
      const absl::Status status = DecodeChunked(c.text, chunk, &out);
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(status.message().find(c.message_part), std::string::npos) << status.message();
    }
  }
}

TEST(Base64Decode, StaysFailedAndKeepsGoodPrefix) {
  Base64StreamDecoder decoder;
  std::string out;
  EXPECT_FALSE(decoder.Decode("Zm9vYm*y", &out).ok());
  EXPECT_EQ(out, "foo");  // the complete group before the bad one
  EXPECT_FALSE(decoder.Decode("Zm9v", &out).ok());
  EXPECT_EQ(out, "foo");
  EXPECT_FALSE(decoder.Finish().ok());
}

}  // namespace
}  // namespace switchboard::gateway::grpcweb
