// Chat replicas sharing a bus: a room is the same room on every replica. Members on both see one
// order, a join on one replays what was said on the other, a member whose replica stops resumes
// on the other with nothing lost or repeated, and a replica that loses its nats-server says
// NOT_SERVING and refuses sends until the server is back. Replicas run in this process, each on
// its own grpc++ server, on a real nats-server (or on one shared InProcessBus).
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/bus/in_process_bus.h"
#include "common/bus/nats_bus.h"
#include "common/bus/testing/nats_server.h"
#include "common/service_host.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/chat/chat_service.h"
#include "switchboard/chat/v1/chat.grpc.pb.h"

namespace switchboard::chat {
namespace {

using Message = v1::ChatMessage;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kWait = std::chrono::seconds(15);
constexpr auto kStreamDeadline = std::chrono::seconds(60);
constexpr auto kPoll = std::chrono::milliseconds(10);
constexpr char kRoom[] = "lobby";

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!condition()) {
    if (SteadyClock::now() > deadline) return false;
    std::this_thread::sleep_for(kPoll);
  }
  return true;
}

std::shared_ptr<bus::Bus> NatsAt(const std::string& url, const std::string& name) {
  bus::NatsOptions options;
  options.url = url;
  options.client_name = name;
  auto connected = bus::NatsBus::Connect(options);
  EXPECT_TRUE(connected.ok()) << connected.status();
  return connected.ok() ? std::shared_ptr<bus::Bus>(std::move(*connected)) : nullptr;
}

// One chat replica on its own grpc++ server, its health wired as a host would wire it.
class Replica {
 public:
  explicit Replica(std::shared_ptr<bus::Bus> bus, const std::string& settings = "{}") {
    common::ServiceOptions options;
    options.name = "chat";
    options.settings = YAML::Load(settings);
    auto made = NewChatService(options, SystemNowMs, std::move(bus));
    EXPECT_TRUE(made.ok()) << made.status();
    if (!made.ok()) return;
    service_ = std::move(*made);
    auto host = common::ServiceHost::Start("127.0.0.1:0", {service_.get()});
    EXPECT_TRUE(host.ok()) << host.status();
    if (!host.ok()) return;
    host_ = std::move(*host);
    grpc::HealthCheckServiceInterface* health = host_->server()->GetHealthCheckService();
    service_->AttachHealth([health](bool serving) { health->SetServingStatus(serving); });
  }
  ~Replica() { Stop(); }

  bool ok() const { return host_ != nullptr; }
  // As the process would on SIGTERM: every stream ends with UNAVAILABLE.
  void Stop() {
    if (host_ != nullptr) host_->Shutdown();
  }
  std::shared_ptr<grpc::Channel> NewChannel() const {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
    return grpc::CreateCustomChannel(host_->address(), grpc::InsecureChannelCredentials(), args);
  }
  // The grpc.health.v1 status of the chat service, as a health checker sees it.
  grpc::health::v1::HealthCheckResponse::ServingStatus Health() const {
    auto stub = grpc::health::v1::Health::NewStub(NewChannel());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(v1::ChatService::service_full_name());
    grpc::health::v1::HealthCheckResponse response;
    if (!stub->Check(&context, request, &response).ok()) {
      return grpc::health::v1::HealthCheckResponse::UNKNOWN;
    }
    return response.status();
  }

 private:
  std::unique_ptr<ChatService> service_;
  std::unique_ptr<common::ServiceHost> host_;
};

// One member's Chat stream: joins (or resumes) on construction, reads on its own thread.
class Member {
 public:
  Member(const Replica& replica, const std::string& user_id, int64_t after_sequence = 0)
      : user_id_(user_id), stub_(v1::ChatService::NewStub(replica.NewChannel())) {
    context_.set_deadline(std::chrono::system_clock::now() + kStreamDeadline);
    stream_ = stub_->Chat(&context_);
    Message join;
    join.set_user_id(user_id);
    join.set_room(kRoom);
    join.set_kind(Message::KIND_JOIN);
    join.set_after_sequence(after_sequence);
    stream_->Write(join);
    reader_ = std::thread([this] {
      Message message;
      while (stream_->Read(&message)) {
        std::lock_guard<std::mutex> lock(mutex_);
        received_.push_back(message);
      }
      std::lock_guard<std::mutex> lock(mutex_);
      ended_ = true;
    });
  }
  ~Member() {
    context_.TryCancel();
    End();
  }

