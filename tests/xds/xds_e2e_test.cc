// `switchboard xds` with real `switchboard serve ticket --xds` replicas, as a gRPC client sees
// it through grpc++'s built-in xDS client (xds:///ticket): the split over replicas, weights set
// through the control plane, replicas that are killed, frozen or stopped (their own
// registration, heartbeats and deregistration, and the control plane's expiry), and bad
// operator input. The test registers nothing itself.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include "common/health_probe.h"
#include "common/server_identity.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "switchboard/xds/v1/registry.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"
#include "xds/bootstrap.h"
#include "xds/registration.h"

namespace switchboard {
namespace {

using std::chrono::milliseconds;
using testing::ChildProcess;
using testing::FreePort;
using testing::SwitchboardBinary;

constexpr int kReplicas = 3;
constexpr int kCalls = 9000;
constexpr double kTolerance = 0.05;  // each share within +-5 points of its expected share
constexpr milliseconds kTtl{1000};
constexpr milliseconds kStartTimeout{20000};
constexpr milliseconds kSettleTimeout{15000};
constexpr milliseconds kCallTimeout{2000};
constexpr milliseconds kStopTimeout{5000};
constexpr milliseconds kPollInterval{10};
// A killed replica's last heartbeat was at most TTL / kHeartbeatsPerTtl before the kill, and
// the sweeper runs every TTL / kSweepsPerTtl: it is gone by one TTL after the kill, plus this
// much for a busy machine.
constexpr milliseconds kExpirySlack = kTtl / 10;
// Live replicas must outlast this many TTLs on their own heartbeats alone.
constexpr int kTtlsSurvived = 3;

struct Replica {
  int port = 0;
  std::string address;
  std::string server_id;
  std::unique_ptr<ChildProcess> process;
};

// Counts of calls per replica (x-server-id, "ticket-1@127.0.0.1:PORT"), and failures under "".
using Split = std::map<std::string, int>;

std::string RunCli(const std::vector<std::string>& args, int* exit_code, const std::string& dir) {
  std::string command = SwitchboardBinary();
  for (const auto& arg : args) command += " '" + arg + "'";
  command += " > " + dir + "/cli.out 2>&1";
  const int status = std::system(command.c_str());
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(dir + "/cli.out");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Waits for `text` in a child's output. Probing the port before the child listens would leave
// the probe's channel in connection backoff (1 s, 1.6 s, ...) long after the child is up.
bool WaitForOutput(ChildProcess& process, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process.Output().find(text) != std::string::npos) return true;
    if (!process.Running()) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

class XdsEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    xds_address_ = "127.0.0.1:" + std::to_string(FreePort());
    control_plane_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{SwitchboardBinary(), "xds", "--listen", xds_address_,
                                 "--data-dir", dir_.path() + "/xds",
                                 "--heartbeat-ttl", std::to_string(kTtl.count()) + "ms"},
        dir_.path() + "/xds.log");
    ASSERT_TRUE(WaitForOutput(*control_plane_, "xds control plane listening"))
        << control_plane_->Output();
    ASSERT_TRUE(common::WaitForServing(xds_address_, kStartTimeout)) << control_plane_->Output();
    for (int i = 1; i <= kReplicas; ++i) {
      Replica replica;
      replica.port = FreePort();
      replica.address = "127.0.0.1:" + std::to_string(replica.port);
      // The id the replica gives itself in x-server-id and registers under.
      replica.server_id = "ticket-" + std::to_string(i) + "@" + replica.address;
      const std::string data = dir_.path() + "/ticket-" + std::to_string(i);
      replica.process = std::make_unique<ChildProcess>(
          std::vector<std::string>{SwitchboardBinary(), "serve", "ticket", "--replica",
                                   std::to_string(i), "--host", "127.0.0.1", "--port",
                                   std::to_string(replica.port), "--data-dir", data, "--xds",
                                   xds_address_},
          data + ".log");
      replicas_.push_back(std::move(replica));
    }
    for (Replica& replica : replicas_) {
      ASSERT_TRUE(WaitForOutput(*replica.process, "serving service=ticket"))
          << replica.process->Output();
      ASSERT_TRUE(common::WaitForServing(replica.address, kStartTimeout))
          << replica.process->Output();
    }
    registry_ = xds::v1::ReplicaRegistryService::NewStub(
        grpc::CreateChannel(xds_address_, grpc::InsecureChannelCredentials()));
    // Each replica registered itself, under its own id and address.
    std::map<std::string, std::string> expected;
    for (const Replica& replica : replicas_) expected[replica.server_id] = replica.address;
    ASSERT_TRUE(WaitUntil([&] { return Listed() == expected; }, kStartTimeout))
        << "registered: " << Describe(Listed()) << "\n"
        << control_plane_->Output();
    registered_at_ = std::chrono::steady_clock::now();
    // The channel gets an xDS client of its own, bound to this test's control plane. The
    // process-wide one (GRPC_XDS_BOOTSTRAP_CONFIG) lives on while anything still holds it, and
    // the next test's channel would reuse it, still asking the previous control plane.
    grpc::ChannelArguments args;
    args.SetString(GRPC_ARG_TEST_ONLY_DO_NOT_USE_IN_PROD_XDS_BOOTSTRAP_CONFIG,
                   xds::BootstrapJson(xds_address_, "xds-e2e"));
    stub_ = ticket::v1::TicketService::NewStub(
        grpc::CreateCustomChannel("xds:///ticket", grpc::InsecureChannelCredentials(), args));
  }

