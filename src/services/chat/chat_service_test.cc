#include "services/chat/chat_service.h"

#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "switchboard/chat/v1/chat.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::chat {
namespace {

using Message = v1::ChatMessage;
using Clock = std::chrono::steady_clock;

constexpr auto kCallDeadline = std::chrono::seconds(20);
constexpr auto kWait = std::chrono::seconds(10);

// One member over the synchronous client API: the test thread writes, a thread of its own reads
// (unless told not to), so both directions run independently as they do on the server.
class ChatClient {
 public:
  ChatClient(v1::ChatService::Stub* stub, const std::string& metadata_room = "", bool read = true) {
    context_.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    if (!metadata_room.empty()) context_.AddMetadata("x-chat-room", metadata_room);
    stream_ = stub->Chat(&context_);
    if (read) StartReading();
  }
  ~ChatClient() {
    if (!finished_) {
      context_.TryCancel();
      if (reader_.joinable()) reader_.join();
      stream_->Finish();
    }
  }

  bool Send(const std::string& user_id, const std::string& text, const std::string& room = "",
            Message::Kind kind = Message::KIND_TEXT) {
    Message message;
    message.set_user_id(user_id);
    message.set_text(text);
    message.set_room(room);
    message.set_kind(kind);
    return stream_->Write(message);
  }
  bool SendMessage(const Message& message) { return stream_->Write(message); }
  bool Join(const std::string& user_id, const std::string& room = "") {
    return Send(user_id, "", room, Message::KIND_JOIN);
  }

  void StartReading() {
    reader_ = std::thread([this] {
      Message message;
      while (stream_->Read(&message)) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (message.kind() == Message::KIND_TEXT) {
          ++text_count_;
        } else {
          events_.emplace(message.kind(), message.user_id());
        }
        received_.push_back(message);
        changed_.notify_all();
      }
    });
  }

  // Waits (bounded) until `done` holds for what was received so far.
  bool WaitUntil(const std::function<bool(const std::vector<Message>&)>& done) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kWait, [&] { return done(received_); });
  }
  bool WaitForEvent(Message::Kind kind, const std::string& user_id) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kWait, [&] { return events_.count({kind, user_id}) != 0; });
  }
  bool WaitForTexts(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kWait, [&] { return text_count_ >= count; });
  }
  bool HasEvent(Message::Kind kind, const std::string& user_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_.count({kind, user_id}) != 0;
  }

  std::vector<Message> Received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }
  std::vector<Message> Texts() {
    std::vector<Message> texts;
    for (const auto& m : Received()) {
      if (m.kind() == Message::KIND_TEXT) texts.push_back(m);
    }
    return texts;
  }

  // Half-closes, reads what the server still sends, and returns its status.
  grpc::Status Finish() {
    stream_->WritesDone();
    return Await();
  }
  // Waits for the server to end the stream (reading everything it sends) and returns its status.
  grpc::Status Await() {
    if (!reader_.joinable()) StartReading();
    reader_.join();
    finished_ = true;
    return stream_->Finish();
  }
  void Cancel() { context_.TryCancel(); }
  // Only before reading starts (the sync API forbids it alongside a Read).
  void WaitForInitialMetadata() { stream_->WaitForInitialMetadata(); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<Message, Message>> stream_;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Message> received_;
  size_t text_count_ = 0;
  std::set<std::pair<int, std::string>> events_;  // (kind, user_id) of join and leave events
  bool finished_ = false;
};

class ChatServiceTest : public ::testing::Test {
 protected:
  explicit ChatServiceTest(const std::string& settings = "{}")
      : server_(MakeChatService, settings), stub_(v1::ChatService::NewStub(server_.NewChannel())) {}

