// The registry over the wire (status codes and messages for bad input), the registration
// client replicas use, and the load counter that feeds its reports.
#include "xds/control_plane.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <thread>

#include "common/service_host.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "xds/bootstrap.h"
#include "xds/registration.h"

namespace switchboard::xds {
namespace {

using std::chrono::milliseconds;

struct Plane {
  explicit Plane(milliseconds ttl = ControlPlaneOptions::kDefaultHeartbeatTtl) {
    ControlPlaneOptions options;
    options.heartbeat_ttl = ttl;
    plane = std::move(ControlPlane::Create(options).value());
    host = std::move(common::ServiceHost::Start("127.0.0.1:0", {plane.get()}).value());
    stub = v1::ReplicaRegistryService::NewStub(
        grpc::CreateChannel(host->address(), grpc::InsecureChannelCredentials()));
  }
  std::unique_ptr<ControlPlane> plane;
  std::unique_ptr<common::ServiceHost> host;
  std::unique_ptr<v1::ReplicaRegistryService::Stub> stub;
};

grpc::Status Register(Plane& p, const std::string& service, const std::string& address,
                      const std::string& id) {
  grpc::ClientContext context;
  v1::RegisterRequest request;
  request.set_service(service);
  request.set_address(address);
  request.set_server_id(id);
  v1::RegisterResponse response;
  return p.stub->Register(&context, request, &response);
}

std::vector<v1::Replica> List(Plane& p) {
  grpc::ClientContext context;
  v1::ListReplicasResponse response;
  EXPECT_TRUE(p.stub->ListReplicas(&context, {}, &response).ok());
  return {response.replicas().begin(), response.replicas().end()};
}

template <typename Predicate>
bool WaitFor(Predicate predicate, milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (predicate()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return predicate();
}

TEST(ControlPlane, RejectsABadTtl) {
  ControlPlaneOptions options;
  options.heartbeat_ttl = milliseconds(1);
  auto plane = ControlPlane::Create(options);
  ASSERT_FALSE(plane.ok());
  EXPECT_NE(std::string(plane.status().message()).find("heartbeat-ttl 1ms"), std::string::npos)
      << plane.status();
}

TEST(ControlPlane, BadRegistryInputOverTheWire) {
  Plane p;
  struct Case {
    const char* service;
    const char* address;
    const char* id;
    grpc::StatusCode code;
    const char* expected;
  } cases[] = {
      {"", "127.0.0.1:5001", "t-1", grpc::StatusCode::INVALID_ARGUMENT, "service is empty"},
      {"ticket", "nowhere", "t-1", grpc::StatusCode::INVALID_ARGUMENT,
       "address \"nowhere\": no port"},
      {"ticket", "example.com:80", "t-1", grpc::StatusCode::INVALID_ARGUMENT,
       "address \"example.com:80\""},
      {"ticket", "127.0.0.1:5001", "", grpc::StatusCode::INVALID_ARGUMENT, "server_id is empty"},
  };
  for (const auto& c : cases) {
    const grpc::Status status = Register(p, c.service, c.address, c.id);
    EXPECT_EQ(status.error_code(), c.code) << c.expected;
    EXPECT_NE(status.error_message().find(c.expected), std::string::npos) << status.error_message();
  }
  grpc::ClientContext context;
  v1::SetWeightRequest request;
  request.set_server_id("ghost");
  request.set_weight(2);
  v1::SetWeightResponse response;
  const grpc::Status unknown = p.stub->SetWeight(&context, request, &response);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(unknown.error_message(), "server_id \"ghost\" is not registered");
  EXPECT_TRUE(List(p).empty());
}

TEST(ControlPlane, RegistrationHeartbeatsReportsLoadAndDeregisters) {
  Plane p(milliseconds(300));
  LoadCounter counter;
  RegistrationOptions options;
  options.xds_address = p.host->address();
  options.service = "ticket";
  options.address = "127.0.0.1:5001";
  options.server_id = "ticket-1@127.0.0.1:5001";
  options.load_source = [&counter] { return counter.Read(); };
  auto registration = Registration::Start(options);
  ASSERT_TRUE(registration.ok()) << registration.status();
  EXPECT_TRUE((*registration)->registered());
  counter.CallStarted();
  for (int i = 0; i < 4; ++i) {
    counter.CallStarted();
    counter.CallFinished();
  }
  // Heartbeats every TTL/3 keep it past several TTLs and carry the load.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto replicas = List(p);
        return replicas.size() == 1 && replicas[0].last_load().calls_served() == 4;
      },
      milliseconds(2000)));
  std::this_thread::sleep_for(milliseconds(700));
  auto replicas = List(p);
  ASSERT_EQ(replicas.size(), 1u);
  EXPECT_EQ(replicas[0].last_load().in_flight_calls(), 1u);
  EXPECT_EQ(replicas[0].last_load().calls_served(), 0u);  // nothing new since
  EXPECT_LT(replicas[0].last_seen_ms_ago(), 300u);

