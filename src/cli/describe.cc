#include "cli/describe.h"

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace switchboard::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Nested messages are described (and filled in the example) this deep; deeper ones, and a
// message that contains itself, are named only.
constexpr int kMaxDepth = 3;
constexpr char kIndent[] = "  ";
// Sample values of the example request: plain, and valid for the type's JSON form.
constexpr char kSampleText[] = "text";
constexpr int kSampleNumber = 1;
constexpr char kSampleBytes[] = "bytes";
// 2030-01-01T00:00:00Z: a Timestamp in the future, as an event's start would be.
constexpr int64_t kSampleTimestampSeconds = 1893456000;
constexpr int64_t kSampleDurationSeconds = 1;

std::string TypeName(const FieldDescriptor* field) {
  if (field->is_map()) {
    return absl::StrCat("map<", TypeName(field->message_type()->map_key()), ", ",
                        TypeName(field->message_type()->map_value()), ">");
  }
  std::string name;
  switch (field->type()) {
    case FieldDescriptor::TYPE_MESSAGE:
    case FieldDescriptor::TYPE_GROUP:
      name = field->message_type()->full_name();
      break;
    case FieldDescriptor::TYPE_ENUM: {
      std::vector<std::string> values;
      for (int i = 0; i < field->enum_type()->value_count(); ++i) {
        values.push_back(field->enum_type()->value(i)->name());
      }
      name =
          absl::StrCat("enum ", field->enum_type()->name(), " (", absl::StrJoin(values, ", "), ")");
      break;
    }
    default:
      name = field->type_name();
  }
  return field->is_repeated() ? absl::StrCat("repeated ", name) : name;
}

bool IsWellKnown(const Descriptor* type) { return type->file()->package() == "google.protobuf"; }

void AppendFields(const Descriptor* type, int depth, std::set<const Descriptor*>* open,
                  std::string* out) {
  if (type->field_count() == 0) {
    absl::StrAppend(out, std::string(depth * 2, ' '), kIndent, "(no fields)\n");
    return;
  }
  open->insert(type);
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    absl::StrAppend(out, std::string(depth * 2, ' '), kIndent, field->json_name(), "  ",
                    TypeName(field), "\n");
    const Descriptor* nested = field->is_map() ? field->message_type()->map_value()->message_type()
                                               : field->message_type();
    if (nested != nullptr && !IsWellKnown(nested) && open->count(nested) == 0 &&
        depth + 1 < kMaxDepth) {
      AppendFields(nested, depth + 1, open, out);
    }
  }
  open->erase(type);
}

void FillWellKnown(Message* message) {
  const Descriptor* type = message->GetDescriptor();
  const Reflection* reflection = message->GetReflection();
  if (type->full_name() == "google.protobuf.Timestamp") {
    reflection->SetInt64(message, type->FindFieldByName("seconds"), kSampleTimestampSeconds);
  } else if (type->full_name() == "google.protobuf.Duration") {
    reflection->SetInt64(message, type->FindFieldByName("seconds"), kSampleDurationSeconds);
  }
  // Other well-known types (Struct, Any, wrappers) stay empty: `{}` or their zero value.
}

void Fill(Message* message, int depth, std::set<const Descriptor*>* open);

