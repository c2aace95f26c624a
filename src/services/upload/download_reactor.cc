#include "services/upload/download_reactor.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "services/upload/chunk_rules.h"

namespace switchboard::upload {

DownloadReactor::DownloadReactor(const v1::GetFileRequest& request, FileStore* store,
                                 StreamRegistry* registry)
    : store_(store), registry_(registry) {
  grpc::Status admitted = registry_->Add(this);
  registered_ = admitted.ok();
  // From here on Abort may run on another thread, so everything takes the lock.
  std::lock_guard<std::mutex> lock(mutex_);
  if (!admitted.ok()) {
    FinishLocked(admitted);
    return;
  }
  if (finished_) return;
  if (grpc::Status opened = Open(request); !opened.ok()) {
    FinishLocked(opened);
    return;
  }
  WriteNextLocked();
}

DownloadReactor::~DownloadReactor() {
  if (fd_ >= 0) ::close(fd_);
}

grpc::Status DownloadReactor::Open(const v1::GetFileRequest& request) {
  auto chunk_bytes = DownloadChunkBytes(request.chunk_size());
  if (!chunk_bytes.ok()) return common::ToGrpcStatus(chunk_bytes.status());
  chunk_bytes_ = *chunk_bytes;
  const std::string& id = request.file_id();
  if (id.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "file_id: must not be empty"};
  // Checked before any lookup: the id becomes a file name.
  if (!common::IsSafeId(id)) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("file_id \"", absl::CHexEscape(id.substr(0, 64)),
                         "\": not a file id (letters, digits, '_' and '-', at most 64)")};
  }
  auto found = store_->Find(id);
  if (!found.ok()) return common::ToGrpcStatus(found.status());
  file_ = std::move(*found);
  if (request.offset() < 0 || request.limit() < 0) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("offset ", request.offset(), ", limit ", request.limit(),
                         ": must not be negative")};
  }
  // Every byte of an empty file is "from offset 0"; past that, an offset names a byte.
  if (request.offset() > 0 && request.offset() >= file_.total_bytes) {
    return {grpc::StatusCode::OUT_OF_RANGE,
            absl::StrCat("offset ", request.offset(), " is at or past the end of file \"", id,
                         "\" (", file_.total_bytes, " bytes)")};
  }
  next_offset_ = request.offset();
  end_offset_ = request.limit() > 0 && request.limit() < file_.total_bytes - next_offset_
                    ? next_offset_ + request.limit()
                    : file_.total_bytes;
  fd_ = ::open(store_->FilePath(id).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    return {
        grpc::StatusCode::DATA_LOSS,
        absl::StrCat("file \"", id, "\" is recorded but cannot be opened: ", std::strerror(errno))};
  }
  return grpc::Status::OK;
}

void DownloadReactor::WriteNextLocked() {
  // Every file goes out as at least one chunk, so even an empty file carries its name.
  if (next_offset_ >= end_offset_ && chunk_.chunk_number() > 0) {
    FinishLocked(grpc::Status::OK);
    return;
  }
  const int64_t want = std::min<int64_t>(chunk_bytes_, end_offset_ - next_offset_);
  std::string* data = chunk_.mutable_data();
  data->resize(static_cast<size_t>(want));
  int64_t got = 0;
  while (got < want) {
    const ssize_t n = ::pread(fd_, data->data() + got, static_cast<size_t>(want - got),
                              static_cast<off_t>(next_offset_ + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      FinishLocked({grpc::StatusCode::INTERNAL, absl::StrCat("cannot read file \"", file_.file_id,
                                                             "\": ", std::strerror(errno))});
      return;
    }
    if (n == 0) {
      FinishLocked(
          {grpc::StatusCode::DATA_LOSS,
           absl::StrCat("file \"", file_.file_id, "\" is shorter on disk (", next_offset_ + got,
                        " bytes) than recorded (", file_.total_bytes, " bytes)")});
      return;
    }
    got += n;
  }
  chunk_.set_chunk_number(chunk_.chunk_number() + 1);
  if (chunk_.chunk_number() == 1) {
    chunk_.set_file_name(file_.file_name);
    chunk_.set_total_bytes(file_.total_bytes);
  } else {
    chunk_.clear_file_name();
    chunk_.clear_total_bytes();
  }
  next_offset_ += want;
  writing_ = true;
  StartWrite(&chunk_);
}

void DownloadReactor::OnWriteDone(bool ok) {
  std::lock_guard<std::mutex> lock(mutex_);
  writing_ = false;
  if (finished_) return;
  // A failed write means the stream is broken (typically the client went away).
  if (!ok) {
    FinishLocked(grpc::Status::CANCELLED);
    return;
  }
  if (pending_abort_.has_value()) {
    FinishLocked(*pending_abort_);
    return;
  }
  WriteNextLocked();
}

void DownloadReactor::Abort(const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  // One operation at a time: with a write in flight, Finish waits for its OnWriteDone.
  if (writing_) {
    if (!pending_abort_.has_value()) pending_abort_ = status;
    return;
  }
  FinishLocked(status);
}

void DownloadReactor::OnCancel() { Abort(grpc::Status::CANCELLED); }

void DownloadReactor::FinishLocked(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  // Stop holding the file as soon as the stream is over, not only when grpc++ calls OnDone.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  Finish(status);
}

void DownloadReactor::OnDone() {
  if (registered_) registry_->Remove(this);
  delete this;
}

}  // namespace switchboard::upload
