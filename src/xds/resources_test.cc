#include "xds/resources.h"

#include <gtest/gtest.h>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"

namespace switchboard::xds {
namespace {

ReplicaInfo Replica(const std::string& service, const std::string& id, uint32_t port,
                    uint32_t weight) {
  ReplicaInfo info;
  info.service = service;
  info.server_id = id;
  info.address = "127.0.0.1:" + std::to_string(port);
  info.endpoint = {"127.0.0.1", port};
  info.weight = weight;
  return info;
}

template <typename T>
T Unpack(const ResourceMap& resources, const char* type, const std::string& name) {
  T message;
  const auto& any = resources.at(type).at(name);
  EXPECT_EQ(any.type_url(), type);
  EXPECT_TRUE(any.UnpackTo(&message));
  return message;
}

TEST(Resources, FourResourcesPerServiceNamedAfterIt) {
  const ResourceMap resources =
      BuildResources({Replica("stock", "stock-1", 6001, 1), Replica("ticket", "ticket-1", 5001, 1),
                      Replica("ticket", "ticket-2", 5002, 1)});
  for (const char* type :
       {kListenerType, kRouteConfigurationType, kClusterType, kClusterLoadAssignmentType}) {
    ASSERT_EQ(resources.at(type).size(), 2u) << type;
    EXPECT_EQ(resources.at(type).count("stock"), 1u) << type;
    EXPECT_EQ(resources.at(type).count("ticket"), 1u) << type;
  }

  auto listener = Unpack<envoy::config::listener::v3::Listener>(resources, kListenerType, "ticket");
  EXPECT_EQ(listener.name(), "ticket");
  envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager hcm;
  ASSERT_TRUE(listener.api_listener().api_listener().UnpackTo(&hcm));
  EXPECT_TRUE(hcm.rds().config_source().has_ads());
  EXPECT_EQ(hcm.rds().route_config_name(), "ticket");
  ASSERT_EQ(hcm.http_filters_size(), 1);
  EXPECT_TRUE(hcm.http_filters(0)
                  .typed_config()
                  .Is<envoy::extensions::filters::http::router::v3::Router>());

  auto route = Unpack<envoy::config::route::v3::RouteConfiguration>(
      resources, kRouteConfigurationType, "ticket");
  ASSERT_EQ(route.virtual_hosts_size(), 1);
  EXPECT_EQ(route.virtual_hosts(0).domains(0), "*");
  EXPECT_EQ(route.virtual_hosts(0).routes(0).route().cluster(), "ticket");

  auto cluster = Unpack<envoy::config::cluster::v3::Cluster>(resources, kClusterType, "ticket");
  EXPECT_EQ(cluster.type(), envoy::config::cluster::v3::Cluster::EDS);
  EXPECT_TRUE(cluster.eds_cluster_config().eds_config().has_ads());
  EXPECT_EQ(cluster.eds_cluster_config().service_name(), "ticket");
  EXPECT_EQ(cluster.lb_policy(), envoy::config::cluster::v3::Cluster::ROUND_ROBIN);
}

TEST(Resources, EachReplicaIsALocalityCarryingItsWeight) {
  const ResourceMap resources = BuildResources({Replica("ticket", "ticket-1", 5001, 1),
                                                Replica("ticket", "ticket-2", 5002, 3),
                                                Replica("ticket", "ticket-3", 5003, 0)});
  auto assignment = Unpack<envoy::config::endpoint::v3::ClusterLoadAssignment>(
      resources, kClusterLoadAssignmentType, "ticket");
  EXPECT_EQ(assignment.cluster_name(), "ticket");
  // Weight 0 drains: the replica is left out.
  ASSERT_EQ(assignment.endpoints_size(), 2);
  const auto& second = assignment.endpoints(1);
  EXPECT_EQ(second.locality().sub_zone(), "ticket-2");
  EXPECT_EQ(second.locality().region(), kLocalityRegion);
  EXPECT_EQ(second.load_balancing_weight().value(), 3u);
  ASSERT_EQ(second.lb_endpoints_size(), 1);
  EXPECT_EQ(second.lb_endpoints(0).health_status(), envoy::config::core::v3::HEALTHY);
  const auto& socket = second.lb_endpoints(0).endpoint().address().socket_address();
  EXPECT_EQ(socket.address(), "127.0.0.1");
  EXPECT_EQ(socket.port_value(), 5002u);
}

TEST(Resources, NoReplicasNoResources) {
  EXPECT_TRUE(BuildResources({}).empty());
  // Every replica drained: the service still exists, with no endpoints.
  const ResourceMap drained = BuildResources({Replica("ticket", "ticket-1", 5001, 0)});
  auto assignment = Unpack<envoy::config::endpoint::v3::ClusterLoadAssignment>(
      drained, kClusterLoadAssignmentType, "ticket");
  EXPECT_EQ(assignment.endpoints_size(), 0);
  EXPECT_EQ(drained.at(kListenerType).size(), 1u);
}

}  // namespace
}  // namespace switchboard::xds
