#include "gateway/static_files/body.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace switchboard::gateway::static_files {

FileBody::FileBody(int fd, uint64_t size, std::shared_ptr<std::atomic<int>> open_files)
    : fd_(fd), size_(size), open_files_(std::move(open_files)) {}

FileBody::~FileBody() {
  ::close(fd_);
  if (open_files_) open_files_->fetch_sub(1);
}

absl::StatusOr<size_t> FileBody::Read(char* out, size_t max) {
  const size_t want = static_cast<size_t>(std::min<uint64_t>(max, remaining()));
  if (want == 0) return 0;
  ssize_t n = 0;
  do {
    n = ::pread(fd_, out, want, static_cast<off_t>(offset_));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return absl::InternalError(absl::StrCat("reading the file: ", std::strerror(errno)));
  if (n == 0) {
    return absl::DataLossError(
        absl::StrCat("the file ended at byte ", offset_, " of ", size_, " (changed while sent)"));
  }
  offset_ += static_cast<uint64_t>(n);
  return static_cast<size_t>(n);
}

absl::StatusOr<size_t> MemoryBody::Read(char* out, size_t max) {
  const size_t n = std::min<size_t>(max, remaining());
  std::memcpy(out, bytes_->data() + offset_, n);
  offset_ += n;
  return n;
}

}  // namespace switchboard::gateway::static_files
