// Helpers shared by the upload tests: a client for both RPCs with deadlines, an independent
// SHA-256, and looks at the data directory and at this process (RSS, open files).
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/upload/v1/upload.grpc.pb.h"

namespace switchboard::upload::testing {

inline constexpr std::chrono::seconds kCallDeadline{20};
inline constexpr std::chrono::seconds kWaitLimit{10};

// SHA-256 through OpenSSL's one-shot EVP_Digest, independent of the service's own hasher.
std::string Sha256Of(std::string_view data);
// Bytes that do not repeat in any short period, so a misplaced chunk changes the hash.
std::string PseudoRandomBytes(size_t size, uint64_t seed);

void SetDeadline(grpc::ClientContext* context,
                 std::chrono::steady_clock::duration timeout = kCallDeadline);

struct UploadOutcome {
  grpc::Status status;
  v1::UploadResult result;
};
// Sends `chunks` as given (numbers and names included) and half-closes.
UploadOutcome UploadChunks(v1::UploadService::Stub* stub, const std::vector<v1::FileChunk>& chunks);
// Splits `data` into chunks of `chunk_bytes` numbered from 1, the name on the first.
std::vector<v1::FileChunk> MakeChunks(const std::string& data, size_t chunk_bytes,
                                      const std::string& file_name = "");

struct DownloadOutcome {
  grpc::Status status;
  std::vector<v1::FileChunk> chunks;
  std::string data;  // all chunks joined
};
DownloadOutcome Download(v1::UploadService::Stub* stub, const std::string& file_id,
                         int32_t chunk_size = 0);

// Polls `condition` until it holds or `limit` passes; returns its last value.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::steady_clock::duration limit = kWaitLimit);

// Names in `directory` (not recursive), without "." and "..".
std::vector<std::string> ListDirectory(const std::string& directory);
// Stored files: entries of <data_dir>/uploads except the .incoming directory.
std::vector<std::string> StoredFiles(const std::string& data_dir);
std::vector<std::string> IncomingFiles(const std::string& data_dir);
// Rows in the metadata table of <data_dir>/uploads.db.
int64_t MetadataRows(const std::string& data_dir);
// True when nothing of an upload is left: no stored file, no temporary file, no row.
bool NothingStored(const std::string& data_dir);

// This process's resident set size, from /proc/self/status (VmRSS).
int64_t ResidentBytes();
// True when this process has `path` open (a look through /proc/self/fd).
bool ProcessHasOpen(const std::string& path);

}  // namespace switchboard::upload::testing
