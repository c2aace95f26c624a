#include "xds/resources.h"

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"

namespace switchboard::xds {
namespace {

namespace core = envoy::config::core::v3;
namespace hcm = envoy::extensions::filters::network::http_connection_manager::v3;

constexpr char kRouterFilterName[] = "envoy.filters.http.router";

void SetAds(core::ConfigSource* source) {
  source->mutable_ads();
  source->set_resource_api_version(core::V3);
}

google::protobuf::Any MakeListener(const std::string& service) {
  hcm::HttpConnectionManager manager;
  auto* rds = manager.mutable_rds();
  SetAds(rds->mutable_config_source());
  rds->set_route_config_name(service);
  auto* router = manager.add_http_filters();
  router->set_name(kRouterFilterName);
  router->mutable_typed_config()->PackFrom(envoy::extensions::filters::http::router::v3::Router());

  envoy::config::listener::v3::Listener listener;
  listener.set_name(service);
  listener.mutable_api_listener()->mutable_api_listener()->PackFrom(manager);
  google::protobuf::Any any;
  any.PackFrom(listener);
  return any;
}

google::protobuf::Any MakeRouteConfiguration(const std::string& service) {
  envoy::config::route::v3::RouteConfiguration config;
  config.set_name(service);
  auto* host = config.add_virtual_hosts();
  host->set_name(service);
  host->add_domains("*");
  auto* route = host->add_routes();
  route->mutable_match()->set_prefix("");
  route->mutable_route()->set_cluster(service);
  google::protobuf::Any any;
  any.PackFrom(config);
  return any;
}

google::protobuf::Any MakeCluster(const std::string& service) {
  envoy::config::cluster::v3::Cluster cluster;
  cluster.set_name(service);
  cluster.set_type(envoy::config::cluster::v3::Cluster::EDS);
  auto* eds = cluster.mutable_eds_cluster_config();
  SetAds(eds->mutable_eds_config());
  eds->set_service_name(service);
  cluster.set_lb_policy(envoy::config::cluster::v3::Cluster::ROUND_ROBIN);
  google::protobuf::Any any;
  any.PackFrom(cluster);
  return any;
}

void AddLocality(const ReplicaInfo& replica,
                 envoy::config::endpoint::v3::ClusterLoadAssignment* assignment) {
  auto* locality = assignment->add_endpoints();
  locality->mutable_locality()->set_region(kLocalityRegion);
  locality->mutable_locality()->set_zone(kLocalityZone);
  locality->mutable_locality()->set_sub_zone(replica.server_id);
  locality->mutable_load_balancing_weight()->set_value(replica.weight);
  locality->set_priority(0);
  auto* endpoint = locality->add_lb_endpoints();
  endpoint->set_health_status(core::HEALTHY);
  endpoint->mutable_load_balancing_weight()->set_value(replica.weight);
  auto* socket = endpoint->mutable_endpoint()->mutable_address()->mutable_socket_address();
  socket->set_address(replica.endpoint.ip);
  socket->set_port_value(replica.endpoint.port);
}

}  // namespace

ResourceMap BuildResources(const std::vector<ReplicaInfo>& replicas) {
  std::map<std::string, envoy::config::endpoint::v3::ClusterLoadAssignment> assignments;
  for (const ReplicaInfo& replica : replicas) {
    auto& assignment = assignments[replica.service];
    assignment.set_cluster_name(replica.service);
    if (replica.weight > 0) AddLocality(replica, &assignment);
  }
  ResourceMap resources;
  for (const auto& [service, assignment] : assignments) {
    resources[kListenerType][service] = MakeListener(service);
    resources[kRouteConfigurationType][service] = MakeRouteConfiguration(service);
    resources[kClusterType][service] = MakeCluster(service);
    resources[kClusterLoadAssignmentType][service].PackFrom(assignment);
  }
  return resources;
}

bool IsKnownType(const std::string& type_url) {
  return type_url == kListenerType || type_url == kRouteConfigurationType ||
         type_url == kClusterType || type_url == kClusterLoadAssignmentType;
}

bool IsWildcardCapable(const std::string& type_url) {
  return type_url == kListenerType || type_url == kClusterType;
}

}  // namespace switchboard::xds