  switchboard::testing::TestServer server_;
  std::unique_ptr<v1::ChatService::Stub> stub_;
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_F(ChatServiceTest, TwoMembersExchangeMessages) {
  const int64_t before = NowMs();
  ChatClient alice(stub_.get(), "lobby");
  ChatClient bob(stub_.get(), "lobby");
  ASSERT_TRUE(alice.Join("alice"));
  ASSERT_TRUE(alice.WaitForEvent(Message::KIND_JOIN, "alice"));
  ASSERT_TRUE(bob.Join("bob"));
  ASSERT_TRUE(alice.WaitForEvent(Message::KIND_JOIN, "bob"));
  ASSERT_TRUE(alice.Send("alice", "hi bob"));
  ASSERT_TRUE(bob.WaitForTexts(1));
  ASSERT_TRUE(bob.Send("bob", "hi alice"));
  ASSERT_TRUE(alice.WaitForTexts(2));
  ASSERT_TRUE(bob.WaitForTexts(2));

  const auto alice_texts = alice.Texts();
  const auto bob_texts = bob.Texts();
  ASSERT_EQ(alice_texts.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(alice_texts[i].SerializeAsString(), bob_texts[i].SerializeAsString());
  }
  const Message& first = alice_texts[0];
  EXPECT_EQ(first.user_id(), "alice");  // the sender receives its own message too
  EXPECT_EQ(first.text(), "hi bob");
  EXPECT_EQ(first.room(), "lobby");
  EXPECT_EQ(first.kind(), Message::KIND_TEXT);
  EXPECT_GE(first.timestamp(), before);
  EXPECT_LE(first.timestamp(), NowMs());
  // alice's join is 1, bob's join 2, then the texts.
  EXPECT_EQ(first.sequence(), 3);
  EXPECT_EQ(alice_texts[1].sequence(), 4);
  EXPECT_EQ(alice_texts[1].user_id(), "bob");

  EXPECT_TRUE(alice.Finish().ok());
  EXPECT_TRUE(bob.WaitForEvent(Message::KIND_LEAVE, "alice"));
  EXPECT_TRUE(bob.Finish().ok());
}

// A client written from the contract alone sends only user_id, text and timestamp: it joins the
// default room, where a member that named the room meets it.
TEST_F(ChatServiceTest, AMessageWithNoRoomJoinsTheDefaultRoom) {
  ChatClient named(stub_.get(), "general");
  ASSERT_TRUE(named.Join("alice"));
  ASSERT_TRUE(named.WaitForEvent(Message::KIND_JOIN, "alice"));
  ChatClient unnamed(stub_.get());
  Message bare;
  bare.set_user_id("bob");
  bare.set_text("hi");
  bare.set_timestamp(NowMs());
  ASSERT_TRUE(unnamed.SendMessage(bare));
  ASSERT_TRUE(named.WaitForTexts(1));
  ASSERT_TRUE(unnamed.WaitForTexts(1));
  EXPECT_EQ(named.Texts()[0].user_id(), "bob");
  EXPECT_EQ(named.Texts()[0].room(), "general");
  EXPECT_EQ(unnamed.Texts()[0].room(), "general");
  EXPECT_TRUE(unnamed.Finish().ok());
  EXPECT_TRUE(named.Finish().ok());
}

TEST(ChatServiceDefaultRoom, TheDefaultRoomIsConfigurable) {
  switchboard::testing::TestServer server(MakeChatService, "{default_room: lobby}");
  auto stub = v1::ChatService::NewStub(server.NewChannel());
  ChatClient named(stub.get(), "lobby");
  ASSERT_TRUE(named.Join("alice"));
  ASSERT_TRUE(named.WaitForEvent(Message::KIND_JOIN, "alice"));
  ChatClient unnamed(stub.get());
  ASSERT_TRUE(unnamed.Send("bob", "hi"));
  ASSERT_TRUE(named.WaitForTexts(1));
  EXPECT_EQ(named.Texts()[0].room(), "lobby");
  EXPECT_TRUE(unnamed.Finish().ok());
  EXPECT_TRUE(named.Finish().ok());
}

TEST_F(ChatServiceTest, TimestampsComeFromTheInjectedClock) {
  switchboard::testing::TestServer server([](const common::ServiceOptions& options) {
    return MakeChatServiceWithClock(options, [] { return int64_t{1234567}; });
  });
  auto stub = v1::ChatService::NewStub(server.NewChannel());
  ChatClient alice(stub.get(), "lobby");
  ASSERT_TRUE(alice.Send("alice", "hello"));
  ASSERT_TRUE(alice.WaitForTexts(1));
  EXPECT_EQ(alice.Texts()[0].timestamp(), 1234567);
  EXPECT_TRUE(alice.Finish().ok());
}

TEST_F(ChatServiceTest, HistoryIsReplayedOnJoin) {
  ChatClient alice(stub_.get(), "lobby");
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(alice.Send("alice", "m" + std::to_string(i)));
  ASSERT_TRUE(alice.WaitForTexts(60));

  ChatClient carol(stub_.get(), "lobby");
  ASSERT_TRUE(carol.Join("carol"));
  ASSERT_TRUE(carol.WaitForEvent(Message::KIND_JOIN, "carol"));
  const auto received = carol.Received();
  // alice's join was 1, her texts 2..61; the last 50 of those are history, then carol's join.
  ASSERT_EQ(received.size(), 51u);
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(received[i].sequence(), static_cast<int64_t>(12 + i));
    EXPECT_EQ(received[i].text(), "m" + std::to_string(10 + i));
  }
  EXPECT_EQ(received[50].kind(), Message::KIND_JOIN);
  EXPECT_EQ(received[50].sequence(), 62);
  EXPECT_TRUE(carol.Finish().ok());
  EXPECT_TRUE(alice.Finish().ok());
}

