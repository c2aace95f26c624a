#include "services/chat/room_window.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace switchboard::chat {

grpc::Status ResumeOutOfRange(const std::string& room, int64_t after_sequence, int64_t from,
                              int64_t to, const std::string& kept) {
  return {grpc::StatusCode::OUT_OF_RANGE,
          absl::StrCat("after_sequence ", after_sequence, ": room \"", room,
                       "\" can resume from sequences ", from, "..", to, " (it keeps ", kept,
                       "); join without after_sequence for the recent history")};
}

RoomWindow::RoomWindow(std::string room, size_t max_messages, std::chrono::milliseconds max_age)
    : room_(std::move(room)), max_messages_(max_messages), max_age_(max_age) {}

bool RoomWindow::Add(MessagePtr message) {
  if (message->sequence() <= last_sequence_) return false;
  last_sequence_ = message->sequence();
  messages_.push_back(std::move(message));
  while (messages_.size() > max_messages_) Drop();
  return true;
}

void RoomWindow::Trim(int64_t now_ms) {
  const int64_t oldest_kept_ms = now_ms - static_cast<int64_t>(max_age_.count());
  while (!messages_.empty() && messages_.front()->timestamp() < oldest_kept_ms) Drop();
}

void RoomWindow::ForgetThrough(int64_t sequence) { floor_ = std::max(floor_, sequence); }

void RoomWindow::Drop() {
  floor_ = std::max(floor_, messages_.front()->sequence());
  messages_.pop_front();
}

std::vector<MessagePtr> RoomWindow::Last(size_t count) const {
  const size_t skip = messages_.size() > count ? messages_.size() - count : 0;
  return {messages_.begin() + static_cast<std::ptrdiff_t>(skip), messages_.end()};
}

grpc::Status RoomWindow::After(int64_t after_sequence, int64_t newest,
                               std::vector<MessagePtr>* out) const {
  const int64_t to = std::max(last_sequence_, newest);
  if (after_sequence < floor_ || after_sequence > to) {
    return ResumeOutOfRange(room_, after_sequence, floor_, to,
                            absl::StrCat("the last ", max_messages_,
                                         " messages of services.chat.resume_max, for "
                                         "services.chat.resume_window ",
                                         max_age_.count(), " ms"));
  }
  out->clear();
  for (const MessagePtr& message : messages_) {
    if (message->sequence() > after_sequence) out->push_back(message);
  }
  return grpc::Status::OK;
}

}  // namespace switchboard::chat
