// The streams of one kind (uploads or downloads) in flight: bounds how many run at once and
// lets shutdown end them all promptly.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_set>

namespace switchboard::upload {

class AbortableStream {
 public:
  virtual ~AbortableStream() = default;
  // Ends the stream with `status` soon. Called with the registry's lock held, so it must only
  // take the stream's own short lock; the stream cannot be deleted meanwhile because it
  // unregisters (taking the registry's lock) before it deletes itself.
  virtual void Abort(const grpc::Status& status) = 0;
};

class StreamRegistry {
 public:
  // `kind` names the streams in messages ("uploads").
  StreamRegistry(std::string kind, size_t max_streams)
      : kind_(std::move(kind)), max_streams_(max_streams) {}

  // OK when `stream` was added; UNAVAILABLE once shutdown began; RESOURCE_EXHAUSTED when
  // max_streams are already running.
  grpc::Status Add(AbortableStream* stream);
  void Remove(AbortableStream* stream);
  // Refuses new streams and aborts the running ones with UNAVAILABLE. Idempotent.
  void BeginShutdown();
  size_t size();

 private:
  const std::string kind_;
  const size_t max_streams_;
  std::mutex mutex_;
  std::unordered_set<AbortableStream*> streams_;
  bool shutting_down_ = false;
};

}  // namespace switchboard::upload
