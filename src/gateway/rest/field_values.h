// Setting one request field from text, as a path variable or a query parameter carries it, with
// the proto3 JSON mapping's rules for scalars: shared by the route table (which fields a path may
// bind) and the transcoder.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/type_resolver.h"

namespace switchboard::gateway::rest {

inline constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

// True for the fields text can set: scalars, enums, and the well-known types whose JSON form is
// a string or a scalar (Timestamp, Duration, FieldMask, the wrappers). Repetition is not looked at.
bool CanSetFromText(const google::protobuf::FieldDescriptor& field);

// Sets (or, for a repeated field, adds) `field` of `message` from `text`: integers in decimal,
// floating point with "NaN"/"Infinity"/"-Infinity", bools "true"/"false", enums by name or number,
// bytes in base64 (standard or URL-safe, padding optional), strings as UTF-8, Timestamp/Duration/
// FieldMask in their JSON forms, wrappers as their value. INVALID_ARGUMENT naming `display_name`
// and the value when the text does not fit. `resolver` resolves the well-known types of the pool.
absl::Status SetFieldFromText(google::protobuf::Message* message,
                              const google::protobuf::FieldDescriptor* field, std::string_view text,
                              std::string_view display_name,
                              google::protobuf::util::TypeResolver* resolver);

// Values echoed in error messages are cut to this many bytes.
inline constexpr size_t kQuotedValueBytes = 64;

// `text` quoted for an error message: as a JSON string when it is UTF-8, else with C escapes
// ("\xff"); cut to kQuotedValueBytes.
std::string QuoteForMessage(std::string_view text);

// "type.googleapis.com/<full name>".
std::string TypeUrl(const google::protobuf::Descriptor& descriptor);

}  // namespace switchboard::gateway::rest
