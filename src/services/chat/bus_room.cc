#include "services/chat/bus_room.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/chat/chat_bus.h"
#include "services/chat/chat_validation.h"

namespace switchboard::chat {
namespace {

grpc::Status Unavailable(std::string message) {
  return {grpc::StatusCode::UNAVAILABLE, std::move(message)};
}

bool IsRoomMessage(const v1::ChatMessage& message, const std::string& room) {
  switch (message.kind()) {
    case v1::ChatMessage::KIND_TEXT:
    case v1::ChatMessage::KIND_JOIN:
    case v1::ChatMessage::KIND_LEAVE:
      break;
    default:
      return false;
  }
  return message.room() == room && ValidateUserId(message.user_id()).ok();
}

}  // namespace

BusRoom::BusRoom(std::string name, BusRoomLimits limits, bus::Bus* bus, Clock now_ms)
    : name_(std::move(name)),
      subject_(RoomSubject(name_)),
      limits_(limits),
      bus_(bus),
      now_ms_(std::move(now_ms)),
      window_(name_, limits.resume_max, limits.resume_window) {
  last_active_ms_ = now_ms_();
}

BusRoom::~BusRoom() {
  std::lock_guard<std::mutex> load_lock(load_mutex_);
  subscription_.reset();  // waits for a delivery in progress; none starts after
}

grpc::Status BusRoom::Load() {
  std::lock_guard<std::mutex> load_lock(load_mutex_);
  if (loaded_) return grpc::Status::OK;
  if (!bus_->Connected()) {
    return Unavailable(
        absl::StrCat("room \"", name_, "\": bus ", bus_->Describe(), " is not connected"));
  }
  bus::SubscribeOptions options;
  options.replay = true;
  options.queue_messages = limits_.room_queue;
  auto subscription = bus_->Subscribe(
      subject_, [this](const bus::Message& message) { OnBusMessage(message); }, options);
  if (!subscription.ok()) {
    return Unavailable(absl::StrCat("room \"", name_, "\": ", subscription.status().message()));
  }
  // Asked after subscribing, so the subscription delivers this message or a later one.
  auto last = bus_->LastSequence(subject_);
  if (!last.ok()) {
    return Unavailable(absl::StrCat("room \"", name_, "\": ", last.status().message()));
  }
  {
    std::unique_lock<std::mutex> lock(mutex_);
    const int64_t newest = static_cast<int64_t>(*last);
    if (!received_.wait_for(lock, limits_.load_timeout,
                            [&] { return received_through_ >= newest; })) {
      return Unavailable(absl::StrCat("room \"", name_, "\": its messages up to sequence ", newest,
                                      " did not arrive from bus ", bus_->Describe(),
                                      " within load_timeout ", limits_.load_timeout.count(),
                                      " ms (received up to ", received_through_, ")"));
    }
    // What the bus dropped before the first message it replayed is unknown here.
    window_.ForgetThrough(window_.empty() ? received_through_ : window_.first_sequence() - 1);
  }
  subscription_ = std::move(*subscription);
  loaded_ = true;
  return grpc::Status::OK;
}

grpc::Status BusRoom::Enter(ChatMember* member, const std::string& user_id,
                            int64_t after_sequence) {
  if (grpc::Status loaded = Load(); !loaded.ok()) return loaded;
  // A member resuming from another replica may have seen more than has arrived here yet.
  int64_t newest = 0;
  if (after_sequence > 0) {
    auto last = bus_->LastSequence(subject_);
    if (!last.ok()) {
      return Unavailable(
          absl::StrCat("room \"", name_, "\": cannot resume: ", last.status().message()));
    }
    newest = static_cast<int64_t>(*last);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (members_.count(member) != 0) {
      return {grpc::StatusCode::ALREADY_EXISTS, absl::StrCat("already in room \"", name_, "\"")};
    }
    if (members_.size() >= limits_.max_members) {
      return {grpc::StatusCode::RESOURCE_EXHAUSTED,
              absl::StrCat("room \"", name_, "\" has ", members_.size(),
                           " members here, at most max_members ", limits_.max_members)};
    }
    if (member->IsClosing()) return {grpc::StatusCode::CANCELLED, "stream is ending"};
    window_.Trim(now_ms_());
    std::vector<MessagePtr> replay;
    if (after_sequence > 0) {
      if (grpc::Status range = window_.After(after_sequence, newest, &replay); !range.ok()) {
        return range;
      }
    } else {
      replay = window_.Last(limits_.history);
    }
    // Under the lock, as the bus's deliveries are: the replay and the live messages meet
    // without a gap or a repeat.
    for (const MessagePtr& message : replay) {
      switch (member->Deliver(message)) {
        case ChatMember::Delivery::kQueued:
          break;
        case ChatMember::Delivery::kClosed:
          return {grpc::StatusCode::CANCELLED, "stream is ending"};
        case ChatMember::Delivery::kOverflow:
          return {grpc::StatusCode::RESOURCE_EXHAUSTED,
                  absl::StrCat("the messages of room \"", name_,
                               "\" to send do not fit the member queue")};
      }
    }
    members_[member] = Member{user_id, std::max(after_sequence, window_.last_sequence())};
  }
  if (grpc::Status joined = Publish(v1::ChatMessage::KIND_JOIN, user_id, ""); !joined.ok()) {
    std::lock_guard<std::mutex> lock(mutex_);
    members_.erase(member);
    return Unavailable(absl::StrCat("not joined: ", joined.error_message()));
  }
  return grpc::Status::OK;
}

grpc::Status BusRoom::Say(ChatMember* member, const std::string& text) {
  std::string user_id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = members_.find(member);
    if (it == members_.end()) return grpc::Status::OK;  // dropped: its stream is ending
    user_id = it->second.user_id;
  }
  grpc::Status published = Publish(v1::ChatMessage::KIND_TEXT, user_id, text);
  if (!published.ok()) {
    return Unavailable(absl::StrCat("message not sent: ", published.error_message()));
  }
  return grpc::Status::OK;
}

