// `switchboard xds` with real `switchboard serve ticket` replicas, as a gRPC client sees it
// through grpc++'s built-in xDS client (xds:///ticket): the split over replicas, weights set
// through the control plane, replicas that stop heartbeating, and bad operator input.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
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

struct Replica {
  int port = 0;
  std::string address;
  std::string server_id;
  std::unique_ptr<ChildProcess> process;
  std::unique_ptr<xds::Registration> registration;
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
                                 "--heartbeat-ttl", std::to_string(kTtl.count()) + "ms"},
        dir_.path() + "/xds.log");
    ASSERT_TRUE(WaitForOutput(*control_plane_, "xds control plane listening"))
        << control_plane_->Output();
    ASSERT_TRUE(common::WaitForServing(xds_address_, kStartTimeout)) << control_plane_->Output();
    for (int i = 1; i <= kReplicas; ++i) {
      Replica replica;
      replica.port = FreePort();
      replica.address = "127.0.0.1:" + std::to_string(replica.port);
      replica.server_id = "ticket-" + std::to_string(i) + "@" + replica.address;
      const std::string data = dir_.path() + "/ticket-" + std::to_string(i);
      replica.process = std::make_unique<ChildProcess>(
          std::vector<std::string>{SwitchboardBinary(), "serve", "ticket", "--replica",
                                   std::to_string(i), "--host", "127.0.0.1", "--port",
                                   std::to_string(replica.port), "--data-dir", data},
          data + ".log");
      replicas_.push_back(std::move(replica));
    }
    for (Replica& replica : replicas_) {
      ASSERT_TRUE(WaitForOutput(*replica.process, "serving service=ticket"))
          << replica.process->Output();
      ASSERT_TRUE(common::WaitForServing(replica.address, kStartTimeout))
          << replica.process->Output();
      // Until `serve --xds` registers itself, the test registers each replica under the id
      // the replica gives itself in x-server-id.
      auto registration =
          xds::Registration::Start(xds_address_, "ticket", replica.address, replica.server_id);
      ASSERT_TRUE(registration.ok()) << registration.status();
      replica.registration = std::move(*registration);
    }
    // The bootstrap is read when the first xds:/// channel is made, once per process.
    setenv("GRPC_XDS_BOOTSTRAP_CONFIG", xds::BootstrapJson(xds_address_, "xds-e2e").c_str(), 1);
    stub_ = ticket::v1::TicketService::NewStub(
        grpc::CreateChannel("xds:///ticket", grpc::InsecureChannelCredentials()));
    registry_ = xds::v1::ReplicaRegistryService::NewStub(
        grpc::CreateChannel(xds_address_, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    for (Replica& replica : replicas_) replica.registration.reset();
    // All at once, so the processes shut down side by side; a frozen one is woken to exit.
    for (Replica& replica : replicas_) {
      if (replica.process && replica.process->Running()) {
        kill(replica.process->pid(), SIGCONT);
        kill(replica.process->pid(), SIGTERM);
      }
    }
    if (control_plane_ && control_plane_->Running()) kill(control_plane_->pid(), SIGTERM);
    for (Replica& replica : replicas_) replica.process.reset();
    control_plane_.reset();
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

  size_t Registered() {
    grpc::ClientContext context;
    xds::v1::ListReplicasResponse response;
    EXPECT_TRUE(registry_->ListReplicas(&context, {}, &response).ok());
    return response.replicas_size();
  }

  testing::TempDir dir_;
  std::string xds_address_;
  std::unique_ptr<ChildProcess> control_plane_;
  std::vector<Replica> replicas_;
  std::unique_ptr<ticket::v1::TicketService::Stub> stub_;
  std::unique_ptr<xds::v1::ReplicaRegistryService::Stub> registry_;
  std::string last_error_;
};

TEST_F(XdsEndToEnd, OneChannelSpreadsEvenlyOverThreeReplicas) { ExpectSplit({1, 1, 1}); }

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
  // As a crashed replica: its heartbeats stop and its process is gone.
  replicas_[2].registration->Abandon();
  const auto killed = std::chrono::steady_clock::now();
  replicas_[2].process->Stop(SIGKILL, milliseconds(5000));
  while (Registered() == kReplicas &&
         std::chrono::steady_clock::now() - killed < kTtl + milliseconds(2000)) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  const auto gone_after = std::chrono::steady_clock::now() - killed;
  const auto gone_ms = std::chrono::duration_cast<milliseconds>(gone_after).count();
  std::cout << "killed replica left the registry after " << gone_ms << "ms (TTL " << kTtl.count()
            << "ms)\n";
  EXPECT_EQ(Registered(), static_cast<size_t>(kReplicas - 1));
  EXPECT_LE(gone_after, kTtl + kTtl / 10) << "left after " << gone_ms << "ms";
  ExpectSplit({1, 1, 0});
}

TEST_F(XdsEndToEnd, AFrozenReplicaIsRoutedAroundOnceItsHeartbeatsStop) {
  ExpectSplit({1, 1, 1});
  // Frozen, its connections stay open: only the control plane can take it out of rotation.
  replicas_[0].registration->Abandon();
  ASSERT_EQ(kill(replicas_[0].process->pid(), SIGSTOP), 0);
  // Past the TTL and the push, so few calls are sent to it and wait out their deadline.
  std::this_thread::sleep_for(kTtl + kTtl / 2);
  ExpectSplit({0, 1, 1});
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
