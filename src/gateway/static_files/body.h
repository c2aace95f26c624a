// A file answer's bytes, read piece by piece as the client takes them: from the open file (a
// large file is never whole in memory) or from a shared buffer (a gzip copy in the cache).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace switchboard::gateway::static_files {

class Body {
 public:
  virtual ~Body() = default;
  // Copies up to `max` of the next bytes into `out` and returns how many; 0 only once
  // remaining() is 0. An error when the bytes promised cannot be read (the file shrank, I/O).
  virtual absl::StatusOr<size_t> Read(char* out, size_t max) = 0;
  virtual uint64_t remaining() const = 0;
};

// Reads `size` bytes of an open file from its start; closes it when destroyed and gives back
// its place in `open_files`, which the owner counts to bound the descriptors held.
class FileBody : public Body {
 public:
  FileBody(int fd, uint64_t size, std::shared_ptr<std::atomic<int>> open_files);
  ~FileBody() override;
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;
  absl::StatusOr<size_t> Read(char* out, size_t max) override;
  uint64_t remaining() const override { return size_ - offset_; }

 private:
  int fd_;
  uint64_t size_;
  uint64_t offset_ = 0;
  std::shared_ptr<std::atomic<int>> open_files_;
};

class MemoryBody : public Body {
 public:
  explicit MemoryBody(std::shared_ptr<const std::string> bytes) : bytes_(std::move(bytes)) {}
  absl::StatusOr<size_t> Read(char* out, size_t max) override;
  uint64_t remaining() const override { return bytes_->size() - offset_; }

 private:
  std::shared_ptr<const std::string> bytes_;
  size_t offset_ = 0;
};

}  // namespace switchboard::gateway::static_files
