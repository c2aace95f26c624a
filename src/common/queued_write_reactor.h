// A streaming reactor whose writes are fed from other threads: Send() queues a message, and
// exactly one write is in flight at a time (the next starts in OnWriteDone), so a slow reader
// only fills its own bounded queue and never blocks the producer or other streams. Server
// streams (stock, notifications) and bidirectional ones (chat) share it: `Base` is the grpc++
// reactor, `Item` what is queued (the message itself, or a shared pointer to a message that
// many streams write).
//
// Lifetime: grpc++ calls OnDone once the stream is over; the reactor then runs `on_done` and
// deletes itself. A producer must only call Send() while holding the lock that `on_done` takes
// to unsubscribe the reactor, so it never touches a deleted reactor.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

#include <grpcpp/support/server_callback.h>

#include "common/outbound_queue.h"

namespace switchboard::common {

inline constexpr char kQueueFullMessage[] = "client reads too slowly: outbound queue full";

template <typename Response, typename Item = Response,
          typename Base = grpc::ServerWriteReactor<Response>>
class QueuedWriteReactor : public Base {
 public:
  enum class Queued {
    kYes,       // the message will be written
    kClosed,    // the stream is already ending
    kOverflow,  // the queue was full under Overflow::kFail: the stream ends RESOURCE_EXHAUSTED
  };

  // `overflow_message` is the RESOURCE_EXHAUSTED message when the queue overflows (kFail).
  QueuedWriteReactor(size_t capacity, Overflow overflow,
                     std::string overflow_message = kQueueFullMessage)
      : queue_(capacity, overflow), overflow_message_(std::move(overflow_message)) {}

  // Runs once from OnDone, before deletion; typically unsubscribes this reactor.
  void SetOnDone(std::function<void()> on_done) { on_done_ = std::move(on_done); }

  // Thread-safe. Returns false when the stream is over (finished or cancelled) or when the
  // queue overflowed under Overflow::kFail, in which case the stream is ended with
  // RESOURCE_EXHAUSTED.
  bool Send(Item message) { return Push(std::move(message)) == Queued::kYes; }

  // Thread-safe. Send, telling a stream already ending from one this message overflowed.
  Queued Push(Item message) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing_) return Queued::kClosed;
    if (!queue_.Push(std::move(message))) {
      CloseLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, overflow_message_));
      return Queued::kOverflow;
    }
    MaybeStartWriteLocked();
    return Queued::kYes;
  }

  // Thread-safe. True once the stream is ending (closed, cancelled or failed).
  bool IsClosing() {
    std::lock_guard<std::mutex> lock(mutex_);
    return closing_;
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
  virtual void BeforeWrite(Item& message, int64_t dropped_before) {
    (void)message;
    (void)dropped_before;
  }

  // Runs `start` under the writer's lock unless the stream is ending, so that what it starts
  // (a read) comes before Finish or not at all.
  template <typename Start>
  void UnlessClosing(Start&& start) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!closing_) start();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mutex_);
    writing_ = false;
    // A shared message is let go as soon as it is written; a message by value stays for reuse.
    if constexpr (!std::is_same_v<Item, Response>) current_ = Item();
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
  static const Response* WritePointer(const Response& message) { return &message; }
  static const Response* WritePointer(const std::shared_ptr<const Response>& message) {
    return message.get();
  }

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
      this->StartWrite(WritePointer(current_));
      return;
    }
    if (closing_) {
      finished_ = true;
      this->Finish(final_status_);
    }
  }

  std::mutex mutex_;
  OutboundQueue<Item> queue_;
  const std::string overflow_message_;
  Item current_;  // the message being written; kept alive until OnWriteDone
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  grpc::Status final_status_ = grpc::Status::OK;
  std::function<void()> on_done_;
};

}  // namespace switchboard::common