  // Also after a failed assertion: every child is stopped (ChildProcess kills what does not
  // exit in time).
  void TearDown() override {
    // The test's own channels first: their open streams would hold each server for its whole
    // shutdown grace.
    stub_.reset();
    // All at once, so the replicas shut down side by side; a frozen one is woken to exit.
    for (Replica& replica : replicas_) {
      if (replica.process && replica.process->Running()) {
        kill(replica.process->pid(), SIGCONT);
        kill(replica.process->pid(), SIGTERM);
      }
    }
    // The replicas deregister on the way out, so the control plane goes last.
    for (Replica& replica : replicas_) replica.process.reset();
    registry_.reset();
    if (control_plane_ && control_plane_->Running()) kill(control_plane_->pid(), SIGTERM);
    control_plane_.reset();
  }

  static bool WaitUntil(const std::function<bool()>& condition, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(kPollInterval);
    }
    return true;
  }

  Split Call(int calls) {
    Split split;
    ticket::v1::GetEventRequest request;
    request.set_id("evt-1");
    for (int i = 0; i < calls; ++i) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
      ticket::v1::Event event;
      const grpc::Status status = stub_->GetEvent(&context, request, &event);
      if (!status.ok() || event.id() != "evt-1") {
        ++split[""];
        last_error_ = status.error_message();
        continue;
      }
      // Which replica answered, by its own word (x-server-id), checked against the peer the
      // channel used ("ipv4:127.0.0.1:PORT").
      const auto& headers = context.GetServerInitialMetadata();
      const auto id = headers.find(common::kServerIdHeader);
      const std::string server_id =
          id == headers.end() ? "" : std::string(id->second.data(), id->second.size());
      const std::string peer = context.peer();
      const size_t at = server_id.find('@');
      if (at == std::string::npos || peer != "ipv4:" + server_id.substr(at + 1)) {
        ++split[""];
        last_error_ = "x-server-id \"" + server_id + "\" from peer " + peer;
        continue;
      }
      ++split[server_id];
    }
    return split;
  }

  // True when every replica's share is within kTolerance of weight / total.
  bool Matches(const Split& split, const std::vector<int>& weights, int calls,
               std::string* why) const {
    int total = 0;
    for (int w : weights) total += w;
    *why = "";
    bool ok = split.count("") == 0;
    if (!ok) *why += "failures=" + std::to_string(split.at("")) + " (" + last_error_ + ") ";
    for (size_t i = 0; i < replicas_.size(); ++i) {
      const auto it = split.find(replicas_[i].server_id);
      const double share = it == split.end() ? 0.0 : static_cast<double>(it->second) / calls;
      const double expected = static_cast<double>(weights[i]) / total;
      *why += replicas_[i].server_id + "=" + std::to_string(share) + " (want " +
              std::to_string(expected) + ") ";
      if (std::abs(share - expected) > kTolerance) ok = false;
    }
    return ok;
  }

  // Calls in small batches until the split matches `weights` (the control plane's push has
  // reached the client), then measures it over kCalls.
  void ExpectSplit(const std::vector<int>& weights) {
    constexpr int kProbeCalls = 600;
    const auto deadline = std::chrono::steady_clock::now() + kSettleTimeout;
    std::string why;
    while (!Matches(Call(kProbeCalls), weights, kProbeCalls, &why)) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << "the split never settled: " << why << "\n"
          << control_plane_->Output();
    }
    const Split split = Call(kCalls);
    EXPECT_TRUE(Matches(split, weights, kCalls, &why)) << why;
    std::cout << "split over " << kCalls << " calls: " << why << "\n";
  }

  grpc::Status SetWeight(const std::string& server_id, uint32_t weight) {
    grpc::ClientContext context;
    xds::v1::SetWeightRequest request;
    request.set_server_id(server_id);
    request.set_weight(weight);
    xds::v1::SetWeightResponse response;
    return registry_->SetWeight(&context, request, &response);
  }

  // The registry's replicas: server id -> address.
  std::map<std::string, std::string> Listed() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    xds::v1::ListReplicasResponse response;
    const grpc::Status status = registry_->ListReplicas(&context, {}, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::map<std::string, std::string> listed;
    for (const auto& replica : response.replicas()) {
      listed[replica.server_id()] = replica.address();
    }
    return listed;
  }

  size_t Registered() { return Listed().size(); }

  static std::string Describe(const std::map<std::string, std::string>& listed) {
    std::string out;
    for (const auto& [id, address] : listed) out += id + " ";
    return out.empty() ? "(none)" : out;
  }

  // Polls until `replica` has left the registry; how long that took since `since`.
  milliseconds WaitUntilGone(const Replica& replica, std::chrono::steady_clock::time_point since,
                             milliseconds timeout) {
    WaitUntil([&] { return Listed().count(replica.server_id) == 0; }, timeout);
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - since);
  }

  // The live replicas, that is all but `gone`, are still registered although the test has
  // not touched them for kTtlsSurvived TTLs: only their own heartbeats kept them there.
  void ExpectSurvivorsStillRegistered(const std::set<int>& gone) {
    const auto survived = std::chrono::steady_clock::now() - registered_at_;
    if (survived < kTtl * kTtlsSurvived) {
      std::this_thread::sleep_for(kTtl * kTtlsSurvived - survived);
    }
    const auto listed = Listed();
    for (int i = 0; i < kReplicas; ++i) {
      if (gone.count(i)) continue;
      EXPECT_EQ(listed.count(replicas_[i].server_id), 1u)
          << replicas_[i].server_id << " expired although it runs: " << Describe(listed) << "\n"
          << replicas_[i].process->Output();
      EXPECT_EQ(control_plane_->Output().find("expired server_id=" + replicas_[i].server_id),
                std::string::npos)
          << control_plane_->Output();
    }
  }

  testing::TempDir dir_;
  std::string xds_address_;
  std::unique_ptr<ChildProcess> control_plane_;
  std::vector<Replica> replicas_;
  std::unique_ptr<ticket::v1::TicketService::Stub> stub_;
  std::unique_ptr<xds::v1::ReplicaRegistryService::Stub> registry_;
  std::chrono::steady_clock::time_point registered_at_;
  std::string last_error_;
};

