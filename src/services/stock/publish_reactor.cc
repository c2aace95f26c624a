#include "services/stock/publish_reactor.h"

#include "absl/strings/str_cat.h"

namespace switchboard::stock {

bool OpenPublishers::Add(PublishReactor* reactor) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return false;
  open_.insert(reactor);
  return true;
}

void OpenPublishers::Remove(PublishReactor* reactor) {
  std::lock_guard<std::mutex> lock(mutex_);
  open_.erase(reactor);
}

void OpenPublishers::CloseAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  for (PublishReactor* reactor : open_) {
    reactor->Close(grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDownMessage));
  }
}

PublishReactor::PublishReactor(const TickSink* sink, OpenPublishers* open,
                               v1::PublishPricesResponse* response)
    : sink_(sink), open_(open), response_(response) {
  // Registered before taking our own lock: CloseAll takes the registry lock, then ours.
  const bool added = open_->Add(this);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!added) {
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDownMessage));
    return;
  }
  if (!finished_) StartRead(&tick_);
}

void PublishReactor::Close(const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  FinishLocked(status);
}

void PublishReactor::OnReadDone(bool ok) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  if (!ok) {
    // The client closed its side (or the call broke, which OnCancel reports): all is in.
    response_->set_accepted(accepted_);
    FinishLocked(grpc::Status::OK);
    return;
  }
  const absl::Status published = (*sink_)(tick_);
  if (!published.ok()) {
    FinishLocked(grpc::Status(static_cast<grpc::StatusCode>(published.code()),
                              absl::StrCat("chunk ", accepted_, ": ", published.message())));
    return;
  }
  ++accepted_;
  StartRead(&tick_);
}

void PublishReactor::OnCancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  FinishLocked(grpc::Status::CANCELLED);
}

void PublishReactor::OnDone() {
  open_->Remove(this);
  delete this;
}

void PublishReactor::FinishLocked(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  Finish(status);
}

}  // namespace switchboard::stock
