// What a valid upload stream and download request look like: pure checks, no I/O, so every
// rule is tested without sockets or files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "switchboard/upload/v1/upload.pb.h"

namespace switchboard::upload {

// Longest file_name kept with a file, as most file systems allow for one path component.
inline constexpr size_t kMaxFileNameBytes = 255;
// GetFile chunk sizes: 0 asks for the default; larger requests are capped.
inline constexpr int32_t kDefaultDownloadChunkBytes = 64 * 1024;
inline constexpr int32_t kMaxDownloadChunkBytes = 1024 * 1024;

// A name that is one path component: at most kMaxFileNameBytes, no '/', no NUL, not "." or "..".
// The empty name is allowed (no name given).
absl::Status CheckFileName(std::string_view file_name);

// The chunk size GetFile uses for `requested` (0 -> default, capped), or INVALID_ARGUMENT when
// it is negative.
absl::StatusOr<int32_t> DownloadChunkBytes(int32_t requested);

// Follows one upload stream chunk by chunk: numbering from 1 without gaps or repeats (or 0 on
// every chunk: arrival order), the file name only on the first chunk, and the total size
// within `max_file_bytes`.
class ChunkSequence {
 public:
  explicit ChunkSequence(int64_t max_file_bytes) : max_file_bytes_(max_file_bytes) {}

  // Checks `chunk` against what came before and, when it is valid, counts it.
  absl::Status Accept(const v1::FileChunk& chunk);
  // Checks the stream may end here (at least one chunk arrived).
  absl::Status CheckComplete() const;

  int64_t chunks() const { return last_chunk_number_; }
  int64_t total_bytes() const { return total_bytes_; }
  const std::string& file_name() const { return file_name_; }

 private:
  int64_t max_file_bytes_;
  int64_t last_chunk_number_ = 0;  // chunks accepted so far, numbered or not
  bool unnumbered_ = false;        // the upload's chunks all carry chunk_number 0
  int64_t total_bytes_ = 0;
  std::string file_name_;
};

}  // namespace switchboard::upload
