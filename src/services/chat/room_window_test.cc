// RoomWindow: bounded by count and age, repeats ignored, and which resumes it can serve (a
// resume must not skip a message the window no longer has).
#include "services/chat/room_window.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace switchboard::chat {
namespace {

constexpr std::chrono::milliseconds kAge{1000};

MessagePtr At(int64_t sequence, int64_t timestamp_ms = 0) {
  auto message = std::make_shared<v1::ChatMessage>();
  message->set_sequence(sequence);
  message->set_timestamp(timestamp_ms);
  return message;
}

std::vector<int64_t> Sequences(const std::vector<MessagePtr>& messages) {
  std::vector<int64_t> out;
  for (const auto& m : messages) out.push_back(m->sequence());
  return out;
}

TEST(RoomWindow, KeepsTheLastMessagesAndIgnoresRepeats) {
  RoomWindow window("lobby", 3, kAge);
  for (int64_t s : {2, 5, 7, 9}) EXPECT_TRUE(window.Add(At(s)));
  EXPECT_FALSE(window.Add(At(9)));
  EXPECT_FALSE(window.Add(At(4)));
  EXPECT_EQ(Sequences(window.Last(10)), (std::vector<int64_t>{5, 7, 9}));
  EXPECT_EQ(Sequences(window.Last(2)), (std::vector<int64_t>{7, 9}));
  EXPECT_EQ(window.last_sequence(), 9);
}

TEST(RoomWindow, ResumesOnlyWhereNothingAfterIsMissing) {
  RoomWindow window("lobby", 3, kAge);
  for (int64_t s : {2, 5, 7, 9}) window.Add(At(s));  // 2 is dropped: resumes start at 2
  struct Case {
    int64_t after, newest;
    bool ok;
    std::vector<int64_t> sent;
  } cases[] = {
      {2, 0, true, {5, 7, 9}}, {3, 0, true, {5, 7, 9}}, {7, 0, true, {9}},  {9, 0, true, {}},
      {12, 12, true, {}},      {1, 0, false, {}},       {10, 9, false, {}}, {13, 12, false, {}},
  };
  for (const auto& c : cases) {
    std::vector<MessagePtr> sent;
    grpc::Status status = window.After(c.after, c.newest, &sent);
    EXPECT_EQ(status.ok(), c.ok) << c.after;
    if (c.ok) {
      EXPECT_EQ(Sequences(sent), c.sent) << c.after;
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
      EXPECT_NE(status.error_message().find("can resume from sequences 2.."), std::string::npos)
          << status.error_message();
    }
  }
}

TEST(RoomWindow, AgeAndWhatTheBusDroppedBeforeMoveTheStart) {
  RoomWindow window("lobby", 10, kAge);
  window.Add(At(4, 100));
  window.Add(At(6, 900));
  window.Add(At(8, 1500));
  window.Trim(2000);  // 4 and 6 are older than a second
  EXPECT_EQ(Sequences(window.Last(10)), (std::vector<int64_t>{8}));
  std::vector<MessagePtr> sent;
  EXPECT_FALSE(window.After(5, 0, &sent).ok());
  EXPECT_TRUE(window.After(6, 0, &sent).ok());

  RoomWindow loaded("lobby", 10, kAge);
  loaded.Add(At(20));
  loaded.ForgetThrough(19);  // loaded from the bus: nothing known before its first message
  EXPECT_FALSE(loaded.After(18, 0, &sent).ok());
  EXPECT_TRUE(loaded.After(19, 0, &sent).ok());
  EXPECT_EQ(Sequences(sent), (std::vector<int64_t>{20}));
}

}  // namespace
}  // namespace switchboard::chat
