#include "services/upload/upload_reactor.h"

#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/slice.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace switchboard::upload {

UploadReactor::UploadReactor(grpc::CallbackServerContext* context, grpc::ByteBuffer* result,
                             FileStore* store, StreamRegistry* registry, int64_t max_file_bytes)
    : context_(context),
      result_(result),
      store_(store),
      registry_(registry),
      sequence_(max_file_bytes) {
  grpc::Status admitted = registry_->Add(this);
  registered_ = admitted.ok();
  // From here on Abort may run on another thread, so state changes take the lock.
  std::lock_guard<std::mutex> lock(mutex_);
  if (!admitted.ok()) {
    FinishLocked(admitted);
    return;
  }
  if (!finished_) StartRead(&buffer_);
}

void UploadReactor::Abort(const grpc::Status& status) { FinishOnce(status); }

void UploadReactor::OnReadDone(bool ok) {
  if (!ok) {
    // The client half-closed, or the call ended (cancelled, aborted): Complete tells apart.
    Complete();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_) return;  // aborted: OnDone removes the temporary file
  }
  grpc::Status taken = TakeChunk();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!taken.ok()) {
    FinishLocked(taken);
    return;
  }
  // Never read after Finish: an abort may have arrived while the chunk was being written.
  if (!finished_) StartRead(&buffer_);
}

grpc::Status UploadReactor::TakeChunk() {
  bool parsed = false;
  {
    grpc::ProtoBufferReader reader(&buffer_);
    parsed = chunk_.ParseFromZeroCopyStream(&reader);
  }
  buffer_.Clear();
  if (!parsed) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("the message after chunk_number ", sequence_.chunks(),
                         " is not a valid FileChunk (is file_name UTF-8?)")};
  }
  if (auto invalid = sequence_.Accept(chunk_); !invalid.ok()) {
    return common::ToGrpcStatus(invalid);
  }
  if (file_ == nullptr) {
    auto created = store_->NewIncoming();
    if (!created.ok()) return common::ToGrpcStatus(created.status());
    file_ = std::move(*created);
  }
  return common::ToGrpcStatus(file_->Append(chunk_.data()));
}

void UploadReactor::Complete() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_) return;
    if (context_->IsCancelled()) {
      FinishLocked(grpc::Status::CANCELLED);
      return;
    }
    if (auto empty = sequence_.CheckComplete(); !empty.ok()) {
      FinishLocked(common::ToGrpcStatus(empty));
      return;
    }
    if (file_ == nullptr) {  // not reachable: every accepted chunk was written to file_
      FinishLocked({grpc::StatusCode::INTERNAL, "upload has chunks but no file"});
      return;
    }
  }
  // fsync may take a while for a big file; it runs outside the lock so an abort need not wait.
  if (auto sealed = file_->Seal(); !sealed.ok()) {
    FinishOnce(common::ToGrpcStatus(sealed));
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  auto stored = store_->Commit(*file_, sequence_.file_name());
  if (!stored.ok()) {
    FinishLocked(common::ToGrpcStatus(stored.status()));
    return;
  }
  published_id_ = stored->file_id;
  v1::UploadResult result;
  result.set_file_id(stored->file_id);
  result.set_total_bytes(stored->total_bytes);
  result.set_success(true);
  result.set_sha256(stored->sha256);
  grpc::Slice serialized(result.SerializeAsString());
  *result_ = grpc::ByteBuffer(&serialized, 1);
  FinishLocked(grpc::Status::OK);
}

void UploadReactor::OnCancel() { FinishOnce(grpc::Status::CANCELLED); }

void UploadReactor::FinishOnce(const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  FinishLocked(status);
}

void UploadReactor::FinishLocked(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  Finish(status);
}

void UploadReactor::OnDone() {
  // A cancellation that raced with publishing: the client never got the id, so the file goes.
  if (published_id_.has_value() && context_->IsCancelled()) {
    if (auto removed = store_->Remove(*published_id_); !removed.ok()) {
      spdlog::warn("upload: cannot remove {} after its client cancelled: {}", *published_id_,
                   std::string(removed.message()));
    }
  }
  file_.reset();  // removes the temporary file unless it was published
  if (registered_) registry_->Remove(this);
  delete this;
}

}  // namespace switchboard::upload
