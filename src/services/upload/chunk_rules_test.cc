#include "services/upload/chunk_rules.h"

#include <gtest/gtest.h>

namespace switchboard::upload {
namespace {

v1::FileChunk Chunk(int32_t number, std::string data = "x", std::string name = "") {
  v1::FileChunk chunk;
  chunk.set_chunk_number(number);
  chunk.set_data(std::move(data));
  chunk.set_file_name(std::move(name));
  return chunk;
}

TEST(ChunkSequence, ConsecutiveChunksAreCounted) {
  ChunkSequence sequence(1000);
  ASSERT_TRUE(sequence.Accept(Chunk(1, "abc", "a.txt")).ok());
  ASSERT_TRUE(sequence.Accept(Chunk(2, "")).ok());
  ASSERT_TRUE(sequence.Accept(Chunk(3, "de")).ok());
  EXPECT_TRUE(sequence.CheckComplete().ok());
  EXPECT_EQ(sequence.chunks(), 3);
  EXPECT_EQ(sequence.total_bytes(), 5);
  EXPECT_EQ(sequence.file_name(), "a.txt");
}

TEST(ChunkSequence, BadNumberingIsInvalidArgumentWithTheNumbers) {
  struct Case {
    std::vector<int32_t> numbers;  // the last one is the bad one
    std::string message;
  } cases[] = {
      {{0, 1}, "chunk_number 1 after 1 unnumbered chunks: number every chunk"},
      {{0, 0, 0, 4}, "chunk_number 4 after 3 unnumbered chunks"},
      {{1, 0}, "chunk_number 0 after chunk_number 1: number every chunk"},
      {{1, 2, 0}, "chunk_number 0 after chunk_number 2"},
      {{2}, "chunk_number 2 at the start"},
      {{-1}, "chunk_number -1 at the start"},
      {{1, 2, 4}, "chunk_number 4 after 2: chunks must be consecutive"},
      {{1, 2, 3, 4, 5, 7}, "chunk_number 7 after 5: chunks must be consecutive"},
      {{1, 1}, "chunk_number 1 after 1"},
      {{1, 2, 1}, "chunk_number 1 after 2"},
  };
  for (const auto& c : cases) {
    ChunkSequence sequence(1000);
    for (size_t i = 0; i + 1 < c.numbers.size(); ++i) {
      ASSERT_TRUE(sequence.Accept(Chunk(c.numbers[i])).ok());
    }
    absl::Status status = sequence.Accept(Chunk(c.numbers.back()));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_NE(status.message().find(c.message), std::string::npos) << status.message();
  }
}

TEST(ChunkSequence, UnnumberedChunksCountInArrivalOrder) {
  ChunkSequence sequence(1000);
  ASSERT_TRUE(sequence.Accept(Chunk(0, "abc", "a.txt")).ok());
  ASSERT_TRUE(sequence.Accept(Chunk(0, "")).ok());
  ASSERT_TRUE(sequence.Accept(Chunk(0, "de")).ok());
  EXPECT_TRUE(sequence.CheckComplete().ok());
  EXPECT_EQ(sequence.chunks(), 3);
  EXPECT_EQ(sequence.total_bytes(), 5);
  EXPECT_EQ(sequence.file_name(), "a.txt");
  absl::Status late_name = sequence.Accept(Chunk(0, "x", "late.txt"));
  EXPECT_EQ(late_name.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(late_name.message().find("on chunk_number 4"), std::string::npos)
      << late_name.message();
}

TEST(ChunkSequence, NoChunksIsNotComplete) {
  ChunkSequence sequence(1000);
  absl::Status status = sequence.CheckComplete();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("empty upload"), std::string::npos) << status.message();
}

TEST(ChunkSequence, SizeLimitIsResourceExhaustedNamingTheLimit) {
  ChunkSequence sequence(10);
  ASSERT_TRUE(sequence.Accept(Chunk(1, std::string(6, 'a'))).ok());
  ASSERT_TRUE(sequence.Accept(Chunk(2, std::string(4, 'a'))).ok());  // exactly at the limit
  absl::Status status = sequence.Accept(Chunk(3, "a"));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(status.message().find("max_file_bytes 10"), std::string::npos) << status.message();
  EXPECT_EQ(sequence.total_bytes(), 10);
}

TEST(ChunkSequence, FileNameOnlyOnTheFirstChunk) {
  ChunkSequence sequence(1000);
  ASSERT_TRUE(sequence.Accept(Chunk(1)).ok());
  absl::Status status = sequence.Accept(Chunk(2, "x", "late.txt"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("file_name \"late.txt\" on chunk_number 2"), std::string::npos)
      << status.message();
}

TEST(CheckFileName, AcceptsOnePathComponent) {
  const std::vector<std::string> names = {"",    "report.pdf", "with space and ünïcode.txt",
                                          "...", ".hidden",    std::string(255, 'n')};
  for (const std::string& name : names) {
    EXPECT_TRUE(CheckFileName(name).ok()) << name;
  }
}

TEST(CheckFileName, RejectsWhatIsNotOnePathComponent) {
  struct Case {
    std::string name;
    std::string message;
  } cases[] = {
      {std::string(256, 'n'), "256 bytes, at most 255"},
      {std::string(5 * 1024 * 1024, 'n'), "bytes, at most 255"},
      {"a/b", "must not contain '/'"},
      {"/etc/passwd", "must not contain '/'"},
      {std::string("a\0b", 3), "must not contain NUL"},
      {".", "not a file name"},
      {"..", "not a file name"},
  };
  for (const auto& c : cases) {
    absl::Status status = CheckFileName(c.name);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_NE(status.message().find("file_name"), std::string::npos) << status.message();
    EXPECT_NE(status.message().find(c.message), std::string::npos) << status.message();
    // A huge name is quoted only in part, so the message stays small.
    EXPECT_LT(status.message().size(), 400u);
  }
}

TEST(DownloadChunkBytes, DefaultsCapsAndRejectsNegative) {
  EXPECT_EQ(*DownloadChunkBytes(0), kDefaultDownloadChunkBytes);
  EXPECT_EQ(*DownloadChunkBytes(1), 1);
  EXPECT_EQ(*DownloadChunkBytes(kMaxDownloadChunkBytes), kMaxDownloadChunkBytes);
  EXPECT_EQ(*DownloadChunkBytes(kMaxDownloadChunkBytes + 1), kMaxDownloadChunkBytes);
  EXPECT_EQ(*DownloadChunkBytes(INT32_MAX), kMaxDownloadChunkBytes);
  auto negative = DownloadChunkBytes(-5);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(negative.status().message().find("chunk_size -5"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::upload
