// Balancing between services with real replicas: one long-lived HTTP/2 connection through an
// L4 proxy pins every call to one replica; grpc++'s round_robin (common::MakeInternalChannel)
// spreads them per call, skips NOT_SERVING and dead replicas, and retries idempotent calls.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/health_probe.h"
#include "common/internal_channel.h"
#include "common/server_identity.h"
#include "switchboard/booking/v1/booking.grpc.pb.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/tcp_proxy.h"
#include "testing/temp_dir.h"

namespace switchboard {
namespace {

using testing::ChildProcess;
using testing::SwitchboardBinary;
using TicketStub = ticket::v1::TicketService::Stub;

constexpr int kReplicas = 3;
constexpr int kSpreadCalls = 9000;
constexpr double kSpreadTolerance = 0.05;
constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kCallTimeout = std::chrono::seconds(5);

// Ticket replicas as `switchboard up --replicas ticket=3` starts them: `serve --replica i` on
// consecutive ports, one shared database.
class TicketReplicas {
 public:
  TicketReplicas() : base_port_(testing::FreePortBlock(kReplicas)) {
    config_ = dir_.path() + "/config.yaml";
    std::ofstream(config_) << "data_dir: " << dir_.path() << "/var\nservices:\n  ticket: {port: "
                           << base_port_ << ", replicas: " << kReplicas << "}\n";
    for (int i = 1; i <= kReplicas; ++i) Start(i);
  }

  void Start(int replica) {
    replicas_[replica] = std::make_unique<ChildProcess>(
        std::vector<std::string>{SwitchboardBinary(), "serve", "ticket", "--config", config_,
                                 "--replica", std::to_string(replica)},
        absl::StrCat(dir_.path(), "/ticket-", replica, ".log"));
    if (!common::WaitForServing(Address(replica), kStartTimeout)) {
      ADD_FAILURE() << "replica " << replica << " did not start: " << Output(replica);
    }
  }
  void Kill(int replica) { replicas_[replica]->Stop(SIGKILL, std::chrono::seconds(5)); }
  void Signal(int replica, int sig) { kill(replicas_[replica]->pid(), sig); }
  std::string Output(int replica) const { return replicas_.at(replica)->Output(); }

  int Port(int replica) const { return base_port_ + replica - 1; }
  std::string Address(int replica) const { return absl::StrCat("127.0.0.1:", Port(replica)); }
  std::string StaticListTarget() const {
    std::string target = "ipv4:";
    for (int i = 1; i <= kReplicas; ++i) absl::StrAppend(&target, i > 1 ? "," : "", Address(i));
    return target;
  }
  static std::string Id(int replica) {
    return absl::StrCat("ticket-", replica, "@127.0.0.1:");
  }

