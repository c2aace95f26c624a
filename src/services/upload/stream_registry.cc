#include "services/upload/stream_registry.h"

#include "absl/strings/str_cat.h"

namespace switchboard::upload {
namespace {

constexpr char kShuttingDown[] = "server shutting down";

}  // namespace

grpc::Status StreamRegistry::Add(AbortableStream* stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shutting_down_) return {grpc::StatusCode::UNAVAILABLE, kShuttingDown};
  if (streams_.size() >= max_streams_) {
    return {grpc::StatusCode::RESOURCE_EXHAUSTED,
            absl::StrCat(streams_.size(), " ", kind_, " in progress, at most ", max_streams_,
                         ": try again later")};
  }
  streams_.insert(stream);
  return grpc::Status::OK;
}

void StreamRegistry::Remove(AbortableStream* stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  streams_.erase(stream);
}

void StreamRegistry::BeginShutdown() {
  std::lock_guard<std::mutex> lock(mutex_);
  shutting_down_ = true;
  const grpc::Status status(grpc::StatusCode::UNAVAILABLE, kShuttingDown);
  for (AbortableStream* stream : streams_) stream->Abort(status);
}

size_t StreamRegistry::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return streams_.size();
}

}  // namespace switchboard::upload