  bool Say(const std::string& text) {
    Message message;
    message.set_user_id(user_id_);
    message.set_text(text);
    return stream_->Write(message);
  }
  std::vector<Message> Received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }
  std::vector<std::string> Texts() {
    std::vector<std::string> texts;
    for (const Message& m : Received()) {
      if (m.kind() == Message::KIND_TEXT) texts.push_back(m.text());
    }
    return texts;
  }
  int64_t LastSequence() {
    auto received = Received();
    return received.empty() ? 0 : received.back().sequence();
  }
  bool WaitForTexts(size_t count) {
    return WaitFor([&] { return Texts().size() >= count; });
  }
  // False at once when the stream ends first.
  bool WaitForJoinOf(const std::string& user_id) {
    const auto joined = [&] {
      for (const Message& m : Received()) {
        if (m.kind() == Message::KIND_JOIN && m.user_id() == user_id) return true;
      }
      return false;
    };
    WaitFor([&] { return joined() || ended(); });
    return joined();
  }
  // Waits for the server to end the stream (bounded by its deadline) and returns its status.
  grpc::Status End() {
    if (reader_.joinable()) {
      reader_.join();
      status_ = stream_->Finish();
    }
    return status_;
  }
  bool ended() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ended_;
  }

 private:
  const std::string user_id_;
  std::unique_ptr<v1::ChatService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<Message, Message>> stream_;
  std::thread reader_;
  std::mutex mutex_;
  std::vector<Message> received_;
  bool ended_ = false;
  grpc::Status status_;
};

