// REST paths (rest/path_template.h, rest/percent_encoding.h): a google.api.http path template
// and a request target, as "template\ntarget". Templates come from descriptors, targets from
// clients; both are parsed and matched. Checked: a request path's segments rebuild it, matching
// a string and a parsed path agree and bind one value per variable, a template is as specific
// as itself, and percent-decoding fails exactly when an escape is malformed and never grows.
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "gateway/rest/limits.h"
#include "gateway/rest/path_template.h"
#include "gateway/rest/percent_encoding.h"

namespace switchboard::gateway::rest {
namespace {

void CheckPercentDecoding(std::string_view text) {
  const bool valid = HasValidPercentEscapes(text);
  for (const auto mode :
       {PercentDecodeMode::kAll, PercentDecodeMode::kKeepEncodedSlash, PercentDecodeMode::kForm}) {
    const auto decoded = PercentDecode(text, mode);
    SB_FUZZ_CHECK(decoded.has_value() == valid);
    if (decoded) SB_FUZZ_CHECK(decoded->size() <= text.size());
  }
}

void CheckRequestPath(std::string_view path, const RestLimits& limits) {
  const auto parsed = RequestPath::Parse(path, limits.max_path_bytes, limits.max_path_segments);
  if (!parsed.ok()) return;
  SB_FUZZ_CHECK(parsed->size() <= limits.max_path_segments);
  std::string rebuilt = parsed->size() == 0 ? "/" : "";
  for (size_t i = 0; i < parsed->size(); ++i) {
    rebuilt += '/';
    rebuilt += parsed->segment(i);
  }
  SB_FUZZ_CHECK(rebuilt == path);
}

void CheckTemplate(std::string_view text, std::string_view path) {
  const auto parsed = PathTemplate::Parse(text);
  if (!parsed.ok()) return;
  SB_FUZZ_CHECK(parsed->text() == text);
  SB_FUZZ_CHECK(parsed->variables().size() <= kMaxTemplateVariables);
  SB_FUZZ_CHECK(parsed->segments().size() <= kMaxTemplateSegments);
  for (const auto& variable : parsed->variables()) {
    SB_FUZZ_CHECK(variable.begin_segment <= variable.end_segment);
    SB_FUZZ_CHECK(variable.end_segment <= parsed->segments().size());
  }
  SB_FUZZ_CHECK(PathTemplate::ComparePrecedence(*parsed, *parsed) == 0);
  (void)parsed->Shape();

  std::vector<PathBinding> from_text;
  const bool matched = parsed->Match(path, &from_text);
  // The bounds Match(std::string_view) parses with.
  const auto request_path =
      RequestPath::Parse(path, kMaxTemplateBytes * 4, kMaxTemplateSegments * 4);
  std::vector<PathBinding> from_parsed;
  const bool matched_parsed = request_path.ok() && parsed->Match(*request_path, &from_parsed);
  SB_FUZZ_CHECK(matched == matched_parsed);
  if (!matched) return;
  SB_FUZZ_CHECK(from_text == from_parsed);
  SB_FUZZ_CHECK(from_text.size() == parsed->variables().size());
  for (size_t i = 0; i < from_text.size(); ++i) {
    SB_FUZZ_CHECK(from_text[i].field_path == parsed->variables()[i].field_path);
  }
}

}  // namespace
}  // namespace switchboard::gateway::rest

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::gateway::rest;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view text = input.substr(0, newline);
  const std::string_view target =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  const auto [path, query] = SplitRequestTarget(target);
  SB_FUZZ_CHECK(path.size() + query.size() <= target.size());
  SB_FUZZ_CHECK(target.substr(0, path.size()) == path);

  const RestLimits limits;
  CheckPercentDecoding(target);
  CheckRequestPath(path, limits);
  CheckTemplate(text, path);
  return 0;
}