TEST_F(ChatServiceTest, NoGapOrDuplicateBetweenHistoryAndLive) {
  constexpr int kMaxMessages = 5000;
  constexpr int kAfterJoin = 100;  // keep sending this long after carol is in
  constexpr int kWindow = 100;     // messages alice may send ahead of her own echoes
  ChatClient alice(stub_.get(), "lobby");
  ASSERT_TRUE(alice.Join("alice"));
  std::atomic<int> sent{0};
  std::thread sender([&] {
    int stop_at = kMaxMessages;
    for (int i = 0; i < stop_at; ++i) {
      if (!alice.Send("alice", "m" + std::to_string(i))) return;
      sent = i + 1;
      // alice reads her own echoes; sending far ahead of them would get her dropped as a
      // member that reads too slowly.
      if (i >= kWindow && !alice.WaitForTexts(i - kWindow)) return;
      if (stop_at == kMaxMessages && alice.HasEvent(Message::KIND_JOIN, "carol")) {
        stop_at = std::min(kMaxMessages, i + 1 + kAfterJoin);
      }
    }
  });
  // carol joins while alice is sending.
  ASSERT_TRUE(alice.WaitForTexts(60));
  ChatClient carol(stub_.get(), "lobby");
  ASSERT_TRUE(carol.Join("carol"));
  sender.join();
  ASSERT_LT(sent.load(), kMaxMessages);
  ASSERT_TRUE(alice.WaitForTexts(sent.load()));
  const int64_t last = alice.Texts().back().sequence();
  ASSERT_TRUE(carol.WaitUntil([&](const std::vector<Message>& received) {
    return !received.empty() && received.back().sequence() == last;
  }));

  const auto received = carol.Received();
  size_t join_at = received.size();
  for (size_t i = 0; i < received.size(); ++i) {
    if (i > 0) {
      ASSERT_EQ(received[i].sequence(), received[i - 1].sequence() + 1) << "at " << i;
    }
    if (received[i].kind() == Message::KIND_JOIN && received[i].user_id() == "carol") join_at = i;
  }
  ASSERT_LT(join_at, received.size());
  EXPECT_EQ(join_at, 50u);  // a full history: more than 50 messages were sent before carol
  EXPECT_GE(received.size() - join_at, static_cast<size_t>(kAfterJoin));
  EXPECT_TRUE(carol.Finish().ok());
  EXPECT_TRUE(alice.Finish().ok());
}