std::vector<std::string> Numbered(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

std::vector<int64_t> Sequences(const std::vector<Message>& messages) {
  std::vector<int64_t> out;
  for (const Message& m : messages) out.push_back(m.sequence());
  return out;
}

// The messages from the one with `sequence` on.
std::vector<Message> From(const std::vector<Message>& messages, int64_t sequence) {
  std::vector<Message> out;
  for (const Message& m : messages) {
    if (m.sequence() >= sequence) out.push_back(m);
  }
  return out;
}

// Two members on each replica; texts sent through both, alternately: every member sees every
// text, and all four see the same messages with the same sequences in the same order.
void MembersOnBothReplicasSeeOneOrder(std::shared_ptr<bus::Bus> bus_a,
                                      std::shared_ptr<bus::Bus> bus_b) {
  Replica a(bus_a), b(bus_b);
  ASSERT_TRUE(a.ok() && b.ok());
  Member a1(a, "a1");
  ASSERT_TRUE(a1.WaitForJoinOf("a1"));
  Member b1(b, "b1"), a2(a, "a2"), b2(b, "b2");
  for (Member* m : {&a1, &a2, &b1, &b2}) {
    for (const char* user : {"a2", "b1", "b2"}) ASSERT_TRUE(m->WaitForJoinOf(user)) << user;
  }
  constexpr int kTexts = 40;
  Member* senders[] = {&a1, &b1, &a2, &b2};
  for (int i = 0; i < kTexts; ++i) ASSERT_TRUE(senders[i % 4]->Say("t" + std::to_string(i)));
  for (Member* m : {&a1, &a2, &b1, &b2}) ASSERT_TRUE(m->WaitForTexts(kTexts));
  // Each sender's own texts come in the order it sent them; all members agree on the rest.
  const auto reference = From(a1.Received(), b2.Received().front().sequence());
  for (Member* m : {&a2, &b1, &b2}) {
    const auto seen = From(m->Received(), reference.front().sequence());
    ASSERT_EQ(Sequences(seen), Sequences(reference));
    for (size_t i = 0; i < seen.size(); ++i) {
      EXPECT_EQ(seen[i].text(), reference[i].text()) << i;
      EXPECT_EQ(seen[i].user_id(), reference[i].user_id()) << i;
    }
  }
  const auto sequences = Sequences(a1.Received());
  for (size_t i = 1; i < sequences.size(); ++i) ASSERT_LT(sequences[i - 1], sequences[i]) << i;
}

// Texts said on A are replayed, with their sequences, to a member who joins on B later.
void AJoinOnBReplaysHistorySentViaA(std::shared_ptr<bus::Bus> bus_a,
                                    std::shared_ptr<bus::Bus> bus_b) {
  Replica a(bus_a, "{history: 5}");
  Member alice(a, "alice");
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(alice.Say("h" + std::to_string(i)));
  ASSERT_TRUE(alice.WaitForTexts(8));
  // B starts after the texts were sent: it holds nothing of the room until the join.
  Replica b(bus_b, "{history: 5}");
  ASSERT_TRUE(a.ok() && b.ok());
  Member bob(b, "bob");
  ASSERT_TRUE(bob.WaitForJoinOf("bob"));
  const auto replayed = bob.Received();
  ASSERT_GE(replayed.size(), 6u);
  // The last five messages of the room, then bob's own join.
  EXPECT_EQ(bob.Texts(), Numbered("h", 3, 8));
  // With the sequences alice saw them with on A.
  const auto on_a = alice.Received();
  for (size_t i = 0; i < 5; ++i) {
    bool found = false;
    for (const Message& m : on_a) {
      if (m.text() != replayed[i].text()) continue;
      EXPECT_EQ(m.sequence(), replayed[i].sequence()) << m.text();
      found = true;
    }
    EXPECT_TRUE(found) << replayed[i].text();
  }
}

// A member's replica stops; while it is away texts are said on the other; it resumes there with
// the last sequence it saw and gets exactly the texts it missed, then live ones.
void AMemberOfAStoppedReplicaResumesOnTheOther(std::shared_ptr<bus::Bus> bus_a,
                                               std::shared_ptr<bus::Bus> bus_b) {
  auto a = std::make_unique<Replica>(bus_a);
  Replica b(bus_b);
  ASSERT_TRUE(a->ok() && b.ok());
  Member bob(b, "bob");
  ASSERT_TRUE(bob.WaitForJoinOf("bob"));
  auto alice = std::make_unique<Member>(*a, "alice");
  ASSERT_TRUE(alice->WaitForJoinOf("alice"));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(bob.Say("m" + std::to_string(i)));
  ASSERT_TRUE(alice->WaitForTexts(10));
  const int64_t last_seen = alice->LastSequence();

  a->Stop();
  EXPECT_EQ(alice->End().error_code(), grpc::StatusCode::UNAVAILABLE);
  const std::vector<std::string> seen_on_a = alice->Texts();
  alice.reset();
  for (int i = 10; i < 15; ++i) ASSERT_TRUE(bob.Say("m" + std::to_string(i)));
  ASSERT_TRUE(bob.WaitForTexts(15));

  Member again(b, "alice", last_seen);
  ASSERT_TRUE(again.WaitForTexts(5));
  ASSERT_TRUE(bob.Say("m15"));
  ASSERT_TRUE(again.WaitForTexts(6));
  std::vector<std::string> all = seen_on_a;
  for (const std::string& text : again.Texts()) all.push_back(text);
  EXPECT_EQ(all, Numbered("m", 0, 16));
  const auto received = again.Received();
  EXPECT_GT(received.front().sequence(), last_seen);
  for (size_t i = 1; i < received.size(); ++i) {
    ASSERT_LT(received[i - 1].sequence(), received[i].sequence()) << i;
  }
}

class ChatReplicasOnNats : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = bus::testing::NatsServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    a_ = NatsAt(server_->url(), "chat-a");
    b_ = NatsAt(server_->url(), "chat-b");
    ASSERT_TRUE(a_ && b_);
  }

  std::unique_ptr<bus::testing::NatsServer> server_;
  std::shared_ptr<bus::Bus> a_, b_;
};

TEST_F(ChatReplicasOnNats, MembersOnBothReplicasSeeOneOrder) {
  MembersOnBothReplicasSeeOneOrder(a_, b_);
}

TEST_F(ChatReplicasOnNats, AJoinOnBReplaysHistorySentViaA) {
  AJoinOnBReplaysHistorySentViaA(a_, b_);
}

TEST_F(ChatReplicasOnNats, AMemberOfAStoppedReplicaResumesOnTheOther) {
  AMemberOfAStoppedReplicaResumesOnTheOther(a_, b_);
}