TEST_F(XdsEndToEnd, OneChannelSpreadsEvenlyOverThreeReplicas) {
  ExpectSplit({1, 1, 1});
  ExpectSurvivorsStillRegistered({});
}

TEST_F(XdsEndToEnd, WeightsMoveTheSplitWithoutRestarts) {
  ExpectSplit({1, 1, 1});
  // One weight through the operator CLI, the others over the registry API.
  int exit_code = 0;
  const std::string out =
      RunCli({"xds", "set-weight", replicas_[1].server_id, "2", "--server", xds_address_},
             &exit_code, dir_.path());
  ASSERT_EQ(exit_code, 0) << out;
  EXPECT_NE(out.find("weight 2"), std::string::npos) << out;
  ASSERT_TRUE(SetWeight(replicas_[2].server_id, 3).ok());
  ExpectSplit({1, 2, 3});
  // Draining one replica: it gets nothing, the others share by weight.
  ASSERT_TRUE(SetWeight(replicas_[0].server_id, 0).ok());
  ExpectSplit({0, 2, 3});
  for (const Replica& replica : replicas_) EXPECT_TRUE(replica.process->Running());

  const std::string listing = RunCli(
      {"xds", "list", "--server", xds_address_, "--service", "ticket"}, &exit_code, dir_.path());
  ASSERT_EQ(exit_code, 0) << listing;
  for (const Replica& replica : replicas_) {
    EXPECT_NE(listing.find(replica.server_id), std::string::npos) << listing;
  }
}