TEST_F(ChatServiceTest, JoinAndLeaveEventsAreBroadcast) {
  ChatClient alice(stub_.get(), "lobby");
  ASSERT_TRUE(alice.Join("alice"));
  ChatClient bob(stub_.get(), "lobby");
  ASSERT_TRUE(bob.Join("bob"));
  ASSERT_TRUE(alice.WaitForEvent(Message::KIND_JOIN, "bob"));
  ASSERT_TRUE(bob.Send("bob", "bye"));
  ASSERT_TRUE(bob.WaitForTexts(1));
  // bob half-closes: the server writes what it queued for him, then finishes with OK.
  EXPECT_TRUE(bob.Finish().ok());
  ASSERT_TRUE(alice.WaitForEvent(Message::KIND_LEAVE, "bob"));
  const auto received = alice.Received();
  const Message& leave = received.back();
  EXPECT_EQ(leave.kind(), Message::KIND_LEAVE);
  EXPECT_EQ(leave.room(), "lobby");
  EXPECT_EQ(leave.sequence(), received[received.size() - 2].sequence() + 1);
  EXPECT_TRUE(alice.Finish().ok());
}

TEST_F(ChatServiceTest, RoomComesFromMetadataOrFirstMessage) {
  ChatClient alice(stub_.get(), "lobby");
  ASSERT_TRUE(alice.Join("alice"));
  ASSERT_TRUE(alice.WaitForEvent(Message::KIND_JOIN, "alice"));
  ChatClient bob(stub_.get());  // room from his first message, which also posts text
  ASSERT_TRUE(bob.Send("bob", "hello from the message's room", "lobby"));
  ChatClient dave(stub_.get());
  ASSERT_TRUE(dave.Join("dave", "other"));
  ASSERT_TRUE(dave.WaitForEvent(Message::KIND_JOIN, "dave"));
  ASSERT_TRUE(dave.Send("dave", "elsewhere"));  // later messages may leave the room empty
  ASSERT_TRUE(dave.WaitForTexts(1));

  ASSERT_TRUE(alice.WaitForTexts(1));
  EXPECT_TRUE(alice.HasEvent(Message::KIND_JOIN, "bob"));
  EXPECT_EQ(alice.Texts()[0].user_id(), "bob");
  EXPECT_EQ(alice.Texts()[0].room(), "lobby");
  EXPECT_FALSE(alice.HasEvent(Message::KIND_JOIN, "dave"));
  EXPECT_EQ(dave.Texts()[0].room(), "other");
  EXPECT_EQ(dave.Texts()[0].sequence(), 2);  // rooms count separately
  EXPECT_TRUE(dave.Finish().ok());
  EXPECT_TRUE(bob.Finish().ok());
  EXPECT_FALSE(alice.HasEvent(Message::KIND_TEXT, "dave"));
  EXPECT_TRUE(alice.Finish().ok());
}

