// The ADS protocol against a real control plane on loopback: subscriptions, ACK/NACK by
// nonce, pushes on registry changes and only for what changed, expiry.
#include "xds/ads_server.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <thread>

#include "common/service_host.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "xds/control_plane.h"

namespace switchboard::xds {
namespace {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using std::chrono::milliseconds;

constexpr auto kStreamDeadline = std::chrono::seconds(20);

struct Plane {
  explicit Plane(milliseconds ttl = ControlPlaneOptions::kDefaultHeartbeatTtl) {
    ControlPlaneOptions options;
    options.heartbeat_ttl = ttl;
    plane = std::move(ControlPlane::Create(options).value());
    host = std::move(common::ServiceHost::Start("127.0.0.1:0", {plane.get()}).value());
  }
  std::unique_ptr<ControlPlane> plane;
  std::unique_ptr<common::ServiceHost> host;
};

class AdsClient {
 public:
  explicit AdsClient(const std::string& address)
      : stub_(AggregatedDiscoveryService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(std::chrono::system_clock::now() + kStreamDeadline);
    stream_ = stub_->StreamAggregatedResources(&context_);
  }
  ~AdsClient() {
    if (finished_) return;
    context_.TryCancel();
    DiscoveryResponse ignored;
    while (stream_->Read(&ignored)) {
    }
    stream_->Finish();
  }

  void Request(const char* type, std::vector<std::string> names, const std::string& version = "",
               const std::string& nonce = "", const std::string& nack = "") {
    DiscoveryRequest request;
    request.mutable_node()->set_id("test-node");
    request.set_type_url(type);
    for (auto& name : names) request.add_resource_names(name);
    request.set_version_info(version);
    request.set_response_nonce(nonce);
    if (!nack.empty()) {
      request.mutable_error_detail()->set_code(3);
      request.mutable_error_detail()->set_message(nack);
    }
    ASSERT_TRUE(stream_->Write(request));
  }
  DiscoveryResponse Read() {
    DiscoveryResponse response;
    EXPECT_TRUE(stream_->Read(&response)) << "no response before the deadline";
    return response;
  }
  // ACKs what was read and returns it.
  DiscoveryResponse ReadAndAck(std::vector<std::string> names) {
    DiscoveryResponse response = Read();
    Request(response.type_url().c_str(), std::move(names), response.version_info(),
            response.nonce());
    return response;
  }
  grpc::Status Finish() {
    finished_ = true;
    return stream_->Finish();
  }
  grpc::ClientReaderWriter<DiscoveryRequest, DiscoveryResponse>* stream() { return stream_.get(); }

