// Descriptor pools for the REST tests: the real contracts (the build's switchboard.pb), the
// well-known types, and sbtest/v1 messages written here for the edge cases the contracts lack.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"

namespace switchboard::gateway::rest::testing {

// The contracts, the well-known types and sbtest/v1/messages.proto (sbtest.v1.Everything, Inner,
// Color), in a pool of its own. Fails the calling test on error.
std::unique_ptr<google::protobuf::DescriptorPool> NewTestPool();

// Adds file `file_name` (package sbtest.v1, importing messages.proto and the well-known types)
// holding one service written as a ServiceDescriptorProto in text format.
absl::Status AddTestService(google::protobuf::DescriptorPool* pool, const std::string& file_name,
                            const std::string& service_text);

// sbtest.v1.TestService: routes over sbtest.v1.Everything for every edge case the tests use.
extern const char kTestServiceText[];

}  // namespace switchboard::gateway::rest::testing