TEST_F(ChatServiceTest, InvalidInputEndsTheStream) {
  struct Send {
    std::string user_id;
    std::string text;
    std::string room;
    Message::Kind kind = Message::KIND_TEXT;
  };
  struct Case {
    std::string name;
    std::string metadata_room;
    std::vector<Send> sends;
    std::string mentions;
  } cases[] = {
      {"bad metadata room", "bad room!", {}, "x-chat-room"},
      {"long room", "", {{"alice", "hi", std::string(65, 'r')}}, "room"},
      {"bad room chars", "", {{"alice", "hi", "a/b"}}, "room"},
      {"metadata and message differ", "lobby", {{"alice", "hi", "other"}}, "room"},
      {"no user", "lobby", {{"", "hi"}}, "user_id"},
      {"long user", "lobby", {{std::string(65, 'u'), "hi"}}, "user_id"},
      {"user changes", "lobby", {{"alice", "hi"}, {"mallory", "hi"}}, "user_id"},
      {"room changes", "lobby", {{"alice", "hi"}, {"alice", "hi", "other"}}, "room"},
      {"long text", "lobby", {{"alice", std::string(4097, 't')}}, "text"},
      {"long later text", "lobby", {{"alice", "hi"}, {"alice", std::string(4097, 't')}}, "text"},
      {"empty later text", "lobby", {{"alice", "hi"}, {"alice", ""}}, "text"},
      {"second join",
       "lobby",
       {{"alice", "hi"}, {"alice", "", "", Message::KIND_JOIN}},
       "KIND_JOIN"},
      {"client leave",
       "lobby",
       {{"alice", "hi"}, {"alice", "x", "", Message::KIND_LEAVE}},
       "KIND_LEAVE"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ChatClient client(stub_.get(), c.metadata_room);
    for (const auto& s : c.sends) {
      if (!client.Send(s.user_id, s.text, s.room, s.kind)) break;  // the server ended it
    }
    grpc::Status status = client.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_NE(status.error_message().find(c.mentions), std::string::npos) << status.error_message();
  }
}

TEST_F(ChatServiceTest, ManyMembersSeeEveryMessageInOneOrder) {
  constexpr int kMembers = 50;
  constexpr int kPerMember = 20;
  constexpr size_t kTotal = kMembers * kPerMember;
  std::vector<std::unique_ptr<v1::ChatService::Stub>> stubs;
  for (int i = 0; i < 5; ++i) stubs.push_back(v1::ChatService::NewStub(server_.NewChannel()));
  std::vector<std::unique_ptr<ChatClient>> members;
  for (int i = 0; i < kMembers; ++i) {
    members.push_back(std::make_unique<ChatClient>(stubs[i % stubs.size()].get(), "crowd"));
    ASSERT_TRUE(members.back()->Join("u" + std::to_string(i)));
  }
  // Everyone is in the room before anyone speaks, so everyone can receive everything.
  for (int i = 0; i < kMembers; ++i) {
    ASSERT_TRUE(members[i]->WaitForEvent(Message::KIND_JOIN, "u" + std::to_string(i)));
  }
  std::vector<std::thread> senders;
  std::atomic<int> failed_sends{0};
  for (int i = 0; i < kMembers; ++i) {
    senders.emplace_back([&, i] {
      for (int n = 0; n < kPerMember; ++n) {
        if (!members[i]->Send("u" + std::to_string(i), std::to_string(n))) ++failed_sends;
      }
    });
  }
  for (auto& sender : senders) sender.join();
  EXPECT_EQ(failed_sends.load(), 0);
  for (int i = 0; i < kMembers; ++i) ASSERT_TRUE(members[i]->WaitForTexts(kTotal)) << i;

  const auto reference = members[0]->Texts();
  ASSERT_EQ(reference.size(), kTotal);
  // Per sender, the messages arrive in the order they were sent.
  std::map<std::string, int> next_from;
  for (const auto& m : reference) {
    EXPECT_EQ(m.text(), std::to_string(next_from[m.user_id()]++)) << m.user_id();
  }
  EXPECT_EQ(next_from.size(), static_cast<size_t>(kMembers));
  for (int i = 0; i < kMembers; ++i) {
    const auto received = members[i]->Received();
    // From its own join on, a member sees every sequence number once, in order.
    for (size_t k = 1; k < received.size(); ++k) {
      ASSERT_EQ(received[k].sequence(), received[k - 1].sequence() + 1) << i << " at " << k;
    }
    const auto texts = members[i]->Texts();
    ASSERT_EQ(texts.size(), kTotal) << i;
    for (size_t k = 0; k < kTotal; ++k) {
      ASSERT_EQ(texts[k].sequence(), reference[k].sequence()) << i << " at " << k;
      ASSERT_EQ(texts[k].user_id(), reference[k].user_id()) << i << " at " << k;
      ASSERT_EQ(texts[k].text(), reference[k].text()) << i << " at " << k;
    }
  }
  for (auto& member : members) EXPECT_TRUE(member->Finish().ok());
}

class SlowReaderTest : public ChatServiceTest {
 protected:
  SlowReaderTest() : ChatServiceTest("{member_queue: 8, history: 4, max_text_bytes: 65536}") {}
};

TEST_F(SlowReaderTest, MemberThatNeverReadsIsDroppedWithoutSlowingOthers) {
  constexpr int kMaxMessages = 2000;  // 128 MiB: far beyond any transport buffering
  const std::string text(64 * 1024, 'x');
  ChatClient fast(stub_.get(), "lobby");
  ChatClient observer(stub_.get(), "lobby");
  // Its own connection, so its stalled stream holds no window the others need.
  auto slow_stub = v1::ChatService::NewStub(server_.NewChannel());
  ChatClient slow(slow_stub.get(), "lobby", /*read=*/false);
  ASSERT_TRUE(fast.Join("fast"));
  ASSERT_TRUE(observer.Join("observer"));
  ASSERT_TRUE(slow.Join("slow"));
  ASSERT_TRUE(observer.WaitForEvent(Message::KIND_JOIN, "slow"));

  int sent = 0;
  while (sent < kMaxMessages && !observer.HasEvent(Message::KIND_LEAVE, "slow")) {
    ASSERT_TRUE(fast.Send("fast", text));
    ++sent;
    // Keep in step with the readers so only the slow member falls behind.
    ASSERT_TRUE(observer.WaitForTexts(sent));
  }
  ASSERT_TRUE(observer.HasEvent(Message::KIND_LEAVE, "slow")) << "after " << sent;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(fast.Send("fast", "after"));
  ASSERT_TRUE(fast.WaitForTexts(sent + 5));
  ASSERT_TRUE(observer.WaitForTexts(sent + 5));

  // The slow member now reads what was already on its way, then the reason it was dropped.
  grpc::Status status = slow.Await();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("member_queue"), std::string::npos);
  EXPECT_LT(slow.Texts().size(), static_cast<size_t>(sent));
  EXPECT_TRUE(fast.Finish().ok());
  EXPECT_TRUE(observer.Finish().ok());
}

