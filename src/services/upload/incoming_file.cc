#include "services/upload/incoming_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/ids.h"

namespace switchboard::upload {
namespace {

constexpr mode_t kFileMode = 0640;
// A fresh random name practically never collides; a few retries cover the rest.
constexpr int kCreateAttempts = 4;

absl::Status ErrnoStatus(int error, const std::string& what) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(error));
  if (error == ENOSPC || error == EDQUOT) return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

}  // namespace

absl::StatusOr<std::unique_ptr<IncomingFile>> IncomingFile::Create(const std::string& directory) {
  int error = 0;
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    std::string path = absl::StrCat(directory, "/", common::NewId("part"));
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode);
    if (fd >= 0) return std::unique_ptr<IncomingFile>(new IncomingFile(std::move(path), fd));
    error = errno;
    if (error != EEXIST) break;
  }
  return ErrnoStatus(error, absl::StrCat("cannot create a temporary file in ", directory));
}

IncomingFile::~IncomingFile() {
  Close();
  if (!moved_) ::unlink(path_.c_str());
}

void IncomingFile::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

absl::Status IncomingFile::Append(std::string_view data) {
  if (fd_ < 0) return absl::FailedPreconditionError("upload file is already sealed");
  hash_.Update(data);
  std::string_view rest = data;
  while (!rest.empty()) {
    const ssize_t written = ::write(fd_, rest.data(), rest.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot write the upload to disk");
    }
    rest.remove_prefix(static_cast<size_t>(written));
  }
  size_ += static_cast<int64_t>(data.size());
  return absl::OkStatus();
}

absl::Status IncomingFile::Seal() {
  if (fd_ < 0) return absl::FailedPreconditionError("upload file is already sealed");
  if (::fsync(fd_) != 0) return ErrnoStatus(errno, "cannot flush the upload to disk");
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) return ErrnoStatus(errno, "cannot close the upload file");
  auto digest = hash_.FinishHex();
  if (!digest.ok()) return digest.status();
  sha256_ = std::move(*digest);
  return absl::OkStatus();
}

absl::Status IncomingFile::MoveTo(const std::string& path) {
  if (fd_ >= 0 || sha256_.empty()) {
    return absl::FailedPreconditionError("upload file must be sealed before it is moved");
  }
  if (::rename(path_.c_str(), path.c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("cannot move the upload to ", path));
  }
  moved_ = true;
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot open ", directory));
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0) return ErrnoStatus(error, absl::StrCat("cannot flush ", directory));
  return absl::OkStatus();
}

}  // namespace switchboard::upload
