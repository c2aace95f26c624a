#include "json_text.h"

#include "absl/strings/str_cat.h"
#include "gateway/codec/hex.h"

namespace switchboard::gateway::rest {
namespace {

// Length of the well-formed UTF-8 sequence starting at text[i], or 0 when it is ill-formed.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto b0 = static_cast<uint8_t>(text[i]);
  if (b0 < 0x80) return 1;
  size_t length;
  uint32_t min_code_point;
  uint32_t code_point;
  if ((b0 & 0xe0) == 0xc0) {
    length = 2, min_code_point = 0x80, code_point = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    length = 3, min_code_point = 0x800, code_point = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    length = 4, min_code_point = 0x10000, code_point = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    const auto b = static_cast<uint8_t>(text[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (b & 0x3f);
  }
  if (code_point < min_code_point || code_point > 0x10ffff) return 0;
  if (code_point >= 0xd800 && code_point <= 0xdfff) return 0;
  return length;
}

// A recursive-descent scanner over JSON text: validates and skips values, decodes strings.
class Scanner {
 public:
  Scanner(std::string_view text, size_t max_depth) : text_(text), max_depth_(max_depth) {}

  void SkipWhitespace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  size_t pos() const { return pos_; }
  const std::string& error() const { return error_; }
  bool Fail(const std::string& what) {
    if (error_.empty()) error_ = absl::StrCat(what, " at offset ", pos_);
    return false;
  }
  bool Consume(char c) {
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  char Peek() {
    SkipWhitespace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  bool SkipValue(size_t depth) {
    switch (Peek()) {
      case '{':
      case '[':
        // `depth` containers enclose this one.
        if (depth >= max_depth_) return Fail(absl::StrCat("nesting deeper than ", max_depth_));
        return Peek() == '{' ? SkipObject(depth) : SkipArray(depth);
      case '"':
        return ReadString(nullptr);
      case 't':
        return SkipLiteral("true");
      case 'f':
        return SkipLiteral("false");
      case 'n':
        return SkipLiteral("null");
      case '\0':
        return Fail("unexpected end of JSON");
      default:
        return SkipNumber();
    }
  }

  // Reads a string at the current position; decodes it into `decoded` unless null.
  bool ReadString(std::string* decoded) {
    if (!Consume('"')) return Fail("expected '\"'");
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<uint8_t>(c) < 0x20) return Fail("control character in a string");
      if (c != '\\') {
        if (decoded) decoded->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          if (decoded) decoded->push_back(e);
          break;
        case 'b':
          if (decoded) decoded->push_back('\b');
          break;
        case 'f':
          if (decoded) decoded->push_back('\f');
          break;
        case 'n':
          if (decoded) decoded->push_back('\n');
          break;
        case 'r':
          if (decoded) decoded->push_back('\r');
          break;
        case 't':
          if (decoded) decoded->push_back('\t');
          break;
        case 'u': {
          if (pos_ + 4 > text_.size()) return Fail("short \\u escape");
          uint32_t unit = 0;
          for (int k = 0; k < 4; ++k) {
            const char h = text_[pos_++];
            unit <<= 4;
            if (h >= '0' && h <= '9') {
              unit |= h - '0';
            } else if (h >= 'a' && h <= 'f') {
              unit |= h - 'a' + 10;
            } else if (h >= 'A' && h <= 'F') {
              unit |= h - 'A' + 10;
            } else {
              return Fail("bad \\u escape");
            }
          }
          // Member names we look up are ASCII; other code units only need to be skipped.
          if (decoded) decoded->push_back(unit < 0x80 ? static_cast<char>(unit) : '?');
          break;
        }
        default:
          return Fail("bad escape in a string");
      }
    }
    return Fail("unterminated string");
  }

  // Iterates the members of an object: calls `on_member(key, value_begin, value_end)`.
  template <typename F>
  bool ScanObject(size_t depth, F&& on_member) {
    if (!Consume('{')) return Fail("expected '{'");
    if (Consume('}')) return true;
    while (true) {
      std::string key;
      if (Peek() != '"') return Fail("expected a member name");
      if (!ReadString(&key)) return false;
      if (!Consume(':')) return Fail("expected ':'");
      SkipWhitespace();
      const size_t begin = pos_;
      if (!SkipValue(depth + 1)) return false;
      on_member(key, begin, pos_);
      if (Consume(',')) continue;
      if (Consume('}')) return true;
      return Fail("expected ',' or '}'");
    }
  }

 private:
  bool SkipObject(size_t depth) {
    return ScanObject(depth, [](const std::string&, size_t, size_t) {});
  }
  bool SkipArray(size_t depth) {
    if (!Consume('[')) return Fail("expected '['");
    if (Consume(']')) return true;
    while (true) {
      if (!SkipValue(depth + 1)) return false;
      if (Consume(',')) continue;
      if (Consume(']')) return true;
      return Fail("expected ',' or ']'");
    }
  }
  bool SkipLiteral(std::string_view literal) {
    SkipWhitespace();
    if (text_.substr(pos_, literal.size()) != literal) return Fail("unexpected character");
    pos_ += literal.size();
    return true;
  }
  bool SkipDigits() {
    const size_t begin = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ > begin;
  }
  bool SkipNumber() {
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (!SkipDigits()) {
      return Fail("unexpected character");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!SkipDigits()) return Fail("expected a digit");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!SkipDigits()) return Fail("expected a digit");
    }
    return true;
  }

