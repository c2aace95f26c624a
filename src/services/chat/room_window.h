// The recent messages of one room in the bus's order, bounded by count and age, and which
// resumes they can serve. Pure (no bus, no locks), so the range rules are tested on their own;
// a BusRoom holds one under its lock.
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "services/chat/chat_member.h"

namespace switchboard::chat {

// OUT_OF_RANGE for a resume from `after_sequence`, saying what can be resumed from instead:
// any sequence in from..to; `kept` says which limit decides it.
grpc::Status ResumeOutOfRange(const std::string& room, int64_t after_sequence, int64_t from,
                              int64_t to, const std::string& kept);

class RoomWindow {
 public:
  RoomWindow(std::string room, size_t max_messages, std::chrono::milliseconds max_age);

  // Appends a message whose sequence is above the last; false (and nothing kept) for one that
  // is not, as a repeat. Keeps at most max_messages.
  bool Add(MessagePtr message);
  // Forgets the messages stamped more than max_age before `now_ms`.
  void Trim(int64_t now_ms);
  // Marks every sequence up to `sequence` as possibly missing here: a room loaded from the bus
  // does not know what the bus dropped before its first message.
  void ForgetThrough(int64_t sequence);

  // The last `count` messages, oldest first.
  std::vector<MessagePtr> Last(size_t count) const;
  // The messages after `after_sequence`, oldest first, when none of them is missing here;
  // OUT_OF_RANGE otherwise, and for a sequence above max(last_sequence(), `newest`) (newest:
  // the last the bus holds, which this window may not have received yet).
  grpc::Status After(int64_t after_sequence, int64_t newest, std::vector<MessagePtr>* out) const;

  int64_t last_sequence() const { return last_sequence_; }
  bool empty() const { return messages_.empty(); }
  int64_t first_sequence() const { return messages_.empty() ? 0 : messages_.front()->sequence(); }

 private:
  void Drop();

  const std::string room_;
  const size_t max_messages_;
  const std::chrono::milliseconds max_age_;
  std::deque<MessagePtr> messages_;
  // Every message after it is in messages_ (or still to come); a resume must start at or
  // above it.
  int64_t floor_ = 0;
  int64_t last_sequence_ = 0;
};

}  // namespace switchboard::chat
