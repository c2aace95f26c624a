// google.api.http path templates ("/v1/{name=shelves/*/books/*}", "/files/{path=**}",
// "/bookings/{id}:cancel"): parsing, with an error naming what is malformed and where, and
// matching request paths, producing the variable bindings (field path -> decoded value).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace switchboard::gateway::rest {

// Templates come from descriptors, not from clients, but are bounded all the same.
inline constexpr size_t kMaxTemplateBytes = 2048;
inline constexpr size_t kMaxTemplateSegments = 64;
inline constexpr size_t kMaxTemplateVariables = 16;
inline constexpr size_t kMaxTemplateFieldPathComponents = 16;

// A request path (no query string) split once into raw, still percent-encoded segments, so that
// many templates can be matched against it. "/" has no segment; "/a/" has two ("a", "").
class RequestPath {
 public:
  // INVALID_ARGUMENT when `path` does not start with '/', holds a malformed percent-escape or a
  // control character, or has more than `max_segments` segments; the same code with HTTP status
  // 414 attached (see errors.h) when it is longer than `max_bytes`.
  static absl::StatusOr<RequestPath> Parse(std::string_view path, size_t max_bytes,
                                           size_t max_segments);

  size_t size() const { return segments_.size(); }
  std::string_view segment(size_t i) const {
    return std::string_view(path_).substr(segments_[i].first, segments_[i].second);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::pair<uint32_t, uint32_t>> segments_;  // offset, length into path_
};

// Splits a request target ("/events?pageSize=5#top") into its path and its query string (without
// the '?'); a fragment, which clients should not send, is dropped.
std::pair<std::string_view, std::string_view> SplitRequestTarget(std::string_view target);

// One variable of a matched template: the request field it sets and its decoded value.
struct PathBinding {
  std::string field_path;  // proto field names joined by '.', e.g. "shelf.name"
  std::string value;
  bool operator==(const PathBinding& other) const {
    return field_path == other.field_path && value == other.value;
  }
};

class PathTemplate {
 public:
  enum class SegmentKind : uint8_t { kLiteral = 0, kWildcard = 1, kDoubleWildcard = 2 };
  struct Segment {
    SegmentKind kind = SegmentKind::kLiteral;
    std::string literal;  // kLiteral only, percent-decoded
  };
  struct Variable {
    std::string field_path;                // "shelf.name"
    std::vector<std::string> field_names;  // {"shelf", "name"}
    size_t begin_segment = 0;              // [begin_segment, end_segment) of segments()
    size_t end_segment = 0;
    // Spans more than one segment (or "**"): its value keeps '/' between segments and leaves
    // "%2F" encoded; a single-segment value is fully decoded (google/api/http.proto).
    bool multi_segment = false;
  };

  // INVALID_ARGUMENT naming the template, the offset and what is wrong, for example
  // path template "/v1/{name": unclosed '{' at offset 4.
  static absl::StatusOr<PathTemplate> Parse(std::string_view text);

  // Matches a request path; on success fills `bindings` (one per variable, in template order).
  bool Match(const RequestPath& path, std::vector<PathBinding>* bindings) const;
  // The same for a path string; false as well when the path itself is malformed. For tests.
  bool Match(std::string_view path, std::vector<PathBinding>* bindings) const;

  const std::string& text() const { return text_; }
  const std::vector<Segment>& segments() const { return segments_; }
  const std::vector<Variable>& variables() const { return variables_; }
  const std::string& verb() const { return verb_; }  // without the ':'; empty when none
  // The template with variables replaced by what they match ("/events/*"): two templates with
  // the same shape match exactly the same paths.
  std::string Shape() const;

  // Which of two templates that both match a path wins: negative when `a` does, positive when
  // `b` does, 0 when they are equally specific. Segment by segment a literal beats '*', which
  // beats '**'; then the template that ends sooner, then one with a verb.
  static int ComparePrecedence(const PathTemplate& a, const PathTemplate& b);

 private:
  std::string text_;
  std::vector<Segment> segments_;
  std::vector<Variable> variables_;
  std::string verb_;
};

}  // namespace switchboard::gateway::rest
