// The one slow-ish test: 1 GiB uploaded in 64 KiB chunks generated on the fly, to show that
// the server writes as it reads and its memory stays flat whatever the file size.
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "absl/strings/escaping.h"
#include "services/upload/upload_service.h"
#include "services/upload/upload_test_util.h"
#include "switchboard/upload/v1/upload.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::upload {
namespace {

constexpr int64_t kFileBytes = int64_t{1} << 30;  // 1 GiB
constexpr int64_t kChunkBytes = 64 * 1024;
// Brings transport windows and allocator pools to their working size before the baseline.
constexpr int64_t kWarmUpBytes = 64 * 1024 * 1024;
// Client and server share this process, so these bound both sides together. What stays after
// the upload is what any leak or per-byte growth would show in.
constexpr int64_t kMaxRssGrowthAfter = 64 * 1024 * 1024;
// The peak while streaming also holds what gRPC buffers in flight: HTTP/2 flow-control windows
// sized from the bandwidth-delay estimate, which on loopback reach tens of MiB when the server
// stalls on disk writeback. Holding the file in memory would add 1 GiB.
constexpr int64_t kMaxRssGrowthPeak = 128 * 1024 * 1024;
constexpr int kSampleEveryChunks = 64;  // RSS sampled every 4 MiB
constexpr auto kUploadDeadline = std::chrono::seconds(60);

struct StreamedUpload {
  grpc::Status status;
  v1::UploadResult result;
  std::string sent_sha256;  // computed by the client, with OpenSSL's EVP directly
  int64_t peak_rss = 0;     // sampled while streaming
  int64_t after_rss = 0;    // once the call is over
};

// Uploads `bytes` of pseudo-random data (a 64-bit LCG) generated chunk by chunk into one
// reused buffer, sampling this process's RSS as it goes.
StreamedUpload UploadGenerated(v1::UploadService::Stub* stub, int64_t bytes, uint64_t seed) {
  StreamedUpload upload;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> hash(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(hash.get(), EVP_sha256(), nullptr);
  grpc::ClientContext context;
  testing::SetDeadline(&context, kUploadDeadline);
  auto writer = stub->UploadFile(&context, &upload.result);
  v1::FileChunk chunk;
  chunk.set_file_name("generated.bin");
  std::string* data = chunk.mutable_data();
  data->resize(kChunkBytes);
  uint64_t state = seed;
  const int64_t chunks = bytes / kChunkBytes;
  for (int64_t number = 1; number <= chunks; ++number) {
    auto* words = reinterpret_cast<uint64_t*>(data->data());
    for (size_t i = 0; i < data->size() / sizeof(uint64_t); ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      words[i] = state ^ (state >> 29);
    }
    EVP_DigestUpdate(hash.get(), data->data(), data->size());
    chunk.set_chunk_number(static_cast<int32_t>(number));
    if (!writer->Write(chunk)) break;  // the server ended the call; Finish says why
    if (number == 1) chunk.clear_file_name();
    if (number % kSampleEveryChunks == 0) {
      upload.peak_rss = std::max(upload.peak_rss, testing::ResidentBytes());
    }
  }
  writer->WritesDone();
  upload.status = writer->Finish();
  upload.after_rss = testing::ResidentBytes();
  upload.peak_rss = std::max(upload.peak_rss, upload.after_rss);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(hash.get(), digest, &length);
  upload.sent_sha256 =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), length));
  return upload;
}

TEST(LargeUpload, OneGiBIn64KiBChunksKeepsMemoryFlat) {
  switchboard::testing::TestServer server(MakeUploadService);
  auto stub = v1::UploadService::NewStub(server.NewChannel());
  auto warm_up = UploadGenerated(stub.get(), kWarmUpBytes, 1);
  ASSERT_TRUE(warm_up.status.ok()) << warm_up.status.error_message();
  const int64_t baseline = testing::ResidentBytes();
  ASSERT_GT(baseline, 0);

  auto upload = UploadGenerated(stub.get(), kFileBytes, 0x5eed);
  ASSERT_TRUE(upload.status.ok()) << upload.status.error_message();
  EXPECT_TRUE(upload.result.success());
  EXPECT_EQ(upload.result.total_bytes(), kFileBytes);
  EXPECT_EQ(upload.result.sha256(), upload.sent_sha256);
  EXPECT_EQ(
      std::filesystem::file_size(server.data_dir() + "/data/uploads/" + upload.result.file_id()),
      static_cast<uintmax_t>(kFileBytes));
  constexpr int64_t kMiB = 1024 * 1024;
  std::cout << "[ info     ] RSS before " << baseline / kMiB << " MiB, peak during "
            << upload.peak_rss / kMiB << " MiB, after " << upload.after_rss / kMiB
            << " MiB (limits +" << kMaxRssGrowthPeak / kMiB << " / +" << kMaxRssGrowthAfter / kMiB
            << " MiB)\n";
  EXPECT_LT(upload.after_rss - baseline, kMaxRssGrowthAfter);
  EXPECT_LT(upload.peak_rss - baseline, kMaxRssGrowthPeak);
}

}  // namespace
}  // namespace switchboard::upload
