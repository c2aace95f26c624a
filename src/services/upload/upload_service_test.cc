#include "services/upload/upload_service.h"

#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "common/ids.h"
#include "services/upload/upload_test_util.h"
#include "switchboard/upload/v1/upload.grpc.pb.h"
#include "testing/temp_dir.h"
#include "testing/test_server.h"

namespace switchboard::upload {
namespace {

using testing::Download;
using testing::IncomingFiles;
using testing::MakeChunks;
using testing::MetadataRows;
using testing::NothingStored;
using testing::PseudoRandomBytes;
using testing::Sha256Of;
using testing::StoredFiles;
using testing::UploadChunks;
using testing::WaitFor;

bool Mentions(const grpc::Status& status, const std::string& text) {
  return status.error_message().find(text) != std::string::npos;
}

class UploadServiceTest : public ::testing::Test {
 protected:
  explicit UploadServiceTest(const std::string& settings = "{}")
      : server_(MakeUploadService, settings),
        stub_(v1::UploadService::NewStub(server_.NewChannel())) {}

  // TestServer gives the service <temp>/data as its data directory.
  std::string data_dir() const { return server_.data_dir() + "/data"; }

  switchboard::testing::TestServer server_;
  std::unique_ptr<v1::UploadService::Stub> stub_;
};

TEST_F(UploadServiceTest, RoundTripGivesBackTheSameBytesAndSha256) {
  const std::string data = PseudoRandomBytes(3 * 1024 * 1024 + 12345, 42);
  auto upload = UploadChunks(stub_.get(), MakeChunks(data, 256 * 1024, "report final.pdf"));
  ASSERT_TRUE(upload.status.ok()) << upload.status.error_message();
  EXPECT_TRUE(upload.result.success());
  EXPECT_EQ(upload.result.total_bytes(), static_cast<int64_t>(data.size()));
  EXPECT_EQ(upload.result.sha256(), Sha256Of(data));
  EXPECT_EQ(upload.result.file_id().rfind("file_", 0), 0u) << upload.result.file_id();
  EXPECT_TRUE(common::IsSafeId(upload.result.file_id()));
  EXPECT_EQ(StoredFiles(data_dir()), std::vector<std::string>{upload.result.file_id()});
  EXPECT_TRUE(WaitFor([&] { return IncomingFiles(data_dir()).empty(); }));
  EXPECT_EQ(MetadataRows(data_dir()), 1);

  struct Case {
    int32_t chunk_size;
    size_t expected_chunk_bytes;
  } cases[] = {
      {0, 64 * 1024},                  // the default
      {100000, 100000},                // as asked
      {5 * 1024 * 1024, 1024 * 1024},  // capped
  };
  for (const auto& c : cases) {
    auto download = Download(stub_.get(), upload.result.file_id(), c.chunk_size);
    ASSERT_TRUE(download.status.ok()) << download.status.error_message();
    ASSERT_EQ(download.data.size(), data.size()) << c.chunk_size;
    EXPECT_TRUE(download.data == data) << c.chunk_size;
    EXPECT_EQ(Sha256Of(download.data), upload.result.sha256());
    const size_t expected_chunks =
        (data.size() + c.expected_chunk_bytes - 1) / c.expected_chunk_bytes;
    ASSERT_EQ(download.chunks.size(), expected_chunks) << c.chunk_size;
    for (size_t i = 0; i < download.chunks.size(); ++i) {
      EXPECT_EQ(download.chunks[i].chunk_number(), static_cast<int32_t>(i + 1));
      EXPECT_LE(download.chunks[i].data().size(), c.expected_chunk_bytes);
      EXPECT_EQ(download.chunks[i].file_name(), i == 0 ? "report final.pdf" : "");
    }
  }
}

TEST_F(UploadServiceTest, OneEmptyChunkStoresAnEmptyFile) {
  auto upload = UploadChunks(stub_.get(), MakeChunks("", 1024));
  ASSERT_TRUE(upload.status.ok()) << upload.status.error_message();
  EXPECT_EQ(upload.result.total_bytes(), 0);
  EXPECT_EQ(upload.result.sha256(), Sha256Of(""));
  auto download = Download(stub_.get(), upload.result.file_id());
  ASSERT_TRUE(download.status.ok()) << download.status.error_message();
  ASSERT_EQ(download.chunks.size(), 1u);
  EXPECT_EQ(download.chunks[0].chunk_number(), 1);
  EXPECT_TRUE(download.data.empty());
}

TEST_F(UploadServiceTest, WrongChunkOrderIsInvalidArgumentAndLeavesNothing) {
  struct Case {
    std::vector<int32_t> numbers;
    std::string message;
  } cases[] = {
      {{1, 2, 4, 5}, "chunk_number 4 after 2: chunks must be consecutive"},
      {{1, 2, 2, 3}, "chunk_number 2 after 2: chunks must be consecutive"},
      {{0, 1, 2}, "chunk_number 1 after 1 unnumbered chunks"},
      {{1, 0, 3}, "chunk_number 0 after chunk_number 1"},
      {{2, 3}, "chunk_number 2 at the start"},
  };
  for (const auto& c : cases) {
    std::vector<v1::FileChunk> chunks;
    for (int32_t number : c.numbers) {
      v1::FileChunk chunk;
      chunk.set_chunk_number(number);
      chunk.set_data(PseudoRandomBytes(100 * 1024, number));
      chunks.push_back(chunk);
    }
    auto upload = UploadChunks(stub_.get(), chunks);
    EXPECT_EQ(upload.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.message;
    EXPECT_TRUE(Mentions(upload.status, c.message)) << upload.status.error_message();
    EXPECT_TRUE(upload.result.file_id().empty());
    EXPECT_TRUE(WaitFor([&] { return NothingStored(data_dir()); })) << c.message;
  }
}

TEST_F(UploadServiceTest, UnnumberedChunksAreStoredInArrivalOrder) {
  const std::string data = PseudoRandomBytes(1024 * 1024 + 77, 7);
  auto chunks = MakeChunks(data, 100 * 1024, "unnumbered.bin");
  for (auto& chunk : chunks) chunk.set_chunk_number(0);
  auto upload = UploadChunks(stub_.get(), chunks);
  ASSERT_TRUE(upload.status.ok()) << upload.status.error_message();
  EXPECT_EQ(upload.result.total_bytes(), static_cast<int64_t>(data.size()));
  EXPECT_EQ(upload.result.sha256(), Sha256Of(data));
  auto download = Download(stub_.get(), upload.result.file_id());
  ASSERT_TRUE(download.status.ok()) << download.status.error_message();
  EXPECT_TRUE(download.data == data);
  EXPECT_EQ(download.chunks[0].file_name(), "unnumbered.bin");
}

TEST_F(UploadServiceTest, EmptyUploadIsInvalidArgument) {
  auto upload = UploadChunks(stub_.get(), {});
  EXPECT_EQ(upload.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Mentions(upload.status, "empty upload")) << upload.status.error_message();
  EXPECT_TRUE(WaitFor([&] { return NothingStored(data_dir()); }));
}

TEST_F(UploadServiceTest, BadFileNameIsInvalidArgumentNamingFileName) {
  auto late_name = MakeChunks(PseudoRandomBytes(3000, 1), 1000);
  late_name[1].set_file_name("late.txt");
  const std::vector<std::vector<v1::FileChunk>> uploads = {
      MakeChunks("data", 10, std::string(256, 'n')),
      MakeChunks("data", 10, "dir/name.txt"),
      MakeChunks("data", 10, std::string("nul\0name", 8)),
      MakeChunks("data", 10, ".."),
      late_name,
  };
  for (const auto& chunks : uploads) {
    auto upload = UploadChunks(stub_.get(), chunks);
    EXPECT_EQ(upload.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(Mentions(upload.status, "file_name")) << upload.status.error_message();
  }
  EXPECT_TRUE(WaitFor([&] { return NothingStored(data_dir()); }));
  // The longest allowed name is kept.
  const std::string longest(255, 'n');
  auto upload = UploadChunks(stub_.get(), MakeChunks("data", 10, longest));
  ASSERT_TRUE(upload.status.ok()) << upload.status.error_message();
  auto download = Download(stub_.get(), upload.result.file_id());
  ASSERT_FALSE(download.chunks.empty());
  EXPECT_EQ(download.chunks[0].file_name(), longest);
}

// A chunk that does not parse must fail the upload, not end it early as if it were complete.
TEST_F(UploadServiceTest, UnparsableChunkIsInvalidArgumentNotATruncatedFile) {
  auto chunks = MakeChunks(PseudoRandomBytes(3000, 1), 1000);
  chunks[1].set_file_name("\xff\xfe");  // proto3 strings must be UTF-8: the server cannot parse it
  auto upload = UploadChunks(stub_.get(), chunks);
  EXPECT_EQ(upload.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << upload.status.error_message();
  EXPECT_TRUE(Mentions(upload.status, "after chunk_number 1")) << upload.status.error_message();
  EXPECT_TRUE(WaitFor([&] { return NothingStored(data_dir()); }));
}

TEST_F(UploadServiceTest, OversizedChunkIsResourceExhaustedAndLeavesNothing) {
  // Above the server's 4 MiB message limit: grpc++ rejects it before the service sees it.
  std::vector<v1::FileChunk> chunks = MakeChunks(PseudoRandomBytes(1024, 1), 1024);
  v1::FileChunk big;
  big.set_chunk_number(2);
  big.set_data(std::string(5 * 1024 * 1024, 'b'));
  chunks.push_back(big);
  auto upload = UploadChunks(stub_.get(), chunks);
  EXPECT_EQ(upload.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << upload.status.error_message();
  EXPECT_TRUE(WaitFor([&] { return NothingStored(data_dir()); }));
}

TEST_F(UploadServiceTest, ClientCancelMidUploadLeavesNothing) {
  grpc::ClientContext context;
  testing::SetDeadline(&context);
  v1::UploadResult result;
  auto writer = stub_->UploadFile(&context, &result);
  const auto chunks = MakeChunks(PseudoRandomBytes(3 * 64 * 1024, 3), 64 * 1024, "x.bin");
  for (const auto& chunk : chunks) ASSERT_TRUE(writer->Write(chunk));
  // The upload is under way on the server: its temporary file exists.
  ASSERT_TRUE(WaitFor([&] { return IncomingFiles(data_dir()).size() == 1; }));
  context.TryCancel();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  EXPECT_TRUE(WaitFor([&] { return NothingStored(data_dir()); }));
}

// A cancel right after the last chunk races with the server publishing the file. Whatever
// wins, no half-stored upload remains: every stored file has its row and no temporary file
// is left.
TEST_F(UploadServiceTest, CancelRacingCompletionLeavesNoHalfStoredUpload) {
  constexpr int kRounds = 30;
  int ok_results = 0;
  for (int round = 0; round < kRounds; ++round) {
    grpc::ClientContext context;
    testing::SetDeadline(&context);
    v1::UploadResult result;
    auto writer = stub_->UploadFile(&context, &result);
    for (const auto& chunk : MakeChunks(PseudoRandomBytes(10000, round), 4000)) {
      writer->Write(chunk);
    }
    writer->WritesDone();
    if (round % 3 != 0) context.TryCancel();
    if (writer->Finish().ok()) ++ok_results;
  }
  EXPECT_GE(ok_results, kRounds / 3);
  EXPECT_TRUE(WaitFor([&] {
    return IncomingFiles(data_dir()).empty() &&
           static_cast<int64_t>(StoredFiles(data_dir()).size()) == MetadataRows(data_dir());
  }));
  EXPECT_LE(StoredFiles(data_dir()).size(), static_cast<size_t>(kRounds));
}

TEST_F(UploadServiceTest, GetFileRejectsBadRequests) {
  struct Case {
    std::string file_id;
    int32_t chunk_size;
    grpc::StatusCode code;
    std::string mentions;
  } cases[] = {
      {"file_0123456789abcdef", 0, grpc::StatusCode::NOT_FOUND, "file_0123456789abcdef"},
      {"", 0, grpc::StatusCode::INVALID_ARGUMENT, "file_id"},
      {"../uploads.db", 0, grpc::StatusCode::INVALID_ARGUMENT, "file_id"},
      {".incoming", 0, grpc::StatusCode::INVALID_ARGUMENT, "file_id"},
      {std::string(65, 'a'), 0, grpc::StatusCode::INVALID_ARGUMENT, "file_id"},
      {"file_0123456789abcdef", -1, grpc::StatusCode::INVALID_ARGUMENT, "chunk_size -1"},
  };
  for (const auto& c : cases) {
    auto download = Download(stub_.get(), c.file_id, c.chunk_size);
    EXPECT_EQ(download.status.error_code(), c.code) << c.file_id;
    EXPECT_TRUE(Mentions(download.status, c.mentions)) << download.status.error_message();
    EXPECT_TRUE(download.chunks.empty());
  }
}

TEST_F(UploadServiceTest, GetFileClientCancelStopsReading) {
  const std::string data = PseudoRandomBytes(8 * 1024 * 1024, 5);
  auto upload = UploadChunks(stub_.get(), MakeChunks(data, 1024 * 1024));
  ASSERT_TRUE(upload.status.ok()) << upload.status.error_message();
  const std::string path = data_dir() + "/uploads/" + upload.result.file_id();

  grpc::ClientContext context;
  testing::SetDeadline(&context);
  v1::GetFileRequest request;
  request.set_file_id(upload.result.file_id());
  request.set_chunk_size(64 * 1024);
  auto reader = stub_->GetFile(&context, request);
  v1::FileChunk chunk;
  ASSERT_TRUE(reader->Read(&chunk));
  EXPECT_EQ(chunk.chunk_number(), 1);
  // The server holds the file open while it streams (the client has not read most of it).
  EXPECT_TRUE(testing::ProcessHasOpen(path));
  context.TryCancel();
  while (reader->Read(&chunk)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitFor([&] { return !testing::ProcessHasOpen(path); }));
}

TEST_F(UploadServiceTest, ShutdownAbortsUploadsAndEndsDownloads) {
  // A download big enough that it cannot all sit in flow-control windows.
  const std::string data = PseudoRandomBytes(32 * 1024 * 1024, 6);
  auto stored = UploadChunks(stub_.get(), MakeChunks(data, 1024 * 1024));
  ASSERT_TRUE(stored.status.ok()) << stored.status.error_message();

  grpc::ClientContext download_context;
  testing::SetDeadline(&download_context);
  v1::GetFileRequest request;
  request.set_file_id(stored.result.file_id());
  request.set_chunk_size(64 * 1024);
  auto reader = stub_->GetFile(&download_context, request);
  v1::FileChunk chunk;
  ASSERT_TRUE(reader->Read(&chunk));

  grpc::ClientContext upload_context;
  testing::SetDeadline(&upload_context);
  v1::UploadResult result;
  auto writer = stub_->UploadFile(&upload_context, &result);
  for (const auto& piece : MakeChunks(PseudoRandomBytes(100000, 7), 50000)) {
    ASSERT_TRUE(writer->Write(piece));
  }
  ASSERT_TRUE(WaitFor([&] { return IncomingFiles(data_dir()).size() == 1; }));

  server_.service()->BeginShutdown();

  writer->WritesDone();
  grpc::Status upload_status = writer->Finish();
  EXPECT_EQ(upload_status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << upload_status.error_message();
  EXPECT_TRUE(Mentions(upload_status, "server shutting down"));
  EXPECT_TRUE(WaitFor([&] { return IncomingFiles(data_dir()).empty(); }));

  size_t received = chunk.data().size();
  while (reader->Read(&chunk)) received += chunk.data().size();
  grpc::Status download_status = reader->Finish();
  EXPECT_EQ(download_status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << download_status.error_message();
  EXPECT_LT(received, data.size());

  // New calls are refused while the server winds down.
  auto late = UploadChunks(stub_.get(), MakeChunks("late", 10));
  EXPECT_EQ(late.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Download(stub_.get(), stored.result.file_id()).status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // The stored file itself is untouched.
  EXPECT_EQ(StoredFiles(data_dir()).size(), 1u);
}

class SmallLimitsTest : public UploadServiceTest {
 protected:
  SmallLimitsTest() : UploadServiceTest("{max_file_bytes: 100000, max_concurrent_uploads: 1}") {}
};

TEST_F(SmallLimitsTest, SizeLimitIsResourceExhaustedAndLeavesNothing) {
  auto upload = UploadChunks(stub_.get(), MakeChunks(PseudoRandomBytes(120000, 8), 40000));
  EXPECT_EQ(upload.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(Mentions(upload.status, "max_file_bytes 100000")) << upload.status.error_message();
  EXPECT_TRUE(WaitFor([&] { return NothingStored(data_dir()); }));

  const std::string exact = PseudoRandomBytes(100000, 9);
  auto at_limit = UploadChunks(stub_.get(), MakeChunks(exact, 40000));
  ASSERT_TRUE(at_limit.status.ok()) << at_limit.status.error_message();
  EXPECT_EQ(at_limit.result.total_bytes(), 100000);
}

TEST_F(SmallLimitsTest, TooManyConcurrentUploadsIsResourceExhausted) {
  grpc::ClientContext context;
  testing::SetDeadline(&context);
  v1::UploadResult result;
  auto writer = stub_->UploadFile(&context, &result);
  ASSERT_TRUE(writer->Write(MakeChunks("first", 10)[0]));
  ASSERT_TRUE(WaitFor([&] { return IncomingFiles(data_dir()).size() == 1; }));

  auto second = UploadChunks(stub_.get(), MakeChunks("second", 10));
  EXPECT_EQ(second.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(Mentions(second.status, "at most 1")) << second.status.error_message();

  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(result.total_bytes(), 5);
}

TEST(UploadServiceStartup, RemovesStaleTemporaryFiles) {
  switchboard::testing::TempDir dir;
  const std::string incoming = dir.path() + "/uploads/.incoming";
  std::filesystem::create_directories(incoming);
  std::ofstream(incoming + "/part_left_by_a_crash") << "half an upload";
  common::ServiceOptions options;
  options.data_dir = dir.path();
  options.settings = YAML::Load("{}");
  auto service = MakeUploadService(options);
  ASSERT_TRUE(service.ok()) << service.status();
  EXPECT_TRUE(IncomingFiles(dir.path()).empty());
}

TEST(UploadServiceStartup, BadSettingsFailNamingTheKey) {
  struct Case {
    std::string yaml;
    std::string mentions;
  } cases[] = {
      {"{colour: red}", "services.upload.colour"},
      {"{max_file_bytes: 0}", "services.upload.max_file_bytes"},
      {"{max_file_bytes: lots}", "services.upload.max_file_bytes"},
      {"{max_concurrent_uploads: 0}", "services.upload.max_concurrent_uploads"},
  };
  switchboard::testing::TempDir dir;
  for (const auto& c : cases) {
    common::ServiceOptions options;
    options.data_dir = dir.path();
    options.settings = YAML::Load(c.yaml);
    auto service = MakeUploadService(options);
    ASSERT_FALSE(service.ok()) << c.yaml;
    EXPECT_NE(service.status().message().find(c.mentions), std::string::npos) << service.status();
  }
}

}  // namespace
}  // namespace switchboard::upload
