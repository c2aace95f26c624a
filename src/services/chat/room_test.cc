#include "services/chat/room.h"

#include <gtest/gtest.h>

#include <vector>

namespace switchboard::chat {
namespace {

// Records what it is given; overflows after `capacity` messages, like a member whose client
// stopped reading.
class FakeMember : public ChatMember {
 public:
  explicit FakeMember(size_t capacity = 1000) : capacity_(capacity) {}
  Delivery Deliver(MessagePtr message) override {
    if (closing_) return Delivery::kClosed;
    if (received.size() >= capacity_) {
      Close({grpc::StatusCode::RESOURCE_EXHAUSTED, "full"});
      return Delivery::kOverflow;
    }
    received.push_back(*message);
    return Delivery::kQueued;
  }
  bool IsClosing() override { return closing_; }
  void Close(const grpc::Status& status) override {
    if (closing_) return;
    closing_ = true;
    close_status = status;
  }

  std::vector<v1::ChatMessage> received;
  grpc::Status close_status;

 private:
  size_t capacity_;
  bool closing_ = false;
};

class RoomTest : public ::testing::Test {
 protected:
  Room MakeRoom(size_t history, size_t max_members = 100) {
    return Room("lobby", RoomLimits{history, max_members}, [this] { return ++now_ms_; });
  }
  int64_t now_ms_ = 1000;
};

TEST_F(RoomTest, StampsAndDeliversToEveryMemberIncludingTheSender) {
  Room room = MakeRoom(10);
  FakeMember alice, bob;
  ASSERT_TRUE(room.Join(&alice, "alice").ok());
  ASSERT_TRUE(room.Join(&bob, "bob").ok());
  ASSERT_TRUE(room.Post(&alice, "hi"));

  ASSERT_EQ(alice.received.size(), 3u);  // own join, bob's join, the text
  ASSERT_EQ(bob.received.size(), 3u);    // alice's join from history, own join, the text
  const v1::ChatMessage& text = bob.received[2];
  EXPECT_EQ(text.kind(), v1::ChatMessage::KIND_TEXT);
  EXPECT_EQ(text.user_id(), "alice");
  EXPECT_EQ(text.room(), "lobby");
  EXPECT_EQ(text.text(), "hi");
  EXPECT_EQ(text.sequence(), 3);
  EXPECT_GT(text.timestamp(), 1000);
  EXPECT_EQ(alice.received[2].SerializeAsString(), text.SerializeAsString());
  EXPECT_EQ(alice.received[0].kind(), v1::ChatMessage::KIND_JOIN);
  EXPECT_EQ(alice.received[0].sequence(), 1);
}

TEST_F(RoomTest, ReplaysBoundedHistoryThenLiveWithoutGap) {
  Room room = MakeRoom(3);
  FakeMember alice, carol;
  ASSERT_TRUE(room.Join(&alice, "alice").ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(room.Post(&alice, "m" + std::to_string(i)));
  ASSERT_TRUE(room.Join(&carol, "carol").ok());
  ASSERT_TRUE(room.Post(&alice, "after"));
  // History holds sequences 4..6 (m2..m4); then carol's join (7) and the live text (8).
  std::vector<int64_t> sequences;
  for (const auto& m : carol.received) sequences.push_back(m.sequence());
  EXPECT_EQ(sequences, (std::vector<int64_t>{4, 5, 6, 7, 8}));
  EXPECT_EQ(carol.received[0].text(), "m2");
  EXPECT_EQ(carol.received[3].kind(), v1::ChatMessage::KIND_JOIN);
  EXPECT_EQ(carol.received[4].text(), "after");
}

TEST_F(RoomTest, NoHistoryWhenDisabled) {
  Room room = MakeRoom(0);
  FakeMember alice, carol;
  ASSERT_TRUE(room.Join(&alice, "alice").ok());
  ASSERT_TRUE(room.Post(&alice, "m"));
  ASSERT_TRUE(room.Join(&carol, "carol").ok());
  ASSERT_EQ(carol.received.size(), 1u);
  EXPECT_EQ(carol.received[0].kind(), v1::ChatMessage::KIND_JOIN);
}

TEST_F(RoomTest, OverflowingMemberIsRemovedAndItsLeaveAnnounced) {
  Room room = MakeRoom(0);
  FakeMember alice, slow(2);
  ASSERT_TRUE(room.Join(&alice, "alice").ok());
  ASSERT_TRUE(room.Join(&slow, "slow").ok());  // slow holds its join
  ASSERT_TRUE(room.Post(&alice, "one"));       // slow holds 2: full
  ASSERT_TRUE(room.Post(&alice, "two"));       // slow overflows
  EXPECT_EQ(slow.close_status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(room.member_count(), 1u);
  EXPECT_FALSE(room.Post(&slow, "late"));
  ASSERT_EQ(alice.received.size(), 5u);
  EXPECT_EQ(alice.received[4].kind(), v1::ChatMessage::KIND_LEAVE);
  EXPECT_EQ(alice.received[4].user_id(), "slow");
  EXPECT_EQ(alice.received[4].sequence(), 5);
  room.Leave(&slow);  // already gone: no second leave
  EXPECT_EQ(alice.received.size(), 5u);
}

TEST_F(RoomTest, LeaveIsAnnouncedOnceAndFullRoomRefusesJoin) {
  Room room = MakeRoom(0, 2);
  FakeMember alice, bob, carol;
  ASSERT_TRUE(room.Join(&alice, "alice").ok());
  ASSERT_TRUE(room.Join(&bob, "bob").ok());
  grpc::Status full = room.Join(&carol, "carol");
  EXPECT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(full.error_message().find("max_members"), std::string::npos);
  room.Leave(&bob);
  room.Leave(&bob);
  ASSERT_EQ(alice.received.size(), 3u);
  EXPECT_EQ(alice.received[2].kind(), v1::ChatMessage::KIND_LEAVE);
  EXPECT_TRUE(room.Join(&carol, "carol").ok());
}

TEST_F(RoomTest, ClosingMemberCannotJoin) {
  Room room = MakeRoom(0);
  FakeMember gone;
  gone.Close(grpc::Status::CANCELLED);
  EXPECT_EQ(room.Join(&gone, "gone").error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(room.member_count(), 0u);
}

TEST_F(RoomTest, AResumeGetsTheHistoryAfterItsSequenceOrIsOutOfRange) {
  Room room = MakeRoom(3);
  FakeMember alice, back, gone, ahead;
  ASSERT_TRUE(room.Join(&alice, "alice").ok());                      // 1
  for (int i = 0; i < 4; ++i) room.Post(&alice, std::to_string(i));  // 2..5; history 3..5
  ASSERT_TRUE(room.Enter(&back, "bob", 3).ok());
  std::vector<int64_t> sequences;
  for (const auto& m : back.received) sequences.push_back(m.sequence());
  EXPECT_EQ(sequences, (std::vector<int64_t>{4, 5, 6}));  // then its own join
  grpc::Status refused = room.Enter(&gone, "carol", 1);   // 2 is no longer kept
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_NE(refused.error_message().find("can resume from sequences 3..6"), std::string::npos)
      << refused.error_message();
  EXPECT_EQ(room.Enter(&ahead, "dave", 7).error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_TRUE(gone.received.empty());
}

}  // namespace
}  // namespace switchboard::chat