 private:
  std::unique_ptr<AggregatedDiscoveryService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<DiscoveryRequest, DiscoveryResponse>> stream_;
  bool finished_ = false;
};

int Localities(const DiscoveryResponse& response) {
  if (response.resources_size() != 1) return -1;
  envoy::config::endpoint::v3::ClusterLoadAssignment assignment;
  EXPECT_TRUE(response.resources(0).UnpackTo(&assignment));
  return assignment.endpoints_size();
}

TEST(AdsServer, SubscribesAcksAndPushesOnlyWhatChanged) {
  Plane p;
  ReplicaRegistry& registry = p.plane->registry();
  ASSERT_TRUE(registry.Register("ticket", "127.0.0.1:5001", "ticket-1", 1).ok());
  AdsClient client(p.host->address());

  client.Request(kListenerType, {"ticket"});
  DiscoveryResponse lds = client.ReadAndAck({"ticket"});
  EXPECT_EQ(lds.type_url(), kListenerType);
  EXPECT_EQ(lds.version_info(), "1");
  ASSERT_EQ(lds.resources_size(), 1);
  EXPECT_FALSE(lds.nonce().empty());

  client.Request(kClusterLoadAssignmentType, {"ticket"});
  DiscoveryResponse eds = client.ReadAndAck({"ticket"});
  EXPECT_EQ(eds.type_url(), kClusterLoadAssignmentType);
  EXPECT_EQ(Localities(eds), 1);

  // A new replica changes only the endpoints: the next push is EDS, version 2, two localities.
  ASSERT_TRUE(registry.Register("ticket", "127.0.0.1:5002", "ticket-2", 1).ok());
  eds = client.ReadAndAck({"ticket"});
  EXPECT_EQ(eds.type_url(), kClusterLoadAssignmentType);
  EXPECT_EQ(eds.version_info(), "2");
  EXPECT_EQ(Localities(eds), 2);

  // A replica of another service changes nothing this stream asked for: no push. The weight
  // change after it is the next thing the stream sees.
  ASSERT_TRUE(registry.Register("stock", "127.0.0.1:6001", "stock-1", 1).ok());
  ASSERT_TRUE(registry.SetWeight("ticket-2", 0).ok());
  eds = client.ReadAndAck({"ticket"});
  EXPECT_EQ(eds.type_url(), kClusterLoadAssignmentType);
  EXPECT_EQ(eds.version_info(), "3");
  EXPECT_EQ(Localities(eds), 1);

  // A name that does not exist is answered with what exists of the request: nothing.
  client.Request(kClusterType, {"nosuch"});
  DiscoveryResponse cds = client.ReadAndAck({"nosuch"});
  EXPECT_EQ(cds.type_url(), kClusterType);
  EXPECT_EQ(cds.resources_size(), 0);
}

TEST(AdsServer, NackKeepsTheVersionAndStaleNoncesAreIgnored) {
  Plane p;
  ReplicaRegistry& registry = p.plane->registry();
  ASSERT_TRUE(registry.Register("ticket", "127.0.0.1:5001", "ticket-1", 1).ok());
  AdsClient client(p.host->address());
  client.Request(kClusterLoadAssignmentType, {"ticket"});
  DiscoveryResponse first = client.Read();
  // NACK: the server logs it and sends nothing new until something changes.
  client.Request(kClusterLoadAssignmentType, {"ticket"}, "", first.nonce(), "bad endpoint");
  // A stale nonce with another subscription is ignored: had it been taken, "other" would be
  // subscribed and the next push would carry nothing.
  client.Request(kClusterLoadAssignmentType, {"other"}, "", "stale-nonce");
  ASSERT_TRUE(registry.Register("ticket", "127.0.0.1:5002", "ticket-2", 1).ok());
  DiscoveryResponse next = client.Read();
  EXPECT_EQ(next.version_info(), "2");
  EXPECT_NE(next.nonce(), first.nonce());
  EXPECT_EQ(Localities(next), 2);
}

TEST(AdsServer, WildcardListenersAndClusters) {
  Plane p;
  ASSERT_TRUE(p.plane->registry().Register("ticket", "127.0.0.1:5001", "ticket-1", 1).ok());
  ASSERT_TRUE(p.plane->registry().Register("stock", "127.0.0.1:6001", "stock-1", 1).ok());
  AdsClient client(p.host->address());
  client.Request(kClusterType, {});
  EXPECT_EQ(client.Read().resources_size(), 2);
  // RDS and EDS have no wildcard: an empty list subscribes to nothing.
  client.Request(kRouteConfigurationType, {});
  EXPECT_EQ(client.Read().resources_size(), 0);
  // "*" is the explicit wildcard; an empty list after names unsubscribes.
  client.Request(kListenerType, {"*"});
  EXPECT_EQ(client.Read().resources_size(), 2);
  client.Request(kListenerType, {"ticket"});
  EXPECT_EQ(client.Read().resources_size(), 1);
  client.Request(kListenerType, {});
  EXPECT_EQ(client.Read().resources_size(), 0);
}

TEST(AdsServer, UnknownTypeEndsTheStream) {
  Plane p;
  AdsClient client(p.host->address());
  client.Request("type.googleapis.com/envoy.config.core.v3.Nope", {"x"});
  DiscoveryResponse response;
  EXPECT_FALSE(client.stream()->Read(&response));
  const grpc::Status status = client.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("envoy.config.core.v3.Nope"), std::string::npos)
      << status.error_message();
}

TEST(AdsServer, ExpiredReplicasArePushedOut) {
  Plane p(milliseconds(300));
  ASSERT_TRUE(p.plane->registry().Register("ticket", "127.0.0.1:5001", "ticket-1", 1).ok());
  ASSERT_TRUE(p.plane->registry().Register("ticket", "127.0.0.1:5002", "ticket-2", 1).ok());
  AdsClient client(p.host->address());
  client.Request(kClusterLoadAssignmentType, {"ticket"});
  EXPECT_EQ(Localities(client.ReadAndAck({"ticket"})), 2);
  // Only ticket-1 heartbeats; ticket-2 leaves within the TTL and one sweep.
  const auto start = std::chrono::steady_clock::now();
  std::thread beat([&] {
    for (int i = 0; i < 10; ++i) {
      std::this_thread::sleep_for(milliseconds(100));
      (void)p.plane->registry().Heartbeat("ticket-1", {});
    }
  });
  const DiscoveryResponse after = client.ReadAndAck({"ticket"});
  const auto took = std::chrono::steady_clock::now() - start;
  beat.join();
  EXPECT_EQ(Localities(after), 1);
  EXPECT_LT(took, milliseconds(300 + 300 / ControlPlaneOptions::kSweepsPerTtl + 100));
  EXPECT_EQ(p.plane->registry().List().size(), 1u);
}

TEST(AdsServer, ShutdownEndsOpenStreams) {
  Plane p;
  AdsClient client(p.host->address());
  client.Request(kListenerType, {"ticket"});
  (void)client.Read();
  p.host->Shutdown();
  DiscoveryResponse response;
  EXPECT_FALSE(client.stream()->Read(&response));
}

}  // namespace
}  // namespace switchboard::xds
