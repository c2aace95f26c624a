#include "transcoder.h"

#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "errors.h"
#include "field_values.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "json_text.h"
#include "percent_encoding.h"

namespace switchboard::gateway::rest {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
namespace util = google::protobuf::util;

// protobuf's JSON parser message, as one clean line: it may start with ": " and may end with
// a picture of the input with a caret under the error ("...\n\n^").
std::string ToStd(const util::Status& status) {
  std::string_view text(status.message().data(), status.message().size());
  text = text.substr(0, text.find('\n'));
  while (!text.empty() && (text.front() == ':' || text.front() == ' ')) text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text.empty() ? std::string("not valid JSON for this message") : std::string(text);
}

std::string_view Trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// How a route reads in messages: "POST /events/{event_id}/bookings".
std::string RouteName(const Route& route) {
  return absl::StrCat(route.http_method, " ", route.path_template.text());
}

// A field by proto name or by JSON name (lowerCamelCase or an explicit json_name).
const FieldDescriptor* FindField(const Descriptor& message, std::string_view name) {
  if (const auto* field = message.FindFieldByName(std::string(name))) return field;
  for (int i = 0; i < message.field_count(); ++i) {
    if (message.field(i)->json_name() == name) return message.field(i);
  }
  return nullptr;
}

// True when the field at `path` (proto names) holds a value in `message`: each message on the
// way present, and the leaf present (for proto3 scalars without presence: not the default).
bool IsSet(const Message& message, const std::vector<const FieldDescriptor*>& path) {
  const Message* current = &message;
  for (size_t i = 0; i < path.size(); ++i) {
    const Reflection* reflection = current->GetReflection();
    if (!reflection->HasField(*current, path[i])) return false;
    if (i + 1 < path.size()) current = &reflection->GetMessage(*current, path[i]);
  }
  return true;
}

// True when the field at `path` already holds a value: IsSet, with a repeated leaf (a query
// parameter may end in one) counted as set when it has elements.
bool SetByBody(const Message& message, const std::vector<const FieldDescriptor*>& path) {
  if (!path.back()->is_repeated()) return IsSet(message, path);
  const Message* current = &message;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const Reflection* reflection = current->GetReflection();
    if (!reflection->HasField(*current, path[i])) return false;
    current = &reflection->GetMessage(*current, path[i]);
  }
  return current->GetReflection()->FieldSize(*current, path.back()) > 0;
}

// Refuses to set `field` of `message` when another member of its oneof is already set.
absl::Status CheckOneof(const Message& message, const FieldDescriptor* field,
                        std::string_view display_name) {
  const auto* oneof = field->real_containing_oneof();
  if (oneof == nullptr) return absl::OkStatus();
  const auto* set = message.GetReflection()->GetOneofFieldDescriptor(message, oneof);
  if (set == nullptr || set == field) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(std::string(display_name), ": field ",
                                                 field->name(), " and field ", set->name(),
                                                 " are both members of oneof ", oneof->name()));
}

bool PathsOverlap(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const auto& shorter = a.size() < b.size() ? a : b;
  const auto& longer = a.size() < b.size() ? b : a;
  return longer.size() > shorter.size() && longer.compare(0, shorter.size(), shorter) == 0 &&
         longer[shorter.size()] == '.';
}

util::JsonParseOptions ParseOptions() {
  util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field must not pass unnoticed
  options.case_insensitive_enum_parsing = false;
  return options;
}

}  // namespace

Transcoder::Transcoder(const google::protobuf::DescriptorPool* pool, TranscoderOptions options)
    : pool_(pool),
      options_(std::move(options)),
      factory_(pool),
      resolver_(util::NewTypeResolverForDescriptorPool(kTypeUrlPrefix, pool)) {}

Transcoder::~Transcoder() = default;

absl::StatusOr<std::string> Transcoder::TranscodeRequest(const Route& route,
                                                         const std::vector<PathBinding>& bindings,
                                                         std::string_view query,
                                                         std::string_view body) const {
  auto request = Build(route, bindings, query, body, /*query_with_whole_body=*/false);
  if (!request.ok()) return request.status();
  std::string binary;
  if (!(*request)->SerializeToString(&binary)) {
    return absl::InternalError(
        absl::StrCat("request of ", RouteName(route), " does not serialize"));
  }
  return binary;
}