  // The control plane forgets it (as after a restart): the next heartbeat registers again.
  ASSERT_TRUE(p.plane->registry().Deregister(options.server_id).ok());
  ASSERT_TRUE(WaitFor([&] { return List(p).size() == 1; }, milliseconds(2000)));

  registration->reset();  // deregisters
  EXPECT_TRUE(List(p).empty());
}

TEST(ControlPlane, AnAbandonedRegistrationExpires) {
  Plane p(milliseconds(300));
  auto registration = Registration::Start(p.host->address(), "ticket", "127.0.0.1:5001", "t-1");
  ASSERT_TRUE(registration.ok()) << registration.status();
  (*registration)->Abandon();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return List(p).empty(); }, milliseconds(2000)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(300 + 100));
}

TEST(ControlPlane, RegistrationRefusalsAreReturnedAndUnreachableIsRetried) {
  Plane p;
  auto bad = Registration::Start(p.host->address(), "", "127.0.0.1:5001", "t-1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(bad.status().message()).find("service is empty"), std::string::npos)
      << bad.status();
  auto bad_address = Registration::Start(p.host->address(), "ticket", "localhost:1", "t-1");
  EXPECT_EQ(bad_address.status().code(), absl::StatusCode::kInvalidArgument);

  // Nothing listens on the control plane's address yet: the handle retries until it does.
  const std::string address = p.host->address();
  p.host->Shutdown();
  p.host.reset();
  RegistrationOptions options;
  options.xds_address = address;
  options.service = "ticket";
  options.address = "127.0.0.1:5001";
  options.server_id = "t-1";
  options.rpc_timeout = milliseconds(200);
  options.retry_interval = milliseconds(50);
  auto later = Registration::Start(options);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_FALSE((*later)->registered());
  ControlPlaneOptions plane_options;
  auto plane = ControlPlane::Create(plane_options).value();
  auto host = common::ServiceHost::Start(address, {plane.get()});
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_TRUE(WaitFor([&] { return (*later)->registered(); }, milliseconds(5000)));
  EXPECT_EQ(plane->registry().List("ticket").size(), 1u);
}

TEST(LoadCounter, CountsApplicationCallsNotHealthChecks) {
  ControlPlaneOptions options;
  auto plane = ControlPlane::Create(options).value();
  LoadCounter counter;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  for (grpc::Service* service : plane->GrpcServices()) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(MakeLoadCountingInterceptorFactory(&counter));
  builder.experimental().SetInterceptorCreators(std::move(factories));
  auto server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = v1::ReplicaRegistryService::NewStub(channel);
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext context;
    v1::ListReplicasResponse response;
    ASSERT_TRUE(stub->ListReplicas(&context, {}, &response).ok());
  }
  // grpc.health.v1.Health/Check: not counted.
  grpc::ClientContext health_context;
  grpc::health::v1::HealthCheckResponse health_response;
  const grpc::Status health_status = grpc::health::v1::Health::NewStub(channel)->Check(
      &health_context, grpc::health::v1::HealthCheckRequest(), &health_response);
  EXPECT_TRUE(health_status.ok()) << health_status.error_message();
  // The interceptor is destroyed just after the status is sent: wait for the count to settle.
  ASSERT_TRUE(
      WaitFor([&] { return counter.Read().calls_finished_total == 5; }, milliseconds(2000)));
  EXPECT_EQ(counter.Read().in_flight_calls, 0u);
  server->Shutdown();
}

TEST(Bootstrap, NamesTheServerInsecureAndV3) {
  const std::string json = BootstrapJson("127.0.0.1:18000", "node \"1\"");
  EXPECT_NE(json.find("\"server_uri\":\"127.0.0.1:18000\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"type\":\"insecure\""), std::string::npos) << json;
  EXPECT_NE(json.find("xds_v3"), std::string::npos) << json;
  EXPECT_NE(json.find("node \\\"1\\\""), std::string::npos) << json;
}

}  // namespace
}  // namespace switchboard::xds