// Sets (or, for a repeated field, adds) one sample value of `field`.
void FillField(Message* message, const FieldDescriptor* field, int depth,
               std::set<const Descriptor*>* open) {
  const Reflection* reflection = message->GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string value =
          field->type() == FieldDescriptor::TYPE_BYTES ? kSampleBytes : kSampleText;
      repeated ? reflection->AddString(message, field, value)
               : reflection->SetString(message, field, value);
      break;
    }
    case FieldDescriptor::CPPTYPE_INT32:
      repeated ? reflection->AddInt32(message, field, kSampleNumber)
               : reflection->SetInt32(message, field, kSampleNumber);
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      repeated ? reflection->AddInt64(message, field, kSampleNumber)
               : reflection->SetInt64(message, field, kSampleNumber);
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      repeated ? reflection->AddUInt32(message, field, kSampleNumber)
               : reflection->SetUInt32(message, field, kSampleNumber);
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      repeated ? reflection->AddUInt64(message, field, kSampleNumber)
               : reflection->SetUInt64(message, field, kSampleNumber);
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      repeated ? reflection->AddDouble(message, field, kSampleNumber)
               : reflection->SetDouble(message, field, kSampleNumber);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      repeated ? reflection->AddFloat(message, field, kSampleNumber)
               : reflection->SetFloat(message, field, kSampleNumber);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      repeated ? reflection->AddBool(message, field, true)
               : reflection->SetBool(message, field, true);
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      // The first value that means something: value 0 is proto3's "unspecified".
      const auto* enum_type = field->enum_type();
      const auto* value = enum_type->value(enum_type->value_count() > 1 ? 1 : 0);
      repeated ? reflection->AddEnum(message, field, value)
               : reflection->SetEnum(message, field, value);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Descriptor* nested = field->message_type();
      if (!field->is_map() && (open->count(nested) > 0 || depth + 1 >= kMaxDepth)) break;
      Message* child = repeated ? reflection->AddMessage(message, field)
                                : reflection->MutableMessage(message, field);
      Fill(child, depth + 1, open);
      break;
    }
  }
}

void Fill(Message* message, int depth, std::set<const Descriptor*>* open) {
  const Descriptor* type = message->GetDescriptor();
  if (IsWellKnown(type)) return FillWellKnown(message);
  open->insert(type);
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    // One member of each oneof: setting a second would clear the first.
    if (field->containing_oneof() != nullptr && field->containing_oneof()->field(0) != field) {
      continue;
    }
    FillField(message, field, depth, open);
  }
  open->erase(type);
}

}  // namespace

std::string ExampleJson(const Descriptor* type) {
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  std::unique_ptr<Message> message(prototype->New());
  std::set<const Descriptor*> open;
  Fill(message.get(), 0, &open);
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(*message, &json, options).ok()) return "{}";
  return json;
}

std::string FieldList(const Descriptor* type) {
  std::vector<std::string> fields;
  for (int i = 0; i < type->field_count(); ++i) {
    fields.push_back(
        absl::StrCat(type->field(i)->json_name(), " (", TypeName(type->field(i)), ")"));
  }
  return fields.empty() ? "no fields" : absl::StrJoin(fields, ", ");
}

const Descriptor* MessageAtPath(const Descriptor* type, const std::string& path) {
  const std::vector<std::string> parts = absl::StrSplit(path, '.');
  const Descriptor* at = type;
  // Every part but the last names a message field; the last is the unknown one.
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const FieldDescriptor* field = at->FindFieldByName(parts[i]);
    for (int f = 0; field == nullptr && f < at->field_count(); ++f) {
      if (at->field(f)->json_name() == parts[i]) field = at->field(f);
    }
    if (field == nullptr || field->message_type() == nullptr) return type;
    at = field->is_map() ? field->message_type()->map_value()->message_type()
                         : field->message_type();
    if (at == nullptr) return type;
  }
  return at;
}

std::string DescribeMethod(const google::protobuf::MethodDescriptor* method) {
  const char* shape = method->client_streaming()
                          ? (method->server_streaming() ? "bidi streaming" : "client streaming")
                          : (method->server_streaming() ? "server streaming" : "unary");
  std::string out = absl::StrCat(method->full_name(), "  [", shape, "]\n\nrequest ",
                                 method->input_type()->full_name(), ":\n");
  std::set<const Descriptor*> open;
  AppendFields(method->input_type(), 0, &open, &out);
  absl::StrAppend(&out, "\nexample", method->client_streaming() ? " (one message per line)" : "",
                  ":\n", kIndent, ExampleJson(method->input_type()), "\n\nresponse ",
                  method->output_type()->full_name(),
                  method->server_streaming() ? " (a stream of them)" : "", ":\n");
  AppendFields(method->output_type(), 0, &open, &out);
  return out;
}

}  // namespace switchboard::cli