TEST_F(ChatServiceTest, ClientCancelProducesLeave) {
  ChatClient alice(stub_.get(), "lobby");
  ASSERT_TRUE(alice.Join("alice"));
  ChatClient bob(stub_.get(), "lobby");
  ASSERT_TRUE(bob.Join("bob"));
  ASSERT_TRUE(alice.WaitForEvent(Message::KIND_JOIN, "bob"));
  bob.Cancel();
  EXPECT_TRUE(alice.WaitForEvent(Message::KIND_LEAVE, "bob"));
  EXPECT_EQ(bob.Await().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(alice.Finish().ok());
}

class SmallRoomTest : public ChatServiceTest {
 protected:
  SmallRoomTest() : ChatServiceTest("{max_members: 2, max_rooms: 2}") {}
};

TEST_F(SmallRoomTest, FullRoomIsResourceExhausted) {
  ChatClient alice(stub_.get(), "lobby");
  ASSERT_TRUE(alice.Join("alice"));
  ChatClient bob(stub_.get(), "lobby");
  ASSERT_TRUE(bob.Join("bob"));
  ASSERT_TRUE(alice.WaitForEvent(Message::KIND_JOIN, "bob"));
  ChatClient carol(stub_.get(), "lobby");
  carol.Join("carol");
  grpc::Status status = carol.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(status.error_message().find("max_members"), std::string::npos);
  EXPECT_FALSE(alice.HasEvent(Message::KIND_JOIN, "carol"));
  EXPECT_TRUE(alice.Finish().ok());
  EXPECT_TRUE(bob.Finish().ok());
}

TEST_F(SmallRoomTest, EmptyRoomsAreForgottenToMakeSpace) {
  ChatClient a(stub_.get(), "a");
  ASSERT_TRUE(a.Join("alice"));
  ASSERT_TRUE(a.WaitForEvent(Message::KIND_JOIN, "alice"));
  {
    ChatClient b(stub_.get(), "b");
    ASSERT_TRUE(b.Join("bob"));
    ASSERT_TRUE(b.WaitForEvent(Message::KIND_JOIN, "bob"));
    // Two rooms in use: a third cannot be made.
    ChatClient c(stub_.get(), "c");
    c.Join("carol");
    grpc::Status status = c.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(status.error_message().find("max_rooms"), std::string::npos);
    EXPECT_TRUE(b.Finish().ok());
  }
  // Room b is empty now, so it makes way for c.
  ChatClient c(stub_.get(), "c");
  ASSERT_TRUE(c.Join("carol"));
  ASSERT_TRUE(c.WaitForEvent(Message::KIND_JOIN, "carol"));
  EXPECT_TRUE(c.Finish().ok());
  EXPECT_TRUE(a.Finish().ok());
}

TEST_F(ChatServiceTest, ShutdownEndsOpenStreamsPromptly) {
  std::vector<std::unique_ptr<ChatClient>> members;
  for (int i = 0; i < 5; ++i) {
    members.push_back(std::make_unique<ChatClient>(stub_.get(), "lobby"));
    ASSERT_TRUE(members.back()->Join("u" + std::to_string(i)));
    ASSERT_TRUE(members.back()->WaitForEvent(Message::KIND_JOIN, "u" + std::to_string(i)));
  }
  // A stream that has not sent its first message yet is ended too. The server sends headers as
  // soon as it opens a stream, so their arrival says it is open.
  members.push_back(std::make_unique<ChatClient>(stub_.get(), "lobby", /*read=*/false));
  members.back()->WaitForInitialMetadata();
  ASSERT_TRUE(members[0]->WaitForEvent(Message::KIND_JOIN, "u4"));

  const auto start = Clock::now();
  server_.Shutdown();
  const auto took = Clock::now() - start;
  // The host's grace period is 2 s; streams left open would hold shutdown that long.
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  for (size_t i = 0; i < members.size(); ++i) {
    grpc::Status status = members[i]->Await();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << i << " " << status.error_message();
  }
}

TEST(ChatServiceSettings, UnknownOrInconsistentSettingsFailAtStart) {
  struct Case {
    std::string yaml;
    std::string mentions;
  } cases[] = {
      {"{colour: blue}", "colour"},
      {"{history: -1}", "history"},
      {"{member_queue: 0}", "member_queue"},
      {"{history: 64, member_queue: 64}", "history"},
      {"{max_text_bytes: 99999999}", "max_text_bytes"},
      {"{max_members: 0}", "max_members"},
  };
  for (const auto& c : cases) {
    common::ServiceOptions options;
    options.data_dir = "/tmp";
    options.settings = YAML::Load(c.yaml);
    auto service = MakeChatService(options);
    ASSERT_FALSE(service.ok()) << c.yaml;
    EXPECT_NE(service.status().message().find(c.mentions), std::string::npos)
        << service.status().message();
  }
  common::ServiceOptions options;
  options.settings = YAML::Load(
      "{history: 10, max_text_bytes: 100, member_queue: 20, max_members: 3, max_rooms: 4}");
  EXPECT_TRUE(MakeChatService(options).ok());
}

}  // namespace
}  // namespace switchboard::chat