  std::string_view text_;
  size_t max_depth_;
  size_t pos_ = 0;
  std::string error_;
};

// Findable member names are short; the scanner depth for a lookup matches protobuf's limit.
constexpr size_t kLookupMaxDepth = 100;

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    const auto u = static_cast<uint8_t>(c);
    if (u >= 0x80) {
      const size_t length = Utf8SequenceLength(text, i);
      if (length == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(text.data() + i, length);
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out->append("\\u00");
          out->push_back(kLowerHexDigits[u >> 4]);
          out->push_back(kLowerHexDigits[u & 0xf]);
        } else {
          out->push_back(c);
        }
    }
    ++i;
  }
  out->push_back('"');
}

std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

absl::Status ValidateJsonValue(std::string_view text, size_t max_depth) {
  Scanner scanner(text, max_depth);
  if (!scanner.SkipValue(0)) {
    return absl::InvalidArgumentError(absl::StrCat("malformed JSON: ", scanner.error()));
  }
  scanner.SkipWhitespace();
  if (!scanner.AtEnd()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed JSON: unexpected text after the value at offset ", scanner.pos()));
  }
  return absl::OkStatus();
}

std::optional<std::string_view> FindTopLevelMember(std::string_view object_json,
                                                   std::string_view key) {
  Scanner scanner(object_json, kLookupMaxDepth);
  std::optional<std::string_view> found;
  const bool ok = scanner.ScanObject(0, [&](const std::string& name, size_t begin, size_t end) {
    if (!found && name == key) found = object_json.substr(begin, end - begin);
  });
  if (!ok) return std::nullopt;
  return found;
}

JsonValue JsonValue::Object() {
  JsonValue v;
  v.kind_ = Kind::kObject;
  return v;
}

JsonValue JsonValue::Array() {
  JsonValue v;
  v.kind_ = Kind::kArray;
  return v;
}

JsonValue JsonValue::String(std::string_view text) {
  JsonValue v;
  v.kind_ = Kind::kString;
  v.scalar_ = std::string(text);
  return v;
}

JsonValue JsonValue::Number(int64_t number) {
  JsonValue v;
  v.kind_ = Kind::kNumber;
  v.scalar_ = absl::StrCat(number);
  return v;
}

JsonValue JsonValue::Bool(bool value) {
  JsonValue v;
  v.kind_ = Kind::kBool;
  v.scalar_ = value ? "true" : "false";
  return v;
}

JsonValue& JsonValue::operator[](std::string_view key) {
  if (kind_ == Kind::kNull) kind_ = Kind::kObject;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return values_[i];
  }
  keys_.emplace_back(key);
  values_.emplace_back();
  return values_.back();
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return &values_[i];
  }
  return nullptr;
}

JsonValue& JsonValue::Push(JsonValue value) {
  if (kind_ == Kind::kNull) kind_ = Kind::kArray;
  values_.push_back(std::move(value));
  return values_.back();
}

void JsonValue::AppendTo(std::string* out) const {
  switch (kind_) {
    case Kind::kNull:
      out->append("null");
      return;
    case Kind::kBool:
    case Kind::kNumber:
      out->append(scalar_);
      return;
    case Kind::kString:
      AppendJsonString(scalar_, out);
      return;
    case Kind::kArray:
      out->push_back('[');
      for (size_t i = 0; i < values_.size(); ++i) {
        if (i > 0) out->push_back(',');
        values_[i].AppendTo(out);
      }
      out->push_back(']');
      return;
    case Kind::kObject:
      out->push_back('{');
      for (size_t i = 0; i < values_.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonString(keys_[i], out);
        out->push_back(':');
        values_[i].AppendTo(out);
      }
      out->push_back('}');
      return;
  }
}

std::string JsonValue::Serialize() const {
  std::string out;
  AppendTo(&out);
  return out;
}

}  // namespace switchboard::gateway::rest
