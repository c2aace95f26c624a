// JSON objects as google.protobuf.Struct (protobuf's JSON parser, already the gateway's for
// REST), for the JOSE header, the JWT claims and the JWKS.
#pragma once

#include <google/protobuf/struct.pb.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace switchboard::gateway::auth {

// Parses `json` as one JSON object; INVALID_ARGUMENT for anything else.
absl::StatusOr<google::protobuf::Struct> ParseJsonObject(std::string_view json);

// The member `name` of `object` when it is a string, else nullptr.
const std::string* StringMember(const google::protobuf::Struct& object, const char* name);

}  // namespace switchboard::gateway::auth