absl::StatusOr<std::string> Transcoder::TranscodeStreamMessage(
    const Route& route, const std::vector<PathBinding>& bindings, std::string_view query,
    std::string_view body) const {
  auto request = Build(route, bindings, query, body, /*query_with_whole_body=*/true);
  if (!request.ok()) return request.status();
  std::string binary;
  if (!(*request)->SerializeToString(&binary)) {
    return absl::InternalError(
        absl::StrCat("request of ", RouteName(route), " does not serialize"));
  }
  return binary;
}

absl::StatusOr<std::unique_ptr<Message>> Transcoder::BuildRequest(
    const Route& route, const std::vector<PathBinding>& bindings, std::string_view query,
    std::string_view body) const {
  return Build(route, bindings, query, body, /*query_with_whole_body=*/false);
}

absl::StatusOr<std::unique_ptr<Message>> Transcoder::Build(const Route& route,
                                                           const std::vector<PathBinding>& bindings,
                                                           std::string_view query,
                                                           std::string_view body,
                                                           bool query_with_whole_body) const {
  const Descriptor* type = route.method->input_type();
  if (type->file()->pool() != pool_) {
    return absl::InternalError(
        absl::StrCat(route.method->full_name(), " comes from another descriptor pool"));
  }
  const RestLimits& limits = options_.limits;
  if (body.size() > limits.max_body_bytes) {
    return WithHttpStatus(absl::ResourceExhaustedError(absl::StrCat(
                              "request body of ", body.size(),
                              " bytes is larger than the limit of ", limits.max_body_bytes)),
                          kHttpPayloadTooLarge);
  }
  if (query.size() > limits.max_query_bytes) {
    return WithHttpStatus(absl::InvalidArgumentError(absl::StrCat(
                              "query string of ", query.size(),
                              " bytes is longer than the limit of ", limits.max_query_bytes)),
                          kHttpUriTooLong);
  }
  std::unique_ptr<Message> request(factory_.GetPrototype(type)->New());
  if (auto status = MergeBody(route, body, request.get()); !status.ok()) return status;

  for (const PathBinding& binding : bindings) {
    std::vector<const FieldDescriptor*> path;
    const Descriptor* message = type;
    for (const auto name : absl::StrSplit(binding.field_path, '.')) {
      const FieldDescriptor* field =
          message ? message->FindFieldByName(std::string(name.data(), name.size())) : nullptr;
      if (field == nullptr || field->is_repeated() ||
          path.size() >= kMaxTemplateFieldPathComponents) {
        return absl::InternalError(absl::StrCat("path binding ", binding.field_path,
                                                " names no singular field of ", type->full_name()));
      }
      path.push_back(field);
      message = field->message_type();
    }
    if (path.empty()) return absl::InternalError("path binding without a field path");
    if (IsSet(*request, path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("field ", binding.field_path, " (", path.back()->json_name(),
                       ") is bound by the URL path and must not also be set in the request body"));
    }
    Message* parent = request.get();
    const std::string display = absl::StrCat("path variable {", binding.field_path, "}");
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      if (auto status = CheckOneof(*parent, path[i], display); !status.ok()) return status;
      parent = parent->GetReflection()->MutableMessage(parent, path[i]);
    }
    if (auto status = CheckOneof(*parent, path.back(), display); !status.ok()) return status;
    if (auto status =
            SetFieldFromText(parent, path.back(), binding.value, display, resolver_.get());
        !status.ok()) {
      return status;
    }
  }

  if (auto status = ApplyQuery(route, query, query_with_whole_body, request.get()); !status.ok()) {
    return status;
  }
  return request;
}

