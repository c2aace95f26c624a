#include "services/chat/chat_stream.h"

#include <grpcpp/server_context.h>

#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/chat/chat_validation.h"

namespace switchboard::chat {

ChatStream::ChatStream(grpc::CallbackServerContext* context, ChatHub* hub, StreamLimits limits)
    : ChatWriter(limits.member_queue, common::Overflow::kFail,
                 absl::StrCat("client reads too slowly: ", limits.member_queue,
                              " messages waiting (member_queue)")),
      hub_(hub),
      limits_(limits) {
  SetOnDone([this] {
    LeaveRoom();
    hub_->Closed(this);
  });
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
  switch (Push(std::move(message))) {
    case Queued::kYes:
      return Delivery::kQueued;
    case Queued::kClosed:
      return Delivery::kClosed;
    case Queued::kOverflow:
      return Delivery::kOverflow;
  }
  return Delivery::kClosed;
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
  grpc::Status status =
      ChooseRoom(metadata_room_, request_.room(), limits_.default_room, &room_name_);
  if (!status.ok()) return status;
  status = ValidateUserId(request_.user_id());
  if (!status.ok()) return status;
  bool posts_text = false;
  status = ValidateContent(request_, /*first=*/true, limits_.max_text_bytes, &posts_text);
  if (!status.ok()) return status;
  status = ValidateAfterSequence(request_, /*first=*/true);
  if (!status.ok()) return status;
  user_id_ = request_.user_id();

  std::shared_ptr<ChatRoom> room;
  status = hub_->Join(room_name_, this, user_id_, request_.after_sequence(), &room);
  if (!status.ok()) return status;
  joined_ = true;
  {
    std::lock_guard<std::mutex> lock(room_mutex_);
    room_ = room;
  }
  // A cancel that ran while joining found no room to leave; leave on its behalf. OnCancel
  // marks the stream closing before it looks for the room, and the room is set before this
  // check, so one of the two leaves.
  if (IsClosing()) {
    LeaveRoom();
    return grpc::Status::OK;
  }
  if (posts_text) return room->Say(this, request_.text());
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
  status = ValidateAfterSequence(request_, /*first=*/false);
  if (!status.ok()) return status;
  std::shared_ptr<ChatRoom> room;
  {
    std::lock_guard<std::mutex> lock(room_mutex_);
    room = room_;
  }
  // No room (or not a member any more) means the stream was dropped; its close is under way.
  // A text the shared bus did not take ends the stream with UNAVAILABLE: the member knows it
  // was not sent, and reconnects (to any replica) with after_sequence.
  if (room != nullptr && posts_text) return room->Say(this, request_.text());
  return grpc::Status::OK;
}

void ChatStream::LeaveRoom() {
  std::shared_ptr<ChatRoom> room;
  {
    std::lock_guard<std::mutex> lock(room_mutex_);
    room = std::move(room_);
    room_ = nullptr;
  }
  if (room != nullptr) room->Leave(this);
}

void ChatStream::StartReadUnlessClosing() {
  UnlessClosing([this] { StartRead(&request_); });
}

void ChatStream::OnCancel() {
  ChatWriter::OnCancel();
  LeaveRoom();
}

}  // namespace switchboard::chat