 private:
  testing::TempDir dir_;
  int base_port_;
  std::string config_;
  std::map<int, std::unique_ptr<ChildProcess>> replicas_;
};

// One GetEvent; returns the answering replica's x-server-id, or the error.
absl::StatusOr<std::string> GetEvent(TicketStub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  ticket::v1::GetEventRequest request;
  request.set_id("evt-1");
  ticket::v1::Event event;
  const grpc::Status status = stub.GetEvent(&context, request, &event);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  const auto& metadata = context.GetServerInitialMetadata();
  auto it = metadata.find(common::kServerIdHeader);
  if (it == metadata.end()) return absl::InternalError("reply without x-server-id");
  return std::string(it->second.data(), it->second.size());
}

// Replica number (1..3) from "ticket-2@127.0.0.1:port", 0 if it does not parse.
int ReplicaOf(const std::string& server_id) {
  const std::string prefix = "ticket-";
  if (server_id.rfind(prefix, 0) != 0 || server_id.size() <= prefix.size()) return 0;
  return server_id[prefix.size()] - '0';
}

std::map<int, int> CountReplies(TicketStub& stub, int calls) {
  std::map<int, int> counts;
  for (int i = 0; i < calls; ++i) {
    auto id = GetEvent(stub);
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) break;
    ++counts[ReplicaOf(*id)];
  }
  return counts;
}

// Signal delivery and the health watch stream are both asynchronous, and a loaded machine
// can take far longer than usual to deliver them; waits, bounded, until a round of calls
// that round_robin would spread over every replica shows `replica` in or out of rotation.
bool WaitUntilRouted(TicketStub& stub, int replica, bool in_rotation) {
  constexpr int kRound = kReplicas * 10;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < give_up) {
    if ((CountReplies(stub, kRound).count(replica) > 0) == in_rotation) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::unique_ptr<TicketStub> InternalStub(const std::string& target, const std::string& policy,
                                         int idempotent_attempts = 3) {
  common::ChannelPolicy channel_policy;
  channel_policy.lb_policy = policy;
  channel_policy.idempotent_attempts = idempotent_attempts;
  return ticket::v1::TicketService::NewStub(common::MakeInternalChannel(
      target, ticket::v1::TicketService::service_full_name(), channel_policy));
}

TEST(ClientLoadBalancing, RetryPolicyCoversOnlyTheMethodsTheContractMarksIdempotent) {
  const std::string ticket =
      common::InternalServiceConfigJson(ticket::v1::TicketService::service_full_name(), {});
  for (const char* method : {"GetEvent", "ListEvents", "ReserveSeats", "ReleaseSeats"}) {
    EXPECT_NE(ticket.find(absl::StrCat("\"method\":\"", method, "\"")), std::string::npos)
        << method << " in " << ticket;
  }
  EXPECT_NE(ticket.find("\"round_robin\""), std::string::npos) << ticket;
  EXPECT_NE(ticket.find("\"healthCheckConfig\""), std::string::npos) << ticket;
  // Nothing of booking's CreateBooking or CancelBooking may run twice.
  // Touching a booking message links booking's contract into this test binary.
  ASSERT_NE(booking::v1::GetBookingRequest::descriptor(), nullptr);
  const std::string booking =
      common::InternalServiceConfigJson(booking::v1::BookingService::service_full_name(), {});
  EXPECT_EQ(booking.find("CreateBooking"), std::string::npos) << booking;
  EXPECT_EQ(booking.find("CancelBooking"), std::string::npos) << booking;
  EXPECT_NE(booking.find("GetBooking"), std::string::npos) << booking;
  common::ChannelPolicy no_retries;
  no_retries.idempotent_attempts = 1;
  EXPECT_EQ(common::InternalServiceConfigJson(ticket::v1::TicketService::service_full_name(),
                                              no_retries)
                .find("retryPolicy"),
            std::string::npos);
}

TEST(ClientLoadBalancing, OneConnectionThroughAnL4ProxyPinsEveryCallToOneReplica) {
  TicketReplicas replicas;
  testing::TcpProxy proxy({replicas.Port(1), replicas.Port(2), replicas.Port(3)});
  auto stub = ticket::v1::TicketService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", proxy.port()), grpc::InsecureChannelCredentials()));
  const auto counts = CountReplies(*stub, kSpreadCalls);
  ASSERT_EQ(counts.size(), 1u) << "an L4 proxy balances connections, not calls";
  EXPECT_EQ(counts.begin()->second, kSpreadCalls);
  EXPECT_EQ(proxy.connections(), 1);
}

TEST(ClientLoadBalancing, RoundRobinGivesEachReplicaAThird) {
  TicketReplicas replicas;
  auto stub = InternalStub(replicas.StaticListTarget(), "round_robin");
  const auto counts = CountReplies(*stub, kSpreadCalls);
  ASSERT_EQ(counts.size(), static_cast<size_t>(kReplicas));
  for (const auto& [replica, count] : counts) {
    EXPECT_NEAR(count, kSpreadCalls / kReplicas, kSpreadCalls / kReplicas * kSpreadTolerance)
        << "replica " << replica;
  }
}

TEST(ClientLoadBalancing, PickFirstUsesOneReplica) {
  TicketReplicas replicas;
  auto stub = InternalStub(replicas.StaticListTarget(), "pick_first");
  const auto counts = CountReplies(*stub, 300);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts.begin()->first, 1);
}

TEST(ClientLoadBalancing, NotServingReplicaGetsNothingUntilServingAgain) {
  TicketReplicas replicas;
  auto stub = InternalStub(replicas.StaticListTarget(), "round_robin");
  ASSERT_EQ(CountReplies(*stub, 300).size(), static_cast<size_t>(kReplicas));

  replicas.Signal(2, SIGUSR1);  // NOT_SERVING
  ASSERT_TRUE(WaitUntilRouted(*stub, 2, false)) << "the channel kept routing to NOT_SERVING 2";
  auto counts = CountReplies(*stub, 900);
  EXPECT_EQ(counts.count(2), 0u) << "a NOT_SERVING replica got " << counts[2] << " calls";
  EXPECT_GT(counts[1], 0);
  EXPECT_GT(counts[3], 0);

  replicas.Signal(2, SIGUSR2);  // SERVING
  ASSERT_TRUE(WaitUntilRouted(*stub, 2, true)) << "replica 2 never came back into rotation";
  counts = CountReplies(*stub, 900);
  EXPECT_NEAR(counts[2], 300, 300 * kSpreadTolerance * 2);
}

TEST(ClientLoadBalancing, KilledReplicaCostsNoIdempotentCallAndComesBack) {
  constexpr auto kWarmUp = std::chrono::milliseconds(500);
  constexpr auto kDeadFor = std::chrono::milliseconds(1500);
  constexpr auto kBackFor = std::chrono::milliseconds(2500);
  constexpr int64_t kOutWithinUs = 1000000;
  constexpr int64_t kBackWithinUs = 2000000;
  // Probe calls answered between kOutWithinUs after the kill and the restart: without them
  // "no call went to the dead replica after 1 s" would hold for want of calls.
  constexpr int kMinProbeCallsAfterOut = 10;
  TicketReplicas replicas;
  auto stub = InternalStub(replicas.StaticListTarget(), "round_robin");
  ASSERT_EQ(CountReplies(*stub, 300).size(), static_cast<size_t>(kReplicas));
  // The same balancing without retries: a call the channel routes to the dead replica fails
  // here instead of being retried unseen, so its start time tells when replica 3 left the
  // rotation. (A reply from replica 3 cannot tell: a killed process answers nothing.)
  constexpr int kNoRetries = 1;
  auto probe = InternalStub(replicas.StaticListTarget(), "round_robin", kNoRetries);
  ASSERT_EQ(CountReplies(*probe, 300).size(), static_cast<size_t>(kReplicas));
  struct ProbeCall {
    int64_t started_us;
    bool ok;
  };
  std::vector<ProbeCall> probe_calls;
  std::mutex probe_mu;

  // Steady load from a few callers while one replica dies and comes back.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int> calls{0};
  std::atomic<int64_t> first_call_to_3_us{0};
  const auto start = std::chrono::steady_clock::now();
  auto since_start_us = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now() - start)
        .count();
  };
  std::atomic<bool> restarted{false};
  std::vector<std::thread> callers;
  std::string first_failure;
  std::mutex failure_mu;
  callers.emplace_back([&] {
    while (!stop) {
      const int64_t started_us = since_start_us();
      const bool ok = GetEvent(*probe).ok();
      std::lock_guard<std::mutex> lock(probe_mu);
      probe_calls.push_back({started_us, ok});
    }
  });
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      while (!stop) {
        auto id = GetEvent(*stub);
        ++calls;
        if (!id.ok()) {
          ++failures;
          std::lock_guard<std::mutex> lock(failure_mu);
          if (first_failure.empty()) first_failure = id.status().ToString();
          continue;
        }
        if (ReplicaOf(*id) == 3 && restarted && first_call_to_3_us == 0) {
          first_call_to_3_us = since_start_us();
        }
      }
    });
  }
  std::this_thread::sleep_for(kWarmUp);
  const int64_t killed_at_us = since_start_us();
  replicas.Kill(3);
  std::this_thread::sleep_for(kDeadFor);
  const int64_t restart_at_us = since_start_us();
  restarted = true;
  replicas.Start(3);  // returns once it answers health checks
  const int64_t healthy_at_us = since_start_us();
  std::this_thread::sleep_for(kBackFor);
  stop = true;
  for (auto& caller : callers) caller.join();

  EXPECT_EQ(failures, 0) << "of " << calls << " calls; first: " << first_failure;
  // Every probe call has ended (each has a deadline). Of those started while replica 3 was
  // dead, the latest that failed is the last the channel sent to it; the answered ones after
  // the 1 s mark show that the probe kept asking.
  int64_t out_by_us = killed_at_us;
  int answered_after_out = 0;
  for (const ProbeCall& call : probe_calls) {
    if (call.started_us < killed_at_us || call.started_us >= restart_at_us) continue;
    if (!call.ok) out_by_us = std::max(out_by_us, call.started_us);
    if (call.ok && call.started_us > killed_at_us + kOutWithinUs) ++answered_after_out;
  }
  EXPECT_LE(out_by_us - killed_at_us, kOutWithinUs)
      << "the channel still sent calls to the dead replica " << (out_by_us - killed_at_us) / 1000
      << " ms after the kill";
  EXPECT_GE(answered_after_out, kMinProbeCallsAfterOut)
      << "too few probe calls ran after the 1 s mark to tell";
  ASSERT_GT(first_call_to_3_us, 0) << "the restarted replica never got a call";
  EXPECT_LE(first_call_to_3_us - healthy_at_us, kBackWithinUs);
  std::cout << "dead replica's last call started " << (out_by_us - killed_at_us) / 1000
            << " ms after the kill; " << answered_after_out << " probe calls answered after "
            << kOutWithinUs / 1000 << " ms\n";
}

}  // namespace
}  // namespace switchboard