TEST_F(ChatReplicasOnNats, AResumeFromBeyondTheKeptMessagesIsOutOfRange) {
  Replica a(a_, "{history: 2, resume_max: 3}");
  ASSERT_TRUE(a.ok());
  Member alice(a, "alice");
  ASSERT_TRUE(alice.WaitForJoinOf("alice"));
  const int64_t joined = alice.LastSequence();
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(alice.Say("x" + std::to_string(i)));
  ASSERT_TRUE(alice.WaitForTexts(6));
  const int64_t last = alice.LastSequence();
  Member late(a, "alice", joined);  // its join is no longer among the last three
  grpc::Status refused = late.End();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::OUT_OF_RANGE) << refused.error_message();
  EXPECT_NE(refused.error_message().find("can resume from sequences"), std::string::npos)
      << refused.error_message();
  EXPECT_NE(refused.error_message().find(std::to_string(last)), std::string::npos)
      << refused.error_message();
  Member future(a, "alice", last + 1000);
  EXPECT_EQ(future.End().error_code(), grpc::StatusCode::OUT_OF_RANGE);
  Member ok(a, "alice", last - 1);  // the last text is still kept
  ASSERT_TRUE(ok.WaitForTexts(1));
  EXPECT_EQ(ok.Texts().front(), "x5");
}

TEST_F(ChatReplicasOnNats, ABusOutageIsNotServingAndRefusesSendsUntilItEnds) {
  Replica a(a_), b(b_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.Health(), grpc::health::v1::HealthCheckResponse::SERVING);
  Member bob(b, "bob");
  ASSERT_TRUE(bob.WaitForJoinOf("bob"));
  Member alice(a, "alice");
  ASSERT_TRUE(alice.WaitForJoinOf("alice"));
  ASSERT_TRUE(bob.WaitForJoinOf("alice"));

  server_->Kill();
  ASSERT_TRUE(WaitFor([&] {
    return a.Health() == grpc::health::v1::HealthCheckResponse::NOT_SERVING &&
           b.Health() == grpc::health::v1::HealthCheckResponse::NOT_SERVING;
  }));
  // A text while the bus is down ends the stream at once with UNAVAILABLE: it was not sent.
  const auto sent = SteadyClock::now();
  alice.Say("lost");
  grpc::Status refused = alice.End();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  EXPECT_NE(refused.error_message().find("message not sent"), std::string::npos)
      << refused.error_message();
  EXPECT_LT(SteadyClock::now() - sent, std::chrono::seconds(3));

  ASSERT_TRUE(server_->Restart().ok()) << server_->Output();
  ASSERT_TRUE(WaitFor([&] {
    return a.Health() == grpc::health::v1::HealthCheckResponse::SERVING &&
           b.Health() == grpc::health::v1::HealthCheckResponse::SERVING;
  }));
  // Messages flow again: a member back on A talks with bob on B.
  std::unique_ptr<Member> back;
  ASSERT_TRUE(WaitFor([&] {
    back = std::make_unique<Member>(a, "alice");
    if (back->WaitForJoinOf("alice")) return true;
    back.reset();  // the stream comes back with the server a moment after clients reconnect
    return false;
  }));
  ASSERT_TRUE(back->Say("back"));
  ASSERT_TRUE(bob.WaitForTexts(1));
  EXPECT_EQ(bob.Texts(), std::vector<std::string>{"back"});
}

// The same room semantics with one InProcessBus standing for the shared bus in one process.
TEST(ChatReplicasInProcess, MembersOnBothReplicasSeeOneOrder) {
  auto bus = std::make_shared<bus::InProcessBus>();
  MembersOnBothReplicasSeeOneOrder(bus, bus);
}

TEST(ChatReplicasInProcess, AJoinOnBReplaysHistorySentViaA) {
  auto bus = std::make_shared<bus::InProcessBus>();
  AJoinOnBReplaysHistorySentViaA(bus, bus);
}

TEST(ChatReplicasInProcess, AMemberOfAStoppedReplicaResumesOnTheOther) {
  auto bus = std::make_shared<bus::InProcessBus>();
  AMemberOfAStoppedReplicaResumesOnTheOther(bus, bus);
}

}  // namespace
}  // namespace switchboard::chat