void BusRoom::Leave(ChatMember* member) {
  std::string user_id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = members_.find(member);
    if (it == members_.end()) return;
    user_id = std::move(it->second.user_id);
    members_.erase(it);
  }
  PublishLeaves({user_id});
}

size_t BusRoom::member_count() {
  std::lock_guard<std::mutex> lock(mutex_);
  return members_.size();
}

int64_t BusRoom::last_active_ms() {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_active_ms_;
}

int64_t BusRoom::dropped() {
  std::lock_guard<std::mutex> load_lock(load_mutex_);
  return subscription_ == nullptr ? 0 : subscription_->Dropped();
}

grpc::Status BusRoom::Publish(v1::ChatMessage::Kind kind, const std::string& user_id,
                              const std::string& text) {
  v1::ChatMessage message;
  message.set_user_id(user_id);
  message.set_room(name_);
  message.set_kind(kind);
  message.set_text(text);
  message.set_timestamp(now_ms_());
  absl::Status published = bus_->Publish(subject_, message.SerializeAsString());
  if (!published.ok()) return Unavailable(std::string(published.message()));
  return grpc::Status::OK;
}

void BusRoom::PublishLeaves(const std::vector<std::string>& user_ids) {
  for (const std::string& user_id : user_ids) {
    grpc::Status published = Publish(v1::ChatMessage::KIND_LEAVE, user_id, "");
    // The other members then miss this leave; nothing else depends on it.
    if (!published.ok()) {
      spdlog::warn("chat: leave of {} from room {} not announced: {}", user_id, name_,
                   published.error_message());
    }
  }
}

void BusRoom::OnBusMessage(const bus::Message& delivered) {
  v1::ChatMessage message;
  const bool valid = message.ParseFromString(delivered.data) && IsRoomMessage(message, name_);
  std::vector<std::string> gone;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    received_through_ = std::max(received_through_, static_cast<int64_t>(delivered.sequence));
    received_.notify_all();
    if (!valid) {
      spdlog::warn("chat: ignored a malformed message on {} ({} bytes)", delivered.subject,
                   delivered.data.size());
      return;
    }
    message.set_sequence(static_cast<int64_t>(delivered.sequence));
    auto stamped = std::make_shared<const v1::ChatMessage>(std::move(message));
    if (!window_.Add(stamped)) return;  // a repeat
    const int64_t now = now_ms_();
    window_.Trim(now);
    last_active_ms_ = now;
    std::vector<ChatMember*> dropped;
    for (auto& [member, state] : members_) {
      if (stamped->sequence() <= state.skip_through) continue;
      if (member->Deliver(stamped) != ChatMember::Delivery::kQueued) dropped.push_back(member);
    }
    for (ChatMember* member : dropped) {
      auto it = members_.find(member);
      gone.push_back(std::move(it->second.user_id));
      members_.erase(it);
    }
  }
  // Outside the lock: the bus may take a while to acknowledge.
  PublishLeaves(gone);
}

}  // namespace switchboard::chat
