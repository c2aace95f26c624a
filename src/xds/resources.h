// Turns the registered replicas into the four xDS resource types a gRPC client needs for
// xds:///SERVICE: Listener -> RouteConfiguration -> Cluster -> ClusterLoadAssignment.
#pragma once

#include <google/protobuf/any.pb.h>

#include <map>
#include <string>
#include <vector>

#include "xds/replica_registry.h"

namespace switchboard::xds {

inline constexpr char kListenerType[] = "type.googleapis.com/envoy.config.listener.v3.Listener";
inline constexpr char kRouteConfigurationType[] =
    "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
inline constexpr char kClusterType[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
inline constexpr char kClusterLoadAssignmentType[] =
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

// Every replica's locality has this region and zone; its sub_zone is the server id.
inline constexpr char kLocalityRegion[] = "switchboard";
inline constexpr char kLocalityZone[] = "local";

// Resources by type URL, then by name. Every resource of one service is named after it.
using ResourceMap = std::map<std::string, std::map<std::string, google::protobuf::Any>>;

// One Listener, RouteConfiguration, Cluster and ClusterLoadAssignment per service that has at
// least one registered replica. Each replica is its own locality with the replica's weight as
// the locality weight: gRPC's round_robin ignores endpoint weights, while its weighted_target
// over localities honours locality weights. A replica of weight 0 is left out.
ResourceMap BuildResources(const std::vector<ReplicaInfo>& replicas);

// True for the four type URLs above.
bool IsKnownType(const std::string& type_url);
// LDS and CDS may ask for every resource ("*", or no names in the first request); RDS and EDS
// always name what they want.
bool IsWildcardCapable(const std::string& type_url);

}  // namespace switchboard::xds
