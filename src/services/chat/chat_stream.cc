#include "services/chat/chat_stream.h"

#include <grpcpp/server_context.h>

#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/chat/chat_validation.h"

namespace switchboard::chat {

ChatStream::ChatStream(grpc::CallbackServerContext* context, ChatHub* hub, StreamLimits limits)
    : hub_(hub), limits_(limits), queue_(limits.member_queue, common::Overflow::kFail) {
  const auto& metadata = context->client_metadata();
  const auto [begin, end] = metadata.equal_range(kRoomMetadataKey);
  const auto count = std::distance(begin, end);
  grpc::Status metadata_status;
  if (count > 1) {
    metadata_status =
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     absl::StrCat(kRoomMetadataKey, ": given ", count, " times, at most once"));
  } else if (count == 1) {
    metadata_room_.assign(begin->second.data(), begin->second.size());
    metadata_status = ValidateRoom(metadata_room_, kRoomMetadataKey);
  }
  // Headers go out at once so a client knows its stream is open before it says anything.
  StartSendInitialMetadata();
  // Read first: a Close() from another thread (shutdown) may follow at any moment, and no read
  // may start after the stream is finished.
  StartRead(&request_);
  if (!hub_->Open(this)) {
    Close({grpc::StatusCode::UNAVAILABLE, "server shutting down"});
  } else if (!metadata_status.ok()) {
    Close(metadata_status);
  }
}

ChatMember::Delivery ChatStream::Deliver(MessagePtr message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closing_) return Delivery::kClosed;
  if (!queue_.Push(std::move(message))) {
    CloseLocked({grpc::StatusCode::RESOURCE_EXHAUSTED,
                 absl::StrCat("client reads too slowly: ", limits_.member_queue,
                              " messages waiting (member_queue)")});
    return Delivery::kOverflow;
  }
  MaybeStartWriteLocked();
  return Delivery::kQueued;
}

bool ChatStream::IsClosing() {
  std::lock_guard<std::mutex> lock(mutex_);
  return closing_;
}

void ChatStream::Close(const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  CloseLocked(status);
}

void ChatStream::OnReadDone(bool ok) {
  if (!ok) {
    // The client half-closed (or the stream broke): announce the leave, then finish once the
    // messages already queued for this member are written.
    LeaveRoom();
    Close(grpc::Status::OK);
    return;
  }
  if (IsClosing()) return;  // ending already: stop reading, drop what arrived
  grpc::Status status = joined_ ? HandleNext() : HandleFirst();
  if (!status.ok()) {
    LeaveRoom();
    Close(status);
    return;
  }
  StartReadUnlessClosing();
}

grpc::Status ChatStream::HandleFirst() {
  grpc::Status status = ChooseRoom(metadata_room_, request_.room(), &room_name_);
  if (!status.ok()) return status;
  status = ValidateUserId(request_.user_id());
  if (!status.ok()) return status;
  bool posts_text = false;
  status = ValidateContent(request_, /*first=*/true, limits_.max_text_bytes, &posts_text);
  if (!status.ok()) return status;
  user_id_ = request_.user_id();

  std::shared_ptr<Room> room;
  status = hub_->Join(room_name_, this, user_id_, &room);
  if (!status.ok()) return status;
  joined_ = true;
  bool closing = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    room_ = room;
    closing = closing_;
  }
  // A cancel that ran while joining found no room to leave; leave on its behalf.
  if (closing) {
    LeaveRoom();
    return grpc::Status::OK;
  }
  if (posts_text) room->Post(this, request_.text());
  return grpc::Status::OK;
}

grpc::Status ChatStream::HandleNext() {
  if (request_.user_id() != user_id_) {
    grpc::Status status = ValidateUserId(request_.user_id());
    if (!status.ok()) return status;
    return {grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("user_id \"", request_.user_id(), "\" differs from \"", user_id_,
                         "\" given first on this stream")};
  }
  if (!request_.room().empty() && request_.room() != room_name_) {
    grpc::Status status = ValidateRoom(request_.room(), "room");
    if (!status.ok()) return status;
    return {grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("room \"", request_.room(), "\" differs from \"", room_name_,
                         "\" joined on this stream")};
  }
  bool posts_text = false;
  grpc::Status status =
      ValidateContent(request_, /*first=*/false, limits_.max_text_bytes, &posts_text);
  if (!status.ok()) return status;
  std::shared_ptr<Room> room;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    room = room_;
  }
  // No room (or not a member any more) means the stream was dropped; its close is under way.
  if (room != nullptr && posts_text) room->Post(this, request_.text());
  return grpc::Status::OK;
}

void ChatStream::LeaveRoom() {
  std::shared_ptr<Room> room;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    room = std::move(room_);
    room_ = nullptr;
  }
  if (room != nullptr) room->Leave(this);
}

void ChatStream::StartReadUnlessClosing() {
  // Under the lock, so the read is either started before Finish or not at all.
  std::lock_guard<std::mutex> lock(mutex_);
  if (closing_) return;
  StartRead(&request_);
}

void ChatStream::OnWriteDone(bool ok) {
  std::lock_guard<std::mutex> lock(mutex_);
  writing_ = false;
  current_.reset();
  // A failed write means the stream is broken: nothing more can be delivered.
  if (!ok) AbandonLocked();
  MaybeStartWriteLocked();
}

void ChatStream::OnCancel() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    AbandonLocked();
    // With a write in flight, Finish waits for OnWriteDone so two operations never overlap.
    MaybeStartWriteLocked();
  }
  LeaveRoom();
}

void ChatStream::OnDone() {
  LeaveRoom();
  hub_->Closed(this);
  delete this;
}

void ChatStream::CloseLocked(const grpc::Status& status) {
  if (closing_) return;
  closing_ = true;
  final_status_ = status;
  // A failed stream drops what it still had queued; a normal close drains the queue first.
  if (!status.ok()) {
    while (queue_.Pop()) {
    }
  }
  MaybeStartWriteLocked();
}

void ChatStream::AbandonLocked() {
  closing_ = true;
  final_status_ = grpc::Status::CANCELLED;
  while (queue_.Pop()) {
  }
}

void ChatStream::MaybeStartWriteLocked() {
  if (writing_ || finished_) return;
  if (auto item = queue_.Pop()) {
    current_ = std::move(item->message);
    writing_ = true;
    StartWrite(current_.get());
    return;
  }
  if (closing_) {
    finished_ = true;
    Finish(final_status_);
  }
}

}  // namespace switchboard::chat
