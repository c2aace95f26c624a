// Checks shared by the targets that transcode JSON into request messages of the real contracts.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "fuzz_check.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"

namespace switchboard::fuzz {

// A transcoded request either fails as a client's mistake (400, or 413/414 for sizes) or is a
// serialized message of `type`.
inline void CheckTranscodedRequest(const absl::StatusOr<std::string>& binary,
                                   const google::protobuf::Descriptor& type) {
  if (!binary.ok()) {
    const auto code = binary.status().code();
    SB_FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument ||
                  code == absl::StatusCode::kResourceExhausted);
    return;
  }
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> message(factory.GetPrototype(&type)->New());
  SB_FUZZ_CHECK(message->ParseFromString(*binary));
}

}  // namespace switchboard::fuzz
