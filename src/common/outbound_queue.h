// A bounded queue of messages waiting to be written to one stream. When a reader is slower
// than its producer, either the oldest queued message is dropped (prices: the newest wins) or
// the push fails so the stream can be ended (messages that must not be lost silently).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

namespace switchboard::common {

enum class Overflow { kDropOldest, kFail };

template <typename T>
class OutboundQueue {
 public:
  struct Item {
    T message;
    int64_t dropped_before = 0;  // messages dropped between the previous item and this one
  };

  OutboundQueue(size_t capacity, Overflow overflow)
      : capacity_(capacity == 0 ? 1 : capacity), overflow_(overflow) {}

  // False only under Overflow::kFail when the queue is full; the message is not queued.
  bool Push(T message) {
    if (items_.size() >= capacity_) {
      if (overflow_ == Overflow::kFail) return false;
      // What was dropped before the removed item is now dropped before its successor.
      const int64_t dropped = 1 + items_.front().dropped_before;
      items_.pop_front();
      ++dropped_total_;
      if (items_.empty()) {
        dropped_pending_ += dropped;
      } else {
        items_.front().dropped_before += dropped;
      }
    }
    items_.push_back(Item{std::move(message), dropped_pending_});
    dropped_pending_ = 0;
    return true;
  }

  std::optional<Item> Pop() {
    if (items_.empty()) return std::nullopt;
    Item item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  int64_t dropped_total() const { return dropped_total_; }

 private:
  size_t capacity_;
  Overflow overflow_;
  std::deque<Item> items_;
  int64_t dropped_pending_ = 0;
  int64_t dropped_total_ = 0;
};

}  // namespace switchboard::common
