#include "gateway/auth/json_object.h"

#include <google/protobuf/util/json_util.h>

namespace switchboard::gateway::auth {

absl::StatusOr<google::protobuf::Struct> ParseJsonObject(std::string_view json) {
  // Struct's JSON form is any object; a list, a string or a number at the top fails to parse.
  const size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || json[first] != '{') {
    return absl::InvalidArgumentError("not a JSON object");
  }
  google::protobuf::Struct object;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &object);
  if (!status.ok()) return absl::InvalidArgumentError("not a JSON object");
  return object;
}

const std::string* StringMember(const google::protobuf::Struct& object, const char* name) {
  auto it = object.fields().find(name);
  if (it == object.fields().end() || !it->second.has_string_value()) return nullptr;
  return &it->second.string_value();
}

}  // namespace switchboard::gateway::auth