absl::Status Transcoder::MergeBody(const Route& route, std::string_view body,
                                   Message* request) const {
  const std::string_view json = Trimmed(body);
  if (route.body.empty()) {
    if (json.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        RouteName(route), " takes no request body; send its fields as query parameters"));
  }
  if (json.empty()) return absl::OkStatus();
  const Descriptor* type = request->GetDescriptor();
  std::string binary;
  if (route.body == "*") {
    const auto status =
        util::JsonToBinaryString(resolver_.get(), TypeUrl(*type), json, &binary, ParseOptions());
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("request body (", type->full_name(), "): ", ToStd(status)));
    }
    if (!request->ParseFromString(binary)) {
      return absl::InternalError("request body: the transcoded message does not parse");
    }
    return absl::OkStatus();
  }
  const FieldDescriptor* field = route.body_field;
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated()) {
    const auto status = util::JsonToBinaryString(resolver_.get(), TypeUrl(*field->message_type()),
                                                 json, &binary, ParseOptions());
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("request body (field ", field->name(), ", ",
                                                     field->message_type()->full_name(),
                                                     "): ", ToStd(status)));
    }
    if (!request->GetReflection()->MutableMessage(request, field)->ParseFromString(binary)) {
      return absl::InternalError("request body: the transcoded message does not parse");
    }
    return absl::OkStatus();
  }
  // A scalar, repeated or map field: parsed as the one member of an object. The body must be
  // exactly one JSON value, or it could close the object and set other fields.
  if (auto status = ValidateJsonValue(json, options_.limits.max_json_depth); !status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("request body (field ", field->name(), "): ", status.message()));
  }
  std::string wrapped = "{";
  AppendJsonString(field->json_name(), &wrapped);
  absl::StrAppend(&wrapped, ":", std::string(json), "}");
  const auto status =
      util::JsonToBinaryString(resolver_.get(), TypeUrl(*type), wrapped, &binary, ParseOptions());
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("request body (field ", field->name(), "): ", ToStd(status)));
  }
  if (!request->MergeFromString(binary)) {
    return absl::InternalError("request body: the transcoded message does not parse");
  }
  return absl::OkStatus();
}

absl::Status Transcoder::ApplyQuery(const Route& route, std::string_view query,
                                    bool query_with_whole_body, Message* request) const {
  if (query.empty()) return absl::OkStatus();
  const RestLimits& limits = options_.limits;
  const Descriptor* type = request->GetDescriptor();
  std::set<std::string> singular_set;  // field paths a query parameter already set
  std::set<std::string> query_set;     // every field path the query names
  size_t count = 0;
  for (const auto raw_piece : absl::StrSplit(absl::string_view(query.data(), query.size()), '&')) {
    const std::string_view piece(raw_piece.data(), raw_piece.size());
    if (piece.empty()) continue;
    if (++count > limits.max_query_params) {
      return absl::InvalidArgumentError(
          absl::StrCat("more than ", limits.max_query_params, " query parameters"));
    }
    const size_t eq = piece.find('=');
    const auto name = PercentDecode(piece.substr(0, eq), PercentDecodeMode::kForm);
    if (!name) {
      return absl::InvalidArgumentError(absl::StrCat("query parameter ",
                                                     QuoteForMessage(piece.substr(0, eq)),
                                                     ": malformed percent-escape in the name"));
    }
    // The name as the client wrote it, cut and escaped like values.
    std::string shown = QuoteForMessage(*name);
    if (IsValidUtf8(*name) && name->size() <= kQuotedValueBytes) shown = *name;
    const std::string display = absl::StrCat("query parameter ", shown);
    const auto value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1),
                      PercentDecodeMode::kForm);
    if (!value) {
      return absl::InvalidArgumentError(
          absl::StrCat(display, ": malformed percent-escape in the value"));
    }
    const auto& ignored = options_.ignored_query_parameters;
    if (std::find(ignored.begin(), ignored.end(), *name) != ignored.end()) continue;
    if (route.body == "*" && !query_with_whole_body) {
      return absl::InvalidArgumentError(
          absl::StrCat(display, ": ", RouteName(route),
                       " takes every field from the path and the request body (body \"*\")"));
    }

    // Resolves the dotted name, proto or JSON names, to fields.
    std::vector<const FieldDescriptor*> path;
    std::vector<std::string> proto_names;
    const Descriptor* message = type;
    for (const auto component : absl::StrSplit(*name, '.')) {
      if (path.size() == limits.max_field_path_depth) {
        return absl::InvalidArgumentError(absl::StrCat(display, ": a field path deeper than ",
                                                       limits.max_field_path_depth, " fields"));
      }
      const std::string_view part(component.data(), component.size());
      if (message == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            display, ": field ", absl::StrJoin(proto_names, "."), " is not a message"));
      }
      const FieldDescriptor* field = FindField(*message, part);
      if (field == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(display, ": ", message->full_name(),
                                                       " has no field ", QuoteForMessage(part)));
      }
      if (!path.empty() && path.back()->is_repeated()) {
        return absl::InvalidArgumentError(
            absl::StrCat(display, ": field ", path.back()->name(),
                         " is a repeated message; its fields can't be set from query parameters"));
      }
      path.push_back(field);
      proto_names.push_back(field->name());
      message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_map()
                    ? field->message_type()
                    : nullptr;
    }
    const FieldDescriptor* leaf = path.back();
    const std::string field_path = absl::StrJoin(proto_names, ".");
    if (leaf->is_map()) {
      return absl::InvalidArgumentError(absl::StrCat(display, ": map field ", field_path,
                                                     " can't be set from a query parameter"));
    }
    if (!CanSetFromText(*leaf)) {
      return absl::InvalidArgumentError(absl::StrCat(
          display, ": field ", field_path, " is a message; set its fields as ", *name, ".<field>"));
    }
    if (route.body_field != nullptr && path.front() == route.body_field) {
      return absl::InvalidArgumentError(absl::StrCat(display, ": field ", route.body_field->name(),
                                                     " is taken from the request body"));
    }
    for (const auto& variable : route.path_template.variables()) {
      if (PathsOverlap(field_path, variable.field_path)) {
        return absl::InvalidArgumentError(
            absl::StrCat(display, ": field ", variable.field_path, " is bound by the URL path"));
      }
    }
    if (route.body == "*" && query_with_whole_body && query_set.insert(field_path).second &&
        SetByBody(*request, path)) {
      return absl::InvalidArgumentError(
          absl::StrCat(display, ": field ", field_path, " is also set by the request body"));
    }
    if (!leaf->is_repeated() && !singular_set.insert(field_path).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(display, ": given more than once for singular field ", field_path));
    }
    Message* parent = request;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      if (auto status = CheckOneof(*parent, path[i], display); !status.ok()) return status;
      parent = parent->GetReflection()->MutableMessage(parent, path[i]);
    }
    if (auto status = CheckOneof(*parent, leaf, display); !status.ok()) return status;
    if (auto status = SetFieldFromText(parent, leaf, *value, display, resolver_.get());
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Transcoder::ToJson(const Descriptor& type,
                                               const std::string& binary) const {
  util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.always_print_primitive_fields = true;
  options.always_print_enums_as_ints = false;
  options.preserve_proto_field_names = false;
  std::string json;
  const auto status =
      util::BinaryToJsonString(resolver_.get(), TypeUrl(type), binary, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("response is not a valid ", type.full_name(), ": ", ToStd(status)));
  }
  return json;
}

