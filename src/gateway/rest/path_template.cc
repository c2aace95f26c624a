#include "path_template.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors.h"
#include "percent_encoding.h"

namespace switchboard::gateway::rest {
namespace {

// Characters of a LITERAL besides alphanumerics: RFC 3986 unreserved, sub-delims, '@' and '%'
// (escapes). ':' is excluded because it introduces the verb.
bool IsLiteralChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '+':
    case ',':
    case ';':
    case '=':
    case '@':
    case '%':
      return true;
    default:
      return false;
  }
}

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

// The error text shows the template; a pathological one is cut short.
constexpr size_t kTemplateEchoBytes = 120;

class TemplateParser {
 public:
  explicit TemplateParser(std::string_view text) : text_(text) {}

  absl::Status Parse(std::vector<PathTemplate::Segment>* segments,
                     std::vector<PathTemplate::Variable>* variables, std::string* verb) {
    segments_ = segments;
    variables_ = variables;
    if (text_.size() > kMaxTemplateBytes) {
      return Error(absl::StrCat("longer than ", kMaxTemplateBytes, " bytes"));
    }
    if (!Consume('/')) return Error("must start with '/'");
    if (AtEnd()) return absl::OkStatus();  // "/": the root, no segment
    if (auto status = ParseSegments(false); !status.ok()) return status;
    if (Consume(':')) {
      const size_t begin = pos_;
      while (!AtEnd() && IsLiteralChar(Peek())) ++pos_;
      if (pos_ == begin) return Error("empty verb after ':'");
      auto decoded = PercentDecode(text_.substr(begin, pos_ - begin), PercentDecodeMode::kAll);
      if (!decoded) return Error("malformed percent-escape in the verb");
      *verb = *std::move(decoded);
      if (!AtEnd()) return Error("the verb must be last");
    }
    if (!AtEnd()) return Error(absl::StrCat("unexpected '", std::string(1, Peek()), "'"));
    for (size_t i = 0; i + 1 < segments->size(); ++i) {
      if ((*segments)[i].kind == PathTemplate::SegmentKind::kDoubleWildcard) {
        return absl::InvalidArgumentError(
            absl::StrCat(Quoted(), ": '**' must be the last segment (before the verb)"));
      }
    }
    return absl::OkStatus();
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  bool Consume(char c) {
    if (AtEnd() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  std::string Quoted() const {
    std::string shown(text_.substr(0, kTemplateEchoBytes));
    if (text_.size() > kTemplateEchoBytes) shown += "...";
    return absl::StrCat("path template \"", shown, "\"");
  }
  absl::Status Error(const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(Quoted(), ": ", what, " at offset ", pos_));
  }

  absl::Status ParseSegments(bool in_variable) {
    while (true) {
      if (auto status = ParseSegment(in_variable); !status.ok()) return status;
      if (segments_->size() > kMaxTemplateSegments) {
        return Error(absl::StrCat("more than ", kMaxTemplateSegments, " segments"));
      }
      if (!Consume('/')) return absl::OkStatus();
    }
  }

  absl::Status ParseSegment(bool in_variable) {
    if (AtEnd()) return Error("empty segment");
    const char c = Peek();
    if (c == '*') {
      ++pos_;
      PathTemplate::Segment segment;
      segment.kind = PathTemplate::SegmentKind::kWildcard;
      if (Consume('*')) segment.kind = PathTemplate::SegmentKind::kDoubleWildcard;
      if (!AtEnd() && Peek() != '/' && Peek() != '}' && Peek() != ':') {
        return Error("'*' and '**' must be whole segments");
      }
      segments_->push_back(std::move(segment));
      return absl::OkStatus();
    }
    if (c == '{') {
      if (in_variable) return Error("a variable inside a variable");
      return ParseVariable();
    }
    const size_t begin = pos_;
    while (!AtEnd() && IsLiteralChar(Peek())) ++pos_;
    if (pos_ == begin) {
      if (c == '/' || c == '}' || c == ':') return Error("empty segment");
      return Error(absl::StrCat("invalid character '", std::string(1, c), "'"));
    }
    if (!AtEnd() && Peek() != '/' && Peek() != '}' && Peek() != ':') {
      return Error(absl::StrCat("invalid character '", std::string(1, Peek()), "'"));
    }
    auto decoded = PercentDecode(text_.substr(begin, pos_ - begin), PercentDecodeMode::kAll);
    if (!decoded) return Error("malformed percent-escape");
    PathTemplate::Segment segment;
    segment.literal = *std::move(decoded);
    segments_->push_back(std::move(segment));
    return absl::OkStatus();
  }

  absl::Status ParseVariable() {
    const size_t open = pos_;
    ++pos_;  // '{'
    PathTemplate::Variable variable;
    while (true) {
      const size_t begin = pos_;
      if (AtEnd() || !IsIdentStart(Peek())) return Error("expected a field name");
      while (!AtEnd() && IsIdentChar(Peek())) ++pos_;
      variable.field_names.emplace_back(text_.substr(begin, pos_ - begin));
      if (variable.field_names.size() > kMaxTemplateFieldPathComponents) {
        return Error(
            absl::StrCat("a field path of more than ", kMaxTemplateFieldPathComponents, " fields"));
      }
      if (!Consume('.')) break;
    }
    variable.field_path = absl::StrJoin(variable.field_names, ".");
    for (const auto& other : *variables_) {
      if (other.field_path == variable.field_path) {
        return Error(absl::StrCat("field ", variable.field_path, " bound twice"));
      }
    }
    variable.begin_segment = segments_->size();
    if (Consume('=')) {
      if (auto status = ParseSegments(true); !status.ok()) return status;
    } else {
      PathTemplate::Segment segment;
      segment.kind = PathTemplate::SegmentKind::kWildcard;
      segments_->push_back(std::move(segment));
    }
    variable.end_segment = segments_->size();
    if (AtEnd()) {
      pos_ = open;
      return Error("unclosed '{'");
    }
    if (!Consume('}')) return Error("expected '}'");
    variable.multi_segment = variable.end_segment - variable.begin_segment > 1;
    for (size_t i = variable.begin_segment; i < variable.end_segment; ++i) {
      if ((*segments_)[i].kind == PathTemplate::SegmentKind::kDoubleWildcard) {
        variable.multi_segment = true;
      }
    }
    variables_->push_back(std::move(variable));
    if (variables_->size() > kMaxTemplateVariables) {
      return Error(absl::StrCat("more than ", kMaxTemplateVariables, " variables"));
    }
    return absl::OkStatus();
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::vector<PathTemplate::Segment>* segments_ = nullptr;
  std::vector<PathTemplate::Variable>* variables_ = nullptr;
};

// Compares a raw request segment with a decoded literal, decoding only when needed.
bool SegmentEquals(std::string_view raw, const std::string& literal) {
  if (raw.find('%') == std::string_view::npos) return raw == literal;
  auto decoded = PercentDecode(raw, PercentDecodeMode::kAll);
  return decoded && *decoded == literal;
}

}  // namespace

std::pair<std::string_view, std::string_view> SplitRequestTarget(std::string_view target) {
  if (const size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return {target, std::string_view()};
  return {target.substr(0, question), target.substr(question + 1)};
}

absl::StatusOr<RequestPath> RequestPath::Parse(std::string_view path, size_t max_bytes,
                                               size_t max_segments) {
  if (path.size() > max_bytes) {
    return WithHttpStatus(
        absl::InvalidArgumentError(absl::StrCat("request path of ", path.size(),
                                                " bytes is longer than the limit of ", max_bytes)),
        kHttpUriTooLong);
  }
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError("request path must start with '/'");
  }
  for (const char c : path) {
    const auto u = static_cast<uint8_t>(c);
    if (u <= 0x20 || u == 0x7f || c == '?' || c == '#') {
      return absl::InvalidArgumentError(
          absl::StrCat("request path holds a forbidden character (code ", static_cast<int>(u),
                       "); the query string must be split off first"));
    }
  }
  if (!HasValidPercentEscapes(path)) {
    return absl::InvalidArgumentError("request path holds a malformed percent-escape");
  }
  RequestPath result;
  result.path_ = std::string(path);
  if (path.size() == 1) return result;  // "/"
  size_t begin = 1;
  while (true) {
    const size_t slash = path.find('/', begin);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (result.segments_.size() == max_segments) {
      return absl::InvalidArgumentError(
          absl::StrCat("request path has more than ", max_segments, " segments"));
    }
    result.segments_.emplace_back(static_cast<uint32_t>(begin), static_cast<uint32_t>(end - begin));
    if (slash == std::string_view::npos) break;
    begin = slash + 1;
  }
  return result;
}

absl::StatusOr<PathTemplate> PathTemplate::Parse(std::string_view text) {
  PathTemplate result;
  TemplateParser parser(text);
  if (auto status = parser.Parse(&result.segments_, &result.variables_, &result.verb_);
      !status.ok()) {
    return status;
  }
  result.text_ = std::string(text);
  return result;
}

bool PathTemplate::Match(const RequestPath& path, std::vector<PathBinding>* bindings) const {
  const size_t n = path.size();
  std::string_view last;  // the last request segment without ":verb"
  if (!verb_.empty()) {
    if (n == 0) return false;
    last = path.segment(n - 1);
    if (last.size() < verb_.size() + 1) return false;
    const size_t colon = last.size() - verb_.size() - 1;
    if (last[colon] != ':' || last.substr(colon + 1) != verb_) return false;
    last = last.substr(0, colon);
  }
  auto segment = [&](size_t i) { return !verb_.empty() && i == n - 1 ? last : path.segment(i); };

  const size_t t = segments_.size();
  const bool tail_wildcard = t > 0 && segments_.back().kind == SegmentKind::kDoubleWildcard;
  const size_t fixed = tail_wildcard ? t - 1 : t;
  if (tail_wildcard ? n < fixed : n != fixed) return false;
  for (size_t i = 0; i < fixed; ++i) {
    const std::string_view raw = segment(i);
    if (segments_[i].kind == SegmentKind::kLiteral) {
      if (!SegmentEquals(raw, segments_[i].literal)) return false;
    } else if (raw.empty()) {
      return false;  // '*' needs something to match: "/events/" is not "/events/{id}"
    }
  }

  bindings->clear();
  bindings->reserve(variables_.size());
  for (const Variable& variable : variables_) {
    const size_t begin = variable.begin_segment;
    const size_t end = tail_wildcard && variable.end_segment == t ? n : variable.end_segment;
    const auto mode =
        variable.multi_segment ? PercentDecodeMode::kKeepEncodedSlash : PercentDecodeMode::kAll;
    PathBinding binding;
    binding.field_path = variable.field_path;
    for (size_t i = begin; i < end; ++i) {
      if (i > begin) binding.value.push_back('/');
      auto decoded = PercentDecode(segment(i), mode);
      if (!decoded) return false;  // RequestPath::Parse rules this out
      binding.value += *decoded;
    }
    bindings->push_back(std::move(binding));
  }
  return true;
}

bool PathTemplate::Match(std::string_view path, std::vector<PathBinding>* bindings) const {
  auto request = RequestPath::Parse(path, kMaxTemplateBytes * 4, kMaxTemplateSegments * 4);
  return request.ok() && Match(*request, bindings);
}

std::string PathTemplate::Shape() const {
  std::string shape;
  for (const Segment& segment : segments_) {
    shape.push_back('/');
    switch (segment.kind) {
      case SegmentKind::kLiteral:
        shape += segment.literal;
        break;
      case SegmentKind::kWildcard:
        shape += "*";
        break;
      case SegmentKind::kDoubleWildcard:
        shape += "**";
        break;
    }
  }
  if (shape.empty()) shape = "/";
  if (!verb_.empty()) absl::StrAppend(&shape, ":", verb_);
  return shape;
}

int PathTemplate::ComparePrecedence(const PathTemplate& a, const PathTemplate& b) {
  const size_t common = std::min(a.segments_.size(), b.segments_.size());
  for (size_t i = 0; i < common; ++i) {
    const int ka = static_cast<int>(a.segments_[i].kind);
    const int kb = static_cast<int>(b.segments_[i].kind);
    if (ka != kb) return ka - kb;
  }
  if (a.segments_.size() != b.segments_.size()) {
    return a.segments_.size() < b.segments_.size() ? -1 : 1;
  }
  if (a.verb_.empty() != b.verb_.empty()) return a.verb_.empty() ? 1 : -1;
  return 0;
}

}  // namespace switchboard::gateway::rest
