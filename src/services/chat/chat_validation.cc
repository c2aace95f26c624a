#include "services/chat/chat_validation.h"

#include "absl/strings/str_cat.h"

namespace switchboard::chat {
namespace {

constexpr size_t kMaxQuotedBytes = 80;  // how much of a bad value an error message repeats

bool IsRoomChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::string Quoted(const std::string& value) {
  if (value.size() <= kMaxQuotedBytes) return absl::StrCat("\"", value, "\"");
  return absl::StrCat("\"", value.substr(0, kMaxQuotedBytes), "...\"");
}

grpc::Status Invalid(std::string message) {
  return {grpc::StatusCode::INVALID_ARGUMENT, std::move(message)};
}

}  // namespace

grpc::Status ValidateRoom(const std::string& room, const std::string& field) {
  if (room.empty()) {
    return Invalid(absl::StrCat(field,
                                ": must not be empty (give x-chat-room metadata or the "
                                "first message's room)"));
  }
  if (room.size() > kMaxRoomBytes) {
    return Invalid(absl::StrCat(field, " ", Quoted(room), ": ", room.size(), " bytes, at most ",
                                kMaxRoomBytes));
  }
  for (char c : room) {
    if (!IsRoomChar(c)) {
      return Invalid(absl::StrCat(field, " ", Quoted(room),
                                  ": only letters, digits, '_', '.' and '-' are allowed"));
    }
  }
  return grpc::Status::OK;
}

grpc::Status ValidateUserId(const std::string& user_id) {
  if (user_id.empty()) return Invalid("user_id: must not be empty");
  if (user_id.size() > kMaxUserIdBytes) {
    return Invalid(absl::StrCat("user_id ", Quoted(user_id), ": ", user_id.size(),
                                " bytes, at most ", kMaxUserIdBytes));
  }
  return grpc::Status::OK;
}

grpc::Status ValidateContent(const v1::ChatMessage& message, bool first, size_t max_text_bytes,
                             bool* posts_text) {
  const auto kind = message.kind();
  const std::string& text = message.text();
  switch (kind) {
    case v1::ChatMessage::KIND_UNSPECIFIED:
    case v1::ChatMessage::KIND_TEXT:
      break;
    case v1::ChatMessage::KIND_JOIN:
      if (!first) return Invalid("kind KIND_JOIN: only the first message of a stream joins");
      if (!text.empty()) {
        return Invalid(absl::StrCat("text: a KIND_JOIN message carries no text (got ", text.size(),
                                    " bytes)"));
      }
      *posts_text = false;
      return grpc::Status::OK;
    default:
      return Invalid(absl::StrCat("kind ",
                                  v1::ChatMessage::Kind_Name(kind).empty()
                                      ? absl::StrCat(static_cast<int>(kind))
                                      : v1::ChatMessage::Kind_Name(kind),
                                  ": clients send KIND_TEXT (or KIND_JOIN first)"));
  }
  if (text.empty()) {
    if (first) {
      *posts_text = false;
      return grpc::Status::OK;
    }
    return Invalid("text: must not be empty");
  }
  if (text.size() > max_text_bytes) {
    return Invalid(
        absl::StrCat("text: ", text.size(), " bytes, at most max_text_bytes ", max_text_bytes));
  }
  *posts_text = true;
  return grpc::Status::OK;
}

grpc::Status ValidateAfterSequence(const v1::ChatMessage& message, bool first) {
  const int64_t after = message.after_sequence();
  if (after < 0) {
    return Invalid(absl::StrCat("after_sequence ", after,
                                ": must be 0 (join with the recent history) or the sequence of "
                                "the last message received"));
  }
  if (after != 0 && !first) {
    return Invalid(
        absl::StrCat("after_sequence ", after, ": only the first message of a stream resumes"));
  }
  return grpc::Status::OK;
}

grpc::Status ChooseRoom(const std::string& metadata_room, const std::string& message_room,
                        const std::string& default_room, std::string* room) {
  if (!metadata_room.empty() && !message_room.empty() && metadata_room != message_room) {
    return Invalid(absl::StrCat("room ", Quoted(message_room), " differs from x-chat-room ",
                                Quoted(metadata_room)));
  }
  if (!metadata_room.empty()) {
    *room = metadata_room;
    return ValidateRoom(metadata_room, "x-chat-room");
  }
  if (message_room.empty()) {
    *room = default_room;
    return ValidateRoom(default_room, "default_room");
  }
  *room = message_room;
  return ValidateRoom(message_room, "room");
}

}  // namespace switchboard::chat
