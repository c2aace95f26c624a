#include "field_values.h"

#include <cfloat>
#include <cmath>
#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "json_text.h"

namespace switchboard::gateway::rest {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsWrapper(const Descriptor& d) {
  const std::string& name = d.full_name();
  return name == "google.protobuf.DoubleValue" || name == "google.protobuf.FloatValue" ||
         name == "google.protobuf.Int64Value" || name == "google.protobuf.UInt64Value" ||
         name == "google.protobuf.Int32Value" || name == "google.protobuf.UInt32Value" ||
         name == "google.protobuf.BoolValue" || name == "google.protobuf.StringValue" ||
         name == "google.protobuf.BytesValue";
}

// Well-known types whose JSON form is a string.
bool IsStringJsonType(const Descriptor& d) {
  const std::string& name = d.full_name();
  return name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration" ||
         name == "google.protobuf.FieldMask";
}

// Decimal integers only: an optional '-' (signed types) and digits. absl::SimpleAtoi would also
// take whitespace and '+'.
bool LooksLikeInteger(std::string_view text, bool allow_sign) {
  size_t i = 0;
  if (allow_sign && !text.empty() && text[0] == '-') i = 1;
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

absl::string_view AbslView(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

template <typename T>
bool ParseInteger(std::string_view text, T* out) {
  return LooksLikeInteger(text, std::numeric_limits<T>::is_signed) &&
         absl::SimpleAtoi(AbslView(text), out);
}

bool ParseDouble(std::string_view text, double* out) {
  if (text == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "Infinity" || text == "-Infinity") {
    *out = text[0] == '-' ? -std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::infinity();
    return true;
  }
  if (text.empty()) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) {
      return false;
    }
  }
  return absl::SimpleAtod(AbslView(text), out) && std::isfinite(*out);
}

}  // namespace

std::string QuoteForMessage(std::string_view text) {
  const bool cut = text.size() > kQuotedValueBytes;
  if (cut) text = text.substr(0, kQuotedValueBytes);
  std::string quoted = IsValidUtf8(text)
                           ? JsonString(text)
                           : absl::StrCat("\"", absl::CHexEscape(AbslView(text)), "\"");
  if (cut) quoted += "...";
  return quoted;
}

std::string TypeUrl(const Descriptor& descriptor) {
  return absl::StrCat(kTypeUrlPrefix, "/", descriptor.full_name());
}

bool CanSetFromText(const FieldDescriptor& field) {
  if (field.is_map()) return false;
  if (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  return IsWrapper(*field.message_type()) || IsStringJsonType(*field.message_type());
}

absl::Status SetFieldFromText(Message* message, const FieldDescriptor* field, std::string_view text,
                              std::string_view display_name,
                              google::protobuf::util::TypeResolver* resolver) {
  const Reflection* reflection = message->GetReflection();
  const bool repeated = field->is_repeated();
  auto invalid = [&](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(display_name), ": ", QuoteForMessage(text), " is not ", std::string(what)));
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!ParseInteger(text, &v)) return invalid("an int32");
      repeated ? reflection->AddInt32(message, field, v) : reflection->SetInt32(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!ParseInteger(text, &v)) return invalid("an int64");
      repeated ? reflection->AddInt64(message, field, v) : reflection->SetInt64(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!ParseInteger(text, &v)) return invalid("a uint32");
      repeated ? reflection->AddUInt32(message, field, v)
               : reflection->SetUInt32(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!ParseInteger(text, &v)) return invalid("a uint64");
      repeated ? reflection->AddUInt64(message, field, v)
               : reflection->SetUInt64(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      if (!ParseDouble(text, &v)) {
        return invalid("a double");
      }
      repeated ? reflection->AddDouble(message, field, v)
               : reflection->SetDouble(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      if (!ParseDouble(text, &v)) {
        return invalid("a float");
      }
      if (std::isfinite(v) && std::fabs(v) > FLT_MAX) return invalid("a float (out of range)");
      const auto f = static_cast<float>(v);
      repeated ? reflection->AddFloat(message, field, f) : reflection->SetFloat(message, field, f);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      if (text != "true" && text != "false") return invalid("a bool (true or false)");
      const bool v = text == "true";
      repeated ? reflection->AddBool(message, field, v) : reflection->SetBool(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* type = field->enum_type();
      int number;
      if (const auto* value = type->FindValueByName(std::string(text))) {
        number = value->number();
      } else if (ParseInteger(text, &number)) {
        // proto2 enums are closed: an unknown number would land in unknown fields.
        if (type->file()->syntax() != google::protobuf::FileDescriptor::SYNTAX_PROTO3 &&
            type->FindValueByNumber(number) == nullptr) {
          return invalid(absl::StrCat("a value of enum ", type->full_name()));
        }
      } else {
        return invalid(absl::StrCat("a value of enum ", type->full_name()));
      }
      repeated ? reflection->AddEnumValue(message, field, number)
               : reflection->SetEnumValue(message, field, number);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string v;
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        const bool web_safe = text.find_first_of("-_") != std::string_view::npos;
        const bool ok = web_safe ? absl::WebSafeBase64Unescape(AbslView(text), &v)
                                 : absl::Base64Unescape(AbslView(text), &v);
        if (!ok) return invalid("base64");
      } else {
        if (!IsValidUtf8(text)) return invalid("valid UTF-8");
        v = std::string(text);
      }
      repeated ? reflection->AddString(message, field, std::move(v))
               : reflection->SetString(message, field, std::move(v));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Descriptor& type = *field->message_type();
      if (!CanSetFromText(*field)) {
        return absl::InvalidArgumentError(
            absl::StrCat(std::string(display_name), ": a ", type.full_name(),
                         " message can't be set from text; set its fields one by one"));
      }
      Message* sub = repeated ? reflection->AddMessage(message, field)
                              : reflection->MutableMessage(message, field);
      if (IsWrapper(type)) {
        return SetFieldFromText(sub, type.FindFieldByName("value"), text, display_name, resolver);
      }
      std::string binary;
      const std::string json = JsonString(text);
      const auto status = google::protobuf::util::JsonToBinaryString(
          resolver, TypeUrl(type), google::protobuf::StringPiece(json.data(), json.size()), &binary,
          google::protobuf::util::JsonParseOptions());
      if (!status.ok() || !sub->ParseFromString(binary)) {
        return invalid(absl::StrCat("a ", type.full_name(), " in its JSON form"));
      }
      return absl::OkStatus();
    }
  }
  return invalid("a supported type");
}

}  // namespace switchboard::gateway::rest
