// One upload being written: a temporary file that grows chunk by chunk while its SHA-256 is
// computed, and that either becomes a stored file by an atomic rename or is removed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/upload/sha256.h"

namespace switchboard::upload {

class IncomingFile {
 public:
  // Creates a new, empty temporary file inside `directory`.
  static absl::StatusOr<std::unique_ptr<IncomingFile>> Create(const std::string& directory);
  // Removes the temporary file unless MoveTo succeeded, so a failed upload leaves nothing.
  ~IncomingFile();
  IncomingFile(const IncomingFile&) = delete;
  IncomingFile& operator=(const IncomingFile&) = delete;

  // Writes all of `data` at the end of the file (looping over short writes) and hashes it.
  absl::Status Append(std::string_view data);
  // Flushes the file to disk and closes it; afterwards sha256() is set and Append fails.
  absl::Status Seal();
  // Renames the sealed file to `path` (same file system: atomic). The object then owns nothing.
  absl::Status MoveTo(const std::string& path);

  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }
  // Lowercase hex SHA-256 of the content; empty until Seal succeeded.
  const std::string& sha256() const { return sha256_; }

 private:
  IncomingFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  void Close();

  std::string path_;
  int fd_;
  int64_t size_ = 0;
  Sha256 hash_;
  std::string sha256_;
  bool moved_ = false;
};

// Flushes a directory's entries to disk, so a rename into it survives a crash.
absl::Status SyncDirectory(const std::string& directory);

}  // namespace switchboard::upload
