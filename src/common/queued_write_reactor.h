// A server-streaming reactor fed from other threads: Send() queues a message, and exactly one
// write is in flight at a time (the next starts in OnWriteDone), so a slow reader only fills
// its own bounded queue and never blocks the producer or other streams.
//
// Lifetime: grpc++ calls OnDone once the stream is over; the reactor then runs `on_done` and
// deletes itself. A producer must only call Send() while holding the lock that `on_done` takes
// to unsubscribe the reactor, so it never touches a deleted reactor.
#pragma once

#include <functional>
#include <mutex>
#include <utility>

#include <grpcpp/support/server_callback.h>

#include "common/outbound_queue.h"

namespace switchboard::common {

template <typename Response>
class QueuedWriteReactor : public grpc::ServerWriteReactor<Response> {
 public:
  QueuedWriteReactor(size_t capacity, Overflow overflow)
      : queue_(capacity, overflow) {}

  // Runs once from OnDone, before deletion; typically unsubscribes this reactor.
  void SetOnDone(std::function<void()> on_done) { on_done_ = std::move(on_done); }

  // Thread-safe. Returns false when the stream is over (finished or cancelled) or when the
  // queue overflowed under Overflow::kFail, in which case the stream is ended with
  // RESOURCE_EXHAUSTED.
  bool Send(Response message) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing_) return false;
    if (!queue_.Push(std::move(message))) {
      CloseLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               "client reads too slowly: outbound queue full"));
      return false;
    }
    MaybeStartWriteLocked();
    return true;
  }

  // Thread-safe. Ends the stream with `status` after the queued messages are written.
  void Close(const grpc::Status& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    CloseLocked(status);
  }

  int64_t dropped_total() {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.dropped_total();
  }

 protected:
  // Lets a subclass stamp the message just before it is written (e.g. a dropped count).
  virtual void BeforeWrite(Response& message, int64_t dropped_before) {
    (void)message;
    (void)dropped_before;
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mutex_);
    writing_ = false;
    // A failed write means the stream is broken: nothing more can be delivered.
    if (!ok) AbandonLocked();
    MaybeStartWriteLocked();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mutex_);
    AbandonLocked();
    // With a write in flight, Finish waits for OnWriteDone so two operations never overlap.
    MaybeStartWriteLocked();
  }

  void OnDone() override {
    if (on_done_) on_done_();
    delete this;
  }

 private:
  void CloseLocked(const grpc::Status& status) {
    if (closing_) return;
    closing_ = true;
    final_status_ = status;
    // Drop what a failed stream still had queued; a normal close drains the queue first.
    if (!status.ok()) {
      while (queue_.Pop()) {
      }
    }
    MaybeStartWriteLocked();
  }

  void AbandonLocked() {
    closing_ = true;
    final_status_ = grpc::Status::CANCELLED;
    while (queue_.Pop()) {
    }
  }

  void MaybeStartWriteLocked() {
    if (writing_ || finished_) return;
    if (auto item = queue_.Pop()) {
      current_ = std::move(item->message);
      BeforeWrite(current_, item->dropped_before);
      writing_ = true;
      this->StartWrite(&current_);
      return;
    }
    if (closing_) {
      finished_ = true;
      this->Finish(final_status_);
    }
  }

  std::mutex mutex_;
  OutboundQueue<Response> queue_;
  Response current_;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  grpc::Status final_status_ = grpc::Status::OK;
  std::function<void()> on_done_;
};

}  // namespace switchboard::common
