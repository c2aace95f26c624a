// Checks on what a chat client sends: room names, user ids, message kinds and text. Pure, so
// the rules are tested without a server.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <string>

#include "switchboard/chat/v1/chat.pb.h"

namespace switchboard::chat {

constexpr size_t kMaxRoomBytes = 64;
constexpr size_t kMaxUserIdBytes = 64;

// ^[A-Za-z0-9_.-]{1,64}$; `field` names where the room came from ("room", "x-chat-room").
grpc::Status ValidateRoom(const std::string& room, const std::string& field);
// 1..kMaxUserIdBytes bytes.
grpc::Status ValidateUserId(const std::string& user_id);

// The first message of a stream may be a join (KIND_JOIN or empty text) with no text; every
// other message is text (KIND_TEXT or KIND_UNSPECIFIED) of 1..max_text_bytes bytes.
// Sets *posts_text to whether the message carries text to publish.
grpc::Status ValidateContent(const v1::ChatMessage& message, bool first, size_t max_text_bytes,
                             bool* posts_text);

// after_sequence: 0 or a positive sequence on the first message of a stream, 0 on every other.
grpc::Status ValidateAfterSequence(const v1::ChatMessage& message, bool first);

// The room a stream joins: the x-chat-room metadata value (empty when absent) or else the
// first message's `room`, or else `default_room` when neither names one; both given and
// different is an error.
grpc::Status ChooseRoom(const std::string& metadata_room, const std::string& message_room,
                        const std::string& default_room, std::string* room);

}  // namespace switchboard::chat
