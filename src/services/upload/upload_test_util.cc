#include "services/upload/upload_test_util.h"

#include <grpc/grpc.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/sqlite_db.h"

namespace switchboard::upload::testing {
namespace {

namespace fs = std::filesystem;

constexpr auto kPollInterval = std::chrono::milliseconds(5);

// grpc shuts itself down when its last object goes away, and in grpc 1.51 that shutdown can
// block for up to 10 s joining an executor thread that sits in a poll. One reference held for
// the whole test process keeps that from happening after each test.
class KeepGrpcInitialized : public ::testing::Environment {
 public:
  void SetUp() override { grpc_init(); }
};

[[maybe_unused]] ::testing::Environment* const kKeepGrpcInitialized =
    ::testing::AddGlobalTestEnvironment(new KeepGrpcInitialized);

}  // namespace

std::string Sha256Of(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return "sha256 failed";
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), length));
}

std::string PseudoRandomBytes(size_t size, uint64_t seed) {
  std::string bytes(size, '\0');
  uint64_t state = seed;
  for (size_t i = 0; i < size; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    bytes[i] = static_cast<char>(state >> 56);
  }
  return bytes;
}

void SetDeadline(grpc::ClientContext* context, std::chrono::steady_clock::duration timeout) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::duration_cast<std::chrono::system_clock::duration>(timeout));
}

UploadOutcome UploadChunks(v1::UploadService::Stub* stub,
                           const std::vector<v1::FileChunk>& chunks) {
  grpc::ClientContext context;
  SetDeadline(&context);
  UploadOutcome outcome;
  auto writer = stub->UploadFile(&context, &outcome.result);
  for (const auto& chunk : chunks) {
    if (!writer->Write(chunk)) break;  // the server ended the call; Finish says why
  }
  writer->WritesDone();
  outcome.status = writer->Finish();
  return outcome;
}

std::vector<v1::FileChunk> MakeChunks(const std::string& data, size_t chunk_bytes,
                                      const std::string& file_name) {
  std::vector<v1::FileChunk> chunks;
  for (size_t offset = 0; offset < data.size() || chunks.empty(); offset += chunk_bytes) {
    v1::FileChunk chunk;
    chunk.set_data(data.substr(offset, chunk_bytes));
    chunk.set_chunk_number(static_cast<int32_t>(chunks.size() + 1));
    if (chunks.empty()) chunk.set_file_name(file_name);
    chunks.push_back(std::move(chunk));
  }
  return chunks;
}

DownloadOutcome Download(v1::UploadService::Stub* stub, const std::string& file_id,
                         int32_t chunk_size) {
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::GetFileRequest request;
  request.set_file_id(file_id);
  request.set_chunk_size(chunk_size);
  DownloadOutcome outcome;
  auto reader = stub->GetFile(&context, request);
  v1::FileChunk chunk;
  while (reader->Read(&chunk)) {
    outcome.data += chunk.data();
    outcome.chunks.push_back(chunk);
  }
  outcome.status = reader->Finish();
  return outcome;
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::steady_clock::duration limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return condition();
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

std::vector<std::string> ListDirectory(const std::string& directory) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  return names;
}

std::vector<std::string> StoredFiles(const std::string& data_dir) {
  std::vector<std::string> names;
  for (auto& name : ListDirectory(data_dir + "/uploads")) {
    if (name != ".incoming") names.push_back(name);
  }
  return names;
}

std::vector<std::string> IncomingFiles(const std::string& data_dir) {
  return ListDirectory(data_dir + "/uploads/.incoming");
}

int64_t MetadataRows(const std::string& data_dir) {
  auto db = common::Database::Open(data_dir + "/uploads.db");
  if (!db.ok()) return -1;
  auto count = (*db)->Prepare("SELECT COUNT(*) FROM uploads");
  if (!count.ok()) return -1;
  auto row = count->Step();
  if (!row.ok() || !*row) return -1;
  return count->ColumnInt(0);
}

bool NothingStored(const std::string& data_dir) {
  return StoredFiles(data_dir).empty() && IncomingFiles(data_dir).empty() &&
         MetadataRows(data_dir) == 0;
}

int64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    if (!absl::ConsumeSuffix(&rest, "kB")) return -1;
    int64_t kib = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &kib)) return -1;
    return kib * 1024;
  }
  return -1;
}

bool ProcessHasOpen(const std::string& path) {
  std::error_code ec;
  const fs::path wanted = fs::weakly_canonical(path, ec);
  for (fs::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code link_ec;
    const fs::path target = fs::read_symlink(it->path(), link_ec);
    if (!link_ec && target == wanted) return true;
  }
  return false;
}

}  // namespace switchboard::upload::testing
