#include "openapi.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "field_values.h"
#include "json_text.h"
#include "raw_body.h"
#include "request_stream.h"

namespace switchboard::gateway::rest {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

// Query parameters are listed down to this depth of nested messages (a.b.c.d).
constexpr size_t kMaxQueryParameterDepth = 4;
constexpr char kErrorSchema[] = "google.rpc.Status";
constexpr char kSchemaRefPrefix[] = "#/components/schemas/";

JsonValue Ref(const std::string& name) {
  JsonValue ref = JsonValue::Object();
  ref["$ref"] = JsonValue::String(absl::StrCat(kSchemaRefPrefix, name));
  return ref;
}

JsonValue TypedSchema(const char* type, const char* format = nullptr) {
  JsonValue schema = JsonValue::Object();
  schema["type"] = JsonValue::String(type);
  if (format != nullptr) schema["format"] = JsonValue::String(format);
  return schema;
}

template <typename D>
std::string CommentsOf(const D& descriptor) {
  google::protobuf::SourceLocation location;
  if (!descriptor.GetSourceLocation(&location)) return {};
  return std::string(absl::StripAsciiWhitespace(location.leading_comments));
}

// Collects the message and enum schemas the document refers to.
class SchemaSet {
 public:
  // The schema of one value of `field` (ignoring repetition).
  JsonValue ValueSchema(const FieldDescriptor& field) {
    switch (field.type()) {
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
        return TypedSchema("integer", "int32");
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32: {
        JsonValue schema = TypedSchema("integer", "int64");
        schema["minimum"] = JsonValue::Number(0);
        return schema;
      }
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
        return TypedSchema("string", "int64");
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        return TypedSchema("string", "uint64");
      case FieldDescriptor::TYPE_FLOAT:
        return TypedSchema("number", "float");
      case FieldDescriptor::TYPE_DOUBLE:
        return TypedSchema("number", "double");
      case FieldDescriptor::TYPE_BOOL:
        return TypedSchema("boolean");
      case FieldDescriptor::TYPE_STRING:
        return TypedSchema("string");
      case FieldDescriptor::TYPE_BYTES:
        return TypedSchema("string", "byte");
      case FieldDescriptor::TYPE_ENUM:
        return EnumSchema(*field.enum_type());
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        return MessageSchema(*field.message_type());
    }
    return JsonValue::Object();
  }

  // The schema of `field` itself: arrays for repeated fields, objects for maps.
  JsonValue FieldSchema(const FieldDescriptor& field) {
    JsonValue schema;
    if (field.is_map()) {
      schema = TypedSchema("object");
      schema["additionalProperties"] = ValueSchema(*field.message_type()->map_value());
    } else if (field.is_repeated()) {
      schema = TypedSchema("array");
      schema["items"] = ValueSchema(field);
    } else {
      schema = ValueSchema(field);
    }
    if (const std::string comments = CommentsOf(field); !comments.empty()) {
      // A $ref takes no siblings in OpenAPI 3.0: wrap it to carry the description.
      if (schema.Find("$ref") != nullptr) {
        JsonValue wrapper = JsonValue::Object();
        wrapper["allOf"].Push(std::move(schema));
        schema = std::move(wrapper);
      }
      schema["description"] = JsonValue::String(comments);
    }
    return schema;
  }

  // A message: the well-known types inline in their JSON form, others by reference.
  JsonValue MessageSchema(const Descriptor& message) {
    const std::string& name = message.full_name();
    if (name == "google.protobuf.Timestamp") return TypedSchema("string", "date-time");
    if (name == "google.protobuf.Duration") {
      JsonValue schema = TypedSchema("string");
      schema["description"] = JsonValue::String("seconds with an 's' suffix, e.g. \"1.5s\"");
      return schema;
    }
    if (name == "google.protobuf.FieldMask") return TypedSchema("string");
    if (name == "google.protobuf.Struct" || name == "google.protobuf.Empty") {
      return TypedSchema("object");
    }
    if (name == "google.protobuf.Value") return JsonValue::Object();  // any JSON value
    if (name == "google.protobuf.ListValue") {
      JsonValue schema = TypedSchema("array");
      schema["items"] = JsonValue::Object();
      return schema;
    }
    if (name == "google.protobuf.Any") {
      JsonValue schema = TypedSchema("object");
      schema["properties"]["@type"] = TypedSchema("string");
      schema["additionalProperties"] = JsonValue::Object();
      return schema;
    }
    if (message.well_known_type() >= Descriptor::WELLKNOWNTYPE_DOUBLEVALUE &&
        message.well_known_type() <= Descriptor::WELLKNOWNTYPE_BOOLVALUE) {
      JsonValue schema = ValueSchema(*message.FindFieldByName("value"));
      schema["nullable"] = JsonValue::Bool(true);
      return schema;
    }
    Define(message);
    return Ref(name);
  }