TEST_F(XdsEndToEnd, AKilledReplicaLeavesWithinTheTtl) {
  ExpectSplit({1, 1, 1});
  // A crash: the process is gone at once, its heartbeats with it, and nothing deregisters.
  const Replica& killed_replica = replicas_[2];
  const auto killed = std::chrono::steady_clock::now();
  killed_replica.process->Stop(SIGKILL, kStopTimeout);
  ASSERT_FALSE(killed_replica.process->Running());
  const milliseconds gone_after =
      WaitUntilGone(killed_replica, killed, kTtl + kExpirySlack + kStartTimeout);
  std::cout << "killed replica left the registry after " << gone_after.count() << "ms (TTL "
            << kTtl.count() << "ms)\n";
  EXPECT_EQ(Registered(), static_cast<size_t>(kReplicas - 1));
  EXPECT_LE(gone_after.count(), (kTtl + kExpirySlack).count()) << "ms until it left";
  // Taken out by the control plane's expiry: a killed process cannot deregister.
  EXPECT_NE(control_plane_->Output().find("expired server_id=" + killed_replica.server_id),
            std::string::npos)
      << control_plane_->Output();
  ExpectSplit({1, 1, 0});
  ExpectSurvivorsStillRegistered({2});
}

TEST_F(XdsEndToEnd, AFrozenReplicaIsRoutedAroundOnceItsHeartbeatsStop) {
  ExpectSplit({1, 1, 1});
  // Frozen, its connections stay open and its heartbeat thread stops with it: only the
  // control plane's expiry can take it out of rotation.
  const Replica& frozen = replicas_[0];
  const auto stopped = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(frozen.process->pid(), SIGSTOP), 0);
  const milliseconds gone_after =
      WaitUntilGone(frozen, stopped, kTtl + kExpirySlack + kStartTimeout);
  EXPECT_LE(gone_after.count(), (kTtl + kExpirySlack).count()) << "ms until it left";
  EXPECT_NE(control_plane_->Output().find("expired server_id=" + frozen.server_id),
            std::string::npos)
      << control_plane_->Output();
  EXPECT_TRUE(replicas_[0].process->Running()) << "frozen, not dead";
  ExpectSplit({0, 1, 1});
  ExpectSurvivorsStillRegistered({0});
}

TEST_F(XdsEndToEnd, AStoppedReplicaDeregistersAtOnce) {
  ExpectSplit({1, 1, 1});
  // SIGTERM: `serve` leaves the endpoint set before it stops serving, without waiting for
  // the TTL.
  const Replica& stopped = replicas_[1];
  const auto signalled = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(stopped.process->pid(), SIGTERM), 0);
  const milliseconds gone_after = WaitUntilGone(stopped, signalled, kStartTimeout);
  EXPECT_EQ(stopped.process->Stop(SIGTERM, kStopTimeout), 0) << "not a clean exit";
  EXPECT_EQ(Registered(), static_cast<size_t>(kReplicas - 1));
  EXPECT_NE(control_plane_->Output().find("deregistered server_id=" + stopped.server_id),
            std::string::npos)
      << control_plane_->Output();
  EXPECT_EQ(control_plane_->Output().find("expired server_id=" + stopped.server_id),
            std::string::npos)
      << "left by expiry after " << gone_after.count() << "ms, not by deregistering";
  EXPECT_LT(gone_after.count(), (kTtl / 2).count()) << "ms until it left";
  ExpectSplit({1, 0, 1});
  ExpectSurvivorsStillRegistered({1});
}

TEST_F(XdsEndToEnd, BadOperatorInputIsRefusedClearly) {
  int exit_code = 0;
  std::string out = RunCli({"xds", "set-weight", "ghost", "2", "--server", xds_address_},
                           &exit_code, dir_.path());
  EXPECT_EQ(exit_code, 1) << out;
  EXPECT_NE(out.find("NOT_FOUND"), std::string::npos) << out;
  EXPECT_NE(out.find("server_id \"ghost\" is not registered"), std::string::npos) << out;
  out = RunCli({"xds", "set-weight", replicas_[0].server_id, "99999", "--server", xds_address_},
               &exit_code, dir_.path());
  EXPECT_EQ(exit_code, 1) << out;
  EXPECT_NE(out.find("INVALID_ARGUMENT"), std::string::npos) << out;
  EXPECT_NE(out.find("weight 99999 is over the limit"), std::string::npos) << out;
  out = RunCli({"xds", "--heartbeat-ttl", "soon"}, &exit_code, dir_.path());
  EXPECT_EQ(exit_code, 2) << out;
  EXPECT_NE(out.find("--heartbeat-ttl"), std::string::npos) << out;
  auto bad = xds::Registration::Start(xds_address_, "", "127.0.0.1:1", "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(bad.status().message()).find("service is empty"), std::string::npos);
  auto bad_address = xds::Registration::Start(xds_address_, "ticket", "127.0.0.1:99999", "x");
  EXPECT_EQ(bad_address.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace switchboard