absl::StatusOr<std::string> Transcoder::TranscodeResponse(const Route& route,
                                                          std::string_view binary) const {
  const Descriptor& type = *route.method->output_type();
  // protobuf's binary-to-JSON converter stops quietly at malformed input; a full parse does not.
  std::unique_ptr<Message> response(factory_.GetPrototype(&type)->New());
  if (binary.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !response->ParseFromArray(binary.data(), static_cast<int>(binary.size()))) {
    return absl::InternalError(absl::StrCat("response is not a valid ", type.full_name()));
  }
  const FieldDescriptor* field = route.response_body_field;
  if (field == nullptr) return ToJson(type, std::string(binary));
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated()) {
    return ToJson(*field->message_type(),
                  response->GetReflection()->GetMessage(*response, field).SerializeAsString());
  }
  auto json = ToJson(type, std::string(binary));
  if (!json.ok()) return json.status();
  const auto member = FindTopLevelMember(*json, field->json_name());
  if (!member) return std::string("null");  // an unset member of a oneof
  return std::string(*member);
}

absl::StatusOr<std::string> Transcoder::ResponseToNdjsonLine(const Route& route,
                                                             std::string_view binary) const {
  auto json = TranscodeResponse(route, binary);
  if (!json.ok()) return json.status();
  return FormatNdjsonLine(*json);
}

absl::StatusOr<std::string> Transcoder::ResponseToSseEvent(const Route& route,
                                                           std::string_view binary) const {
  auto json = TranscodeResponse(route, binary);
  if (!json.ok()) return json.status();
  return FormatSseEvent(*json);
}

std::string FormatNdjsonLine(std::string_view json) {
  std::string line;
  line.reserve(json.size() + 1);
  line.append(json.data(), json.size());
  line.push_back('\n');
  return line;
}

std::string FormatSseEvent(std::string_view data, std::string_view event) {
  std::string out;
  out.reserve(data.size() + event.size() + 16);
  if (!event.empty()) {
    out += "event: ";
    out.append(event.data(), event.size());
    out += "\n";
  }
  size_t begin = 0;
  while (true) {
    const size_t end = data.find('\n', begin);
    std::string_view line =
        data.substr(begin, end == std::string_view::npos ? data.npos : end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += "data: ";
    out.append(line.data(), line.size());
    out += "\n";
    if (end == std::string_view::npos) break;
    begin = end + 1;
  }
  out += "\n";
  return out;
}

}  // namespace switchboard::gateway::rest