  JsonValue EnumSchema(const EnumDescriptor& type) {
    if (type.full_name() == "google.protobuf.NullValue") {
      JsonValue schema = JsonValue::Object();
      schema["nullable"] = JsonValue::Bool(true);
      return schema;
    }
    if (schemas_.find(type.full_name()) == schemas_.end()) {
      JsonValue schema = TypedSchema("string");
      JsonValue& values = schema["enum"] = JsonValue::Array();
      for (int i = 0; i < type.value_count(); ++i) {
        values.Push(JsonValue::String(type.value(i)->name()));
      }
      if (const std::string comments = CommentsOf(type); !comments.empty()) {
        schema["description"] = JsonValue::String(comments);
      }
      schemas_[type.full_name()] = std::move(schema);
    }
    return Ref(type.full_name());
  }

  // An object schema of `message`'s fields, leaving out the top-level ones in `skip`.
  JsonValue ObjectSchema(const Descriptor& message, const std::set<std::string>& skip) {
    JsonValue schema = TypedSchema("object");
    JsonValue& properties = schema["properties"] = JsonValue::Object();
    for (int i = 0; i < message.field_count(); ++i) {
      const FieldDescriptor& field = *message.field(i);
      if (skip.count(field.name()) > 0) continue;
      properties[field.json_name()] = FieldSchema(field);
    }
    if (const std::string comments = CommentsOf(message); !comments.empty()) {
      schema["description"] = JsonValue::String(comments);
    }
    return schema;
  }

  void AddErrorSchema() {
    if (schemas_.count(kErrorSchema) > 0) return;
    JsonValue schema = TypedSchema("object");
    JsonValue& properties = schema["properties"];
    properties["code"] = TypedSchema("integer", "int32");
    properties["code"]["description"] = JsonValue::String("the gRPC status code");
    properties["message"] = TypedSchema("string");
    properties["details"] = TypedSchema("array");
    properties["details"]["items"] = TypedSchema("object");
    schemas_[kErrorSchema] = std::move(schema);
  }

  JsonValue Components() const {
    JsonValue components = JsonValue::Object();
    for (const auto& [name, schema] : schemas_) components[name] = schema;
    return components;
  }

 private:
  void Define(const Descriptor& message) {
    if (schemas_.count(message.full_name()) > 0) return;
    schemas_[message.full_name()] = JsonValue::Object();  // placeholder: recursion stops here
    schemas_[message.full_name()] = ObjectSchema(message, {});
  }

  std::map<std::string, JsonValue> schemas_;
};

std::string LowerMethod(const std::string& method) {
  static const std::set<std::string> kOpenApiMethods = {"get",   "put",  "post",    "delete",
                                                        "patch", "head", "options", "trace"};
  std::string lower = absl::AsciiStrToLower(method);
  return kOpenApiMethods.count(lower) > 0 ? lower : std::string();
}

// The template as an OpenAPI path, and the names of its unnamed wildcard parameters.
std::string OpenApiPath(const PathTemplate& path_template, std::vector<std::string>* anonymous) {
  const auto& segments = path_template.segments();
  std::map<size_t, const PathTemplate::Variable*> variable_at;
  for (const auto& variable : path_template.variables()) {
    variable_at[variable.begin_segment] = &variable;
  }
  std::string path;
  for (size_t i = 0; i < segments.size();) {
    path.push_back('/');
    if (auto it = variable_at.find(i); it != variable_at.end()) {
      absl::StrAppend(&path, "{", it->second->field_path, "}");
      i = std::max(it->second->end_segment, i + 1);
      continue;
    }
    if (segments[i].kind == PathTemplate::SegmentKind::kLiteral) {
      path += segments[i].literal;
    } else {
      const std::string name = absl::StrCat("_segment", anonymous->size());
      absl::StrAppend(&path, "{", name, "}");
      anonymous->push_back(name);
    }
    ++i;
  }
  if (path.empty()) path = "/";
  if (!path_template.verb().empty()) absl::StrAppend(&path, ":", path_template.verb());
  return path;
}

// Query parameters: every leaf field not bound by the path nor in the body, by JSON name.
void AddQueryParameters(const Descriptor& message, const std::string& json_prefix,
                        const std::string& proto_prefix, const Route& route, size_t depth,
                        std::vector<const Descriptor*>* stack, SchemaSet* schemas,
                        JsonValue* parameters) {
  for (int i = 0; i < message.field_count(); ++i) {
    const FieldDescriptor& field = *message.field(i);
    const std::string proto_path = absl::StrCat(proto_prefix, field.name());
    const std::string json_path = absl::StrCat(json_prefix, field.json_name());
    if (depth == 0 && route.body_field == &field) continue;
    bool bound = false;
    for (const auto& variable : route.path_template.variables()) {
      if (variable.field_path == proto_path) bound = true;
    }
    if (bound || field.is_map()) continue;
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !CanSetFromText(field)) {
      const Descriptor* type = field.message_type();
      if (field.is_repeated() || depth + 1 >= kMaxQueryParameterDepth) continue;
      if (std::find(stack->begin(), stack->end(), type) != stack->end()) continue;
      stack->push_back(type);
      AddQueryParameters(*type, json_path + ".", proto_path + ".", route, depth + 1, stack, schemas,
                         parameters);
      stack->pop_back();
      continue;
    }
    JsonValue parameter = JsonValue::Object();
    parameter["name"] = JsonValue::String(json_path);
    parameter["in"] = JsonValue::String("query");
    parameter["required"] = JsonValue::Bool(false);
    parameter["schema"] = schemas->FieldSchema(field);
    if (field.is_repeated()) {
      parameter["style"] = JsonValue::String("form");
      parameter["explode"] = JsonValue::Bool(true);
    }
    parameters->Push(std::move(parameter));
  }
}

