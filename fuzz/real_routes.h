// The REST routes and the transcoder of the real contracts (the build's switchboard.pb), as the
// gateway builds them for a config naming every service: what the REST fuzz targets decode
// against. Built once per process; aborts when the descriptor set is missing or does not load.
#pragma once

#include <memory>

#include "gateway/rest/route_table.h"
#include "gateway/rest/transcoder.h"
#include "google/protobuf/descriptor.h"

namespace switchboard::fuzz {

struct RealRoutes {
  std::unique_ptr<google::protobuf::DescriptorPool> pool;
  std::unique_ptr<gateway::rest::RouteTable> routes;
  std::unique_ptr<gateway::rest::Transcoder> transcoder;
};

const RealRoutes& GetRealRoutes();

}  // namespace switchboard::fuzz
