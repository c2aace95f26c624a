// UploadFile: one client-streaming call that writes each chunk to a temporary file as it
// arrives (memory stays flat for any file size) and publishes the file when the stream ends.
//
// The call is registered raw (grpc::ByteBuffer in and out) and the reactor parses each
// FileChunk itself: with a typed reader grpc++ reports a message that fails to parse (say a
// file_name that is not UTF-8) exactly like the end of the stream, and the upload would be
// published truncated with status OK.
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "services/upload/chunk_rules.h"
#include "services/upload/file_store.h"
#include "services/upload/incoming_file.h"
#include "services/upload/stream_registry.h"
#include "switchboard/upload/v1/upload.pb.h"

namespace switchboard::upload {

// Reads one chunk at a time: the next StartRead is issued only after the chunk is on disk.
// A stream that fails or is cancelled for any reason leaves no file behind: the temporary file
// is removed in OnDone, and a file published just as the client cancelled is removed again
// (the client never learned its id).
class UploadReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer>,
                            public AbortableStream {
 public:
  // `result` receives a serialized v1::UploadResult.
  UploadReactor(grpc::CallbackServerContext* context, grpc::ByteBuffer* result, FileStore* store,
                StreamRegistry* registry, int64_t max_file_bytes);

  void Abort(const grpc::Status& status) override;

 private:
  void OnReadDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // Parses the message in buffer_, validates it and appends its data to the temporary file.
  grpc::Status TakeChunk();
  // The client half-closed: seal the file and publish it.
  void Complete();
  void FinishOnce(const grpc::Status& status);
  void FinishLocked(const grpc::Status& status);

  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const result_;
  FileStore* const store_;
  StreamRegistry* const registry_;
  bool registered_ = false;

  // Touched only by the reading path (one OnReadDone at a time) and by OnDone.
  grpc::ByteBuffer buffer_;
  v1::FileChunk chunk_;
  ChunkSequence sequence_;
  std::unique_ptr<IncomingFile> file_;
  std::optional<std::string> published_id_;

  std::mutex mutex_;
  bool finished_ = false;  // guarded by mutex_: Finish was called
};

}  // namespace switchboard::upload
