// Small JSON text helpers the transcoder, the error bodies and the OpenAPI document share:
// escaping, a validating scanner, and an ordered tree for writing documents. Messages themselves
// go through protobuf's JSON mapping, never through these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace switchboard::gateway::rest {

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Appends `text` as a quoted JSON string: '"', '\\' and control characters escaped, each
// ill-formed UTF-8 byte replaced by U+FFFD so that the output is always valid JSON.
void AppendJsonString(std::string_view text, std::string* out);
std::string JsonString(std::string_view text);

// OK when `text` is exactly one JSON value (surrounding whitespace allowed) nested at most
// `max_depth` deep; otherwise INVALID_ARGUMENT saying what was wrong and at which byte offset.
absl::Status ValidateJsonValue(std::string_view text, size_t max_depth);

// The text of member `key` of the JSON object `object_json` (a top-level member only), or nullopt
// when the object has no such member or is not well-formed.
std::optional<std::string_view> FindTopLevelMember(std::string_view object_json,
                                                   std::string_view key);

// A JSON document built in order and written compactly: object members keep their insertion
// order, so the output is deterministic.
class JsonValue {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default;
  static JsonValue Object();
  static JsonValue Array();
  static JsonValue String(std::string_view text);
  static JsonValue Number(int64_t number);
  static JsonValue Bool(bool value);

  Kind kind() const { return kind_; }
  // Object: the member `key`, created (null) at the end when missing.
  JsonValue& operator[](std::string_view key);
  // Object: the member `key`, or nullptr.
  const JsonValue* Find(std::string_view key) const;
  // Array: appends `value` and returns it.
  JsonValue& Push(JsonValue value);
  size_t size() const { return values_.size(); }

  void AppendTo(std::string* out) const;
  std::string Serialize() const;

 private:
  Kind kind_ = Kind::kNull;
  std::string scalar_;             // bool, number: the literal text; string: the raw text
  std::vector<std::string> keys_;  // object member names, parallel to values_
  std::vector<JsonValue> values_;  // array items or object member values
};

}  // namespace switchboard::gateway::rest