JsonValue Content(std::initializer_list<const char*> media_types, const JsonValue& schema) {
  JsonValue content = JsonValue::Object();
  for (const char* media_type : media_types) content[media_type]["schema"] = schema;
  return content;
}

JsonValue Operation(const Route& route, const std::vector<std::string>& anonymous,
                    SchemaSet* schemas) {
  const auto& method = *route.method;
  JsonValue operation = JsonValue::Object();
  operation["operationId"] = JsonValue::String(
      route.binding_index == 0 ? method.full_name()
                               : absl::StrCat(method.full_name(), "_", route.binding_index));
  operation["tags"].Push(JsonValue::String(method.service()->full_name()));
  // A stream of requests without a body to carry it (GET /chat/{room}) is a WebSocket only.
  const bool websocket_only = route.client_streaming && route.body.empty();
  std::string description = CommentsOf(method);
  if (route.client_streaming) {
    absl::StrAppend(&description, description.empty() ? "" : "\n\n",
                    websocket_only ? "A WebSocket" : "Also a WebSocket",
                    " at this path (a GET with Upgrade: websocket, no query): one JSON message per "
                    "text frame each way, the path's fields in every request message; an empty "
                    "frame ends the input; the status in the close frame (1000, or 4000 + the "
                    "gRPC code, the message as the reason).");
  }
  if (!description.empty()) operation["description"] = JsonValue::String(description);

  JsonValue& parameters = operation["parameters"] = JsonValue::Array();
  for (size_t v = 0; v < route.path_template.variables().size(); ++v) {
    const auto& variable = route.path_template.variables()[v];
    JsonValue parameter = JsonValue::Object();
    parameter["name"] = JsonValue::String(variable.field_path);
    parameter["in"] = JsonValue::String("path");
    parameter["required"] = JsonValue::Bool(true);
    parameter["schema"] = schemas->ValueSchema(*route.variable_fields[v].back());
    if (variable.multi_segment) {
      parameter["description"] = JsonValue::String("spans several path segments, '/' included");
    }
    parameters.Push(std::move(parameter));
  }
  for (const std::string& name : anonymous) {
    JsonValue parameter = JsonValue::Object();
    parameter["name"] = JsonValue::String(name);
    parameter["in"] = JsonValue::String("path");
    parameter["required"] = JsonValue::Bool(true);
    parameter["schema"] = TypedSchema("string");
    parameters.Push(std::move(parameter));
  }
  if (route.body != "*" && !websocket_only) {
    std::vector<const Descriptor*> stack = {method.input_type()};
    AddQueryParameters(*method.input_type(), "", "", route, 0, &stack, schemas, &parameters);
  }

  if (!route.body.empty()) {
    JsonValue schema;
    if (route.body_field != nullptr) {
      schema = schemas->FieldSchema(*route.body_field);
    } else {
      std::set<std::string> bound;  // top-level fields the path binds are not in the body
      for (const auto& variable : route.path_template.variables()) {
        if (variable.field_names.size() == 1) bound.insert(variable.field_path);
      }
      schema = bound.empty() ? schemas->MessageSchema(*method.input_type())
                             : schemas->ObjectSchema(*method.input_type(), bound);
    }
    JsonValue& body = operation["requestBody"];
    if (route.client_streaming) {
      body["description"] =
          JsonValue::String("a stream of messages: one JSON object per line (NDJSON)");
      body["content"] = Content({"application/x-ndjson"}, schema);
      if (auto raw = RawBodyField(route); raw.ok()) {
        // Raw bytes (curl -T): chunked into the bytes field, the other fields of the first
        // message from the query.
        body["description"] = JsonValue::String(
            absl::StrCat("a stream of messages: one JSON object per line (NDJSON); or raw bytes "
                         "(application/octet-stream, or PUT without a content type) filling ",
                         (*raw)->json_name(), " chunk by chunk, the other fields from the query"));
        body["content"]["application/octet-stream"]["schema"] = TypedSchema("string", "binary");
        Route raw_route = route;
        raw_route.body = (*raw)->name();
        raw_route.body_field = *raw;
        std::vector<const Descriptor*> stack = {method.input_type()};
        AddQueryParameters(*method.input_type(), "", "", raw_route, 0, &stack, schemas,
                           &operation["parameters"]);
      }
    } else {
      body["content"] = Content({"application/json"}, schema);
    }
  }

  const JsonValue response_schema = route.response_body_field != nullptr
                                        ? schemas->FieldSchema(*route.response_body_field)
                                        : schemas->MessageSchema(*method.output_type());
  if (websocket_only) {
    JsonValue& upgrade = operation["responses"]["101"];
    upgrade["description"] = JsonValue::String(absl::StrCat(
        "Switching Protocols: the WebSocket; each text frame from the server is one JSON ",
        method.output_type()->full_name(), " (without the upgrade: 426)"));
    JsonValue& error = operation["responses"]["default"];
    error["description"] = JsonValue::String("an error: the gRPC status code and message");
    schemas->AddErrorSchema();
    error["content"] = Content({"application/json"}, Ref(kErrorSchema));
    return operation;
  }
  JsonValue& ok = operation["responses"]["200"];
  if (StreamsRawBody(route)) {
    // A download: the bytes field of every message, raw (raw_body.h).
    ok["description"] = JsonValue::String(absl::StrCat(
        "the ", route.response_body_field->json_name(), " of every message, raw (a download)"));
    ok["content"]["application/octet-stream"]["schema"] = TypedSchema("string", "binary");
    if (AcceptsByteRange(route)) {
      JsonValue& partial = operation["responses"]["206"];
      partial["description"] =
          JsonValue::String("the bytes a Range: bytes=first-last (or first-) header asks for");
      partial["content"]["application/octet-stream"]["schema"] = TypedSchema("string", "binary");
      operation["responses"]["416"]["description"] =
          JsonValue::String("the range starts at or past the end");
    }
  } else if (route.server_streaming) {
    ok["description"] = JsonValue::String(
        "a stream of messages: NDJSON lines, or server-sent events with Accept: "
        "text/event-stream");
    ok["content"] = Content({"application/x-ndjson", "text/event-stream"}, response_schema);
  } else {
    ok["description"] = JsonValue::String("OK");
    ok["content"] = Content({"application/json"}, response_schema);
  }
  JsonValue& error = operation["responses"]["default"];
  error["description"] = JsonValue::String("an error: the gRPC status code and message");
  schemas->AddErrorSchema();
  error["content"] = Content({"application/json"}, Ref(kErrorSchema));
  return operation;
}

}  // namespace

