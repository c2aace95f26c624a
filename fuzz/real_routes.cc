#include "real_routes.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gateway/rest/descriptor_set.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/stubs/logging.h"

namespace switchboard::fuzz {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "real routes: %s\n", message.c_str());
  std::abort();
}

RealRoutes Load() {
  // Refusing a malformed message is the answer under test; protobuf's log line for each one
  // would only slow the run down.
  google::protobuf::SetLogHandler(nullptr);
  std::ifstream in(SB_DESCRIPTOR_SET, std::ios::binary);
  if (!in) Die("cannot read " SB_DESCRIPTOR_SET);
  std::stringstream bytes;
  bytes << in.rdbuf();
  RealRoutes real;
  real.pool = std::make_unique<google::protobuf::DescriptorPool>();
  if (auto added = gateway::rest::AddDescriptorSet(bytes.str(), real.pool.get()); !added.ok()) {
    Die(added.ToString());
  }
  google::protobuf::FileDescriptorSet set;
  set.ParseFromString(bytes.str());
  std::vector<std::string> services;
  for (const auto& file : set.file()) {
    if (!absl::StartsWith(file.package(), "switchboard.")) continue;
    for (const auto& service : file.service()) {
      services.push_back(file.package() + "." + service.name());
    }
  }
  auto routes = gateway::rest::RouteTable::Build(*real.pool, services);
  if (!routes.ok()) Die(routes.status().ToString());
  real.routes = std::make_unique<gateway::rest::RouteTable>(std::move(*routes));
  real.transcoder = std::make_unique<gateway::rest::Transcoder>(real.pool.get());
  return real;
}

}  // namespace

const RealRoutes& GetRealRoutes() {
  static const RealRoutes* const real = new RealRoutes(Load());
  return *real;
}

}  // namespace switchboard::fuzz
