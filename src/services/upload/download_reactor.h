// GetFile: one server-streaming call that reads a stored file a chunk at a time, reading the
// next chunk only once the previous one was written (flow control: a slow client holds at
// most one chunk in memory here).
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "services/upload/file_store.h"
#include "services/upload/stream_registry.h"
#include "switchboard/upload/v1/upload.pb.h"

namespace switchboard::upload {

class DownloadReactor final : public grpc::ServerWriteReactor<v1::FileChunk>,
                              public AbortableStream {
 public:
  DownloadReactor(const v1::GetFileRequest& request, FileStore* store, StreamRegistry* registry);
  ~DownloadReactor() override;

  void Abort(const grpc::Status& status) override;

 private:
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  grpc::Status Open(const v1::GetFileRequest& request);
  // Reads the next chunk and starts writing it, or finishes after the last one.
  void WriteNextLocked();
  void FinishLocked(const grpc::Status& status);

  FileStore* const store_;
  StreamRegistry* const registry_;
  bool registered_ = false;

  std::mutex mutex_;
  // Everything below is guarded by mutex_.
  StoredFile file_;
  int fd_ = -1;
  int32_t chunk_bytes_ = 0;
  // The byte after the last one to send: the file's end, or offset + limit of the request.
  int64_t end_offset_ = 0;
  int64_t next_offset_ = 0;  // the next byte to read
  v1::FileChunk chunk_;
  bool writing_ = false;
  bool finished_ = false;
  // An abort that came while a write was in flight; applied in OnWriteDone.
  std::optional<grpc::Status> pending_abort_;
};

}  // namespace switchboard::upload
