#include "services/upload/chunk_rules.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace switchboard::upload {
namespace {

// A client-supplied name can be megabytes long; messages quote only its start.
constexpr size_t kMaxQuotedBytes = 64;

std::string Quote(std::string_view text) {
  const absl::string_view shown(text.data(), std::min(text.size(), kMaxQuotedBytes));
  return absl::StrCat("\"", absl::CHexEscape(shown), "\"", shown.size() < text.size() ? "..." : "");
}

}  // namespace

absl::Status CheckFileName(std::string_view file_name) {
  if (file_name.size() > kMaxFileNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("file_name ", Quote(file_name), ": ",
                                                   file_name.size(), " bytes, at most ",
                                                   kMaxFileNameBytes));
  }
  if (file_name.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("file_name ", Quote(file_name), ": must not contain NUL"));
  }
  if (file_name.find('/') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("file_name ", Quote(file_name), ": must not contain '/'"));
  }
  if (file_name == "." || file_name == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("file_name ", Quote(file_name), ": not a file name"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int32_t> DownloadChunkBytes(int32_t requested) {
  if (requested < 0) {
    return absl::InvalidArgumentError(absl::StrCat("chunk_size ", requested,
                                                   ": must not be negative (0 means ",
                                                   kDefaultDownloadChunkBytes, " bytes)"));
  }
  if (requested == 0) return kDefaultDownloadChunkBytes;
  return std::min(requested, kMaxDownloadChunkBytes);
}

absl::Status ChunkSequence::Accept(const v1::FileChunk& chunk) {
  if (last_chunk_number_ == 0) unnumbered_ = chunk.chunk_number() == 0;
  if (unnumbered_ && chunk.chunk_number() != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk_number ", chunk.chunk_number(), " after ", last_chunk_number_,
        " unnumbered chunks: number every chunk of an upload from 1, or none (0)"));
  }
  if (!unnumbered_ && chunk.chunk_number() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk_number 0 after chunk_number ", last_chunk_number_,
        ": number every chunk of an upload from 1, or none (0)"));
  }
  // Unnumbered chunks count in arrival order.
  const int64_t number = unnumbered_ ? last_chunk_number_ + 1 : chunk.chunk_number();
  if (number != last_chunk_number_ + 1) {
    if (last_chunk_number_ == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("chunk_number ", number, " at the start: chunks are numbered from 1"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk_number ", number, " after ", last_chunk_number_, ": chunks must be consecutive"));
  }
  if (!chunk.file_name().empty()) {
    if (number != 1) {
      return absl::InvalidArgumentError(absl::StrCat("file_name ", Quote(chunk.file_name()),
                                                     " on chunk_number ", number,
                                                     ": only the first chunk may carry file_name"));
    }
    if (auto invalid = CheckFileName(chunk.file_name()); !invalid.ok()) return invalid;
  }
  const int64_t size = static_cast<int64_t>(chunk.data().size());
  if (size > max_file_bytes_ - total_bytes_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("file too large: chunk_number ", number, " brings it to ", total_bytes_ + size,
                     " bytes, over max_file_bytes ", max_file_bytes_));
  }
  if (number == 1) file_name_ = chunk.file_name();
  last_chunk_number_ = number;
  total_bytes_ += size;
  return absl::OkStatus();
}

absl::Status ChunkSequence::CheckComplete() const {
  if (last_chunk_number_ == 0) {
    return absl::InvalidArgumentError(
        "empty upload: the stream ended before chunk_number 1 (send at least one chunk)");
  }
  return absl::OkStatus();
}

}  // namespace switchboard::upload