std::string GenerateOpenApi(const RouteTable& table, const OpenApiOptions& options) {
  SchemaSet schemas;
  std::map<std::string, JsonValue> paths;
  for (const Route& route : table.routes()) {
    const std::string method = LowerMethod(route.http_method);
    if (method.empty()) continue;
    std::vector<std::string> anonymous;
    const std::string path = OpenApiPath(route.path_template, &anonymous);
    JsonValue& item = paths[path];
    if (item.Find(method) != nullptr) continue;
    item[method] = Operation(route, anonymous, &schemas);
  }

  JsonValue document = JsonValue::Object();
  document["openapi"] = JsonValue::String("3.0.3");
  document["info"]["title"] = JsonValue::String(options.title);
  document["info"]["version"] = JsonValue::String(options.version);
  if (!options.server_urls.empty()) {
    JsonValue& servers = document["servers"] = JsonValue::Array();
    for (const std::string& url : options.server_urls) {
      JsonValue server = JsonValue::Object();
      server["url"] = JsonValue::String(url);
      servers.Push(std::move(server));
    }
  }
  JsonValue& path_items = document["paths"] = JsonValue::Object();
  for (auto& [path, item] : paths) path_items[path] = std::move(item);
  schemas.AddErrorSchema();
  document["components"]["schemas"] = schemas.Components();
  return document.Serialize();
}

}  // namespace switchboard::gateway::rest
