// Loading serialized FileDescriptorSets (protoc --include_imports --descriptor_set_out) into a
// DescriptorPool of the gateway's own: it serves whatever services the sets describe, never the
// compiled-in ones.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"

namespace switchboard::gateway::rest {

// Adds every file of the serialized FileDescriptorSet `serialized` to `pool`, in whatever order
// the set lists them. A file whose name the pool already holds is skipped, so that sets sharing
// imports (google/protobuf/timestamp.proto, ...) load side by side. INVALID_ARGUMENT when the bytes
// do not parse, a dependency is in neither the set nor the pool, or a file does not build.
absl::Status AddDescriptorSet(std::string_view serialized, google::protobuf::DescriptorPool* pool);

}  // namespace switchboard::gateway::rest
