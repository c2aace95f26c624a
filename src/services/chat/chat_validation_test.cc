#include "services/chat/chat_validation.h"

#include <gtest/gtest.h>

namespace switchboard::chat {
namespace {

constexpr size_t kMaxText = 10;

TEST(ChatValidation, RoomNames) {
  struct Case {
    std::string room;
    bool ok;
  } cases[] = {
      {"lobby", true},
      {"A-z_0.9", true},
      {std::string(64, 'r'), true},
      {"", false},
      {std::string(65, 'r'), false},
      {"bad room", false},
      {"room/1", false},
      {"caf\xc3\xa9", false},
      {"a\nb", false},
  };
  for (const auto& c : cases) {
    grpc::Status status = ValidateRoom(c.room, "room");
    EXPECT_EQ(status.ok(), c.ok) << c.room;
    if (!c.ok) {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_EQ(status.error_message().rfind("room", 0), 0u) << status.error_message();
    }
  }
}

TEST(ChatValidation, UserIds) {
  EXPECT_TRUE(ValidateUserId("alice").ok());
  EXPECT_TRUE(ValidateUserId(std::string(64, 'u')).ok());
  for (const std::string& bad : {std::string(), std::string(65, 'u')}) {
    grpc::Status status = ValidateUserId(bad);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("user_id"), std::string::npos);
  }
}

TEST(ChatValidation, Content) {
  using K = v1::ChatMessage;
  struct Case {
    K::Kind kind;
    std::string text;
    bool first;
    bool ok;
    bool posts_text;
    std::string mentions;
  } cases[] = {
      {K::KIND_TEXT, "hi", false, true, true, ""},
      {K::KIND_UNSPECIFIED, "hi", true, true, true, ""},
      {K::KIND_UNSPECIFIED, "", true, true, false, ""},
      {K::KIND_JOIN, "", true, true, false, ""},
      {K::KIND_TEXT, std::string(kMaxText, 't'), false, true, true, ""},
      {K::KIND_TEXT, std::string(kMaxText + 1, 't'), false, false, false, "text"},
      {K::KIND_TEXT, std::string(kMaxText + 1, 't'), true, false, false, "text"},
      {K::KIND_TEXT, "", false, false, false, "text"},
      {K::KIND_JOIN, "", false, false, false, "KIND_JOIN"},
      {K::KIND_JOIN, "hi", true, false, false, "text"},
      {K::KIND_LEAVE, "hi", false, false, false, "KIND_LEAVE"},
      {static_cast<K::Kind>(42), "hi", false, false, false, "kind 42"},
  };
  for (const auto& c : cases) {
    v1::ChatMessage message;
    message.set_kind(c.kind);
    message.set_text(c.text);
    bool posts_text = false;
    grpc::Status status = ValidateContent(message, c.first, kMaxText, &posts_text);
    SCOPED_TRACE(testing::Message()
                 << "kind " << c.kind << " text " << c.text.size() << " first " << c.first);
    EXPECT_EQ(status.ok(), c.ok) << status.error_message();
    if (c.ok) {
      EXPECT_EQ(posts_text, c.posts_text);
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_NE(status.error_message().find(c.mentions), std::string::npos)
          << status.error_message();
    }
  }
}

TEST(ChatValidation, ChooseRoom) {
  std::string room;
  EXPECT_TRUE(ChooseRoom("meta", "", "general", &room).ok());
  EXPECT_EQ(room, "meta");
  EXPECT_TRUE(ChooseRoom("", "msg", "general", &room).ok());
  EXPECT_EQ(room, "msg");
  EXPECT_TRUE(ChooseRoom("same", "same", "general", &room).ok());
  grpc::Status differ = ChooseRoom("a", "b", "general", &room);
  EXPECT_EQ(differ.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(differ.error_message().find("x-chat-room"), std::string::npos);
  // Neither names a room: the default one.
  EXPECT_TRUE(ChooseRoom("", "", "general", &room).ok());
  EXPECT_EQ(room, "general");
  grpc::Status bad_meta = ChooseRoom("bad room", "", "general", &room);
  EXPECT_NE(bad_meta.error_message().find("x-chat-room"), std::string::npos);
}

TEST(ChatValidation, AfterSequenceOnlyOnTheFirstMessageAndNeverNegative) {
  struct Case {
    int64_t after;
    bool first;
    bool ok;
    std::string message;
  } cases[] = {
      {0, true, true, ""},
      {0, false, true, ""},
      {42, true, true, ""},
      {42, false, false, "after_sequence 42: only the first message of a stream resumes"},
      {-1, true, false,
       "after_sequence -1: must be 0 (join with the recent history) or the sequence of the last "
       "message received"},
  };
  for (const auto& c : cases) {
    v1::ChatMessage message;
    message.set_after_sequence(c.after);
    grpc::Status status = ValidateAfterSequence(message, c.first);
    EXPECT_EQ(status.ok(), c.ok) << c.after << " " << c.first;
    if (!c.ok) {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_EQ(status.error_message(), c.message);
    }
  }
}

}  // namespace
}  // namespace switchboard::chat
