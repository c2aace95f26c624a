#include "path_template.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "percent_encoding.h"

namespace switchboard::gateway::rest {
namespace {

struct ParseCase {
  std::string text;
  std::string shape;
  std::string verb;
  std::vector<std::pair<std::string, bool>> variables;  // field path, multi_segment
};

TEST(PathTemplate, ParsesValidTemplates) {
  const std::vector<ParseCase> cases = {
      {"/", "/", "", {}},
      {"/events", "/events", "", {}},
      {"/events/{id}", "/events/*", "", {{"id", false}}},
      {"/events/{id=*}", "/events/*", "", {{"id", false}}},
      {"/v1/{name=shelves/*/books/*}", "/v1/shelves/*/books/*", "", {{"name", true}}},
      {"/files/{path=**}", "/files/**", "", {{"path", true}}},
      {"/files/**", "/files/**", "", {}},
      {"/v1/*/x", "/v1/*/x", "", {}},
      {"/bookings/{id}:cancel", "/bookings/*:cancel", "cancel", {{"id", false}}},
      {"/stocks:publish", "/stocks:publish", "publish", {}},
      {"/v1/{a.b.c}", "/v1/*", "", {{"a.b.c", false}}},
      {"/v1/{x}/{y=lit}", "/v1/*/lit", "", {{"x", false}, {"y", false}}},
      {"/files/{path=**}:download", "/files/**:download", "download", {{"path", true}}},
      {"/ev%65nts/{id}", "/events/*", "", {{"id", false}}},
      {"/a-b.c_d~e/x@y", "/a-b.c_d~e/x@y", "", {}},
  };
  for (const auto& c : cases) {
    auto parsed = PathTemplate::Parse(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status();
    EXPECT_EQ(parsed->Shape(), c.shape) << c.text;
    EXPECT_EQ(parsed->verb(), c.verb) << c.text;
    EXPECT_EQ(parsed->text(), c.text);
    ASSERT_EQ(parsed->variables().size(), c.variables.size()) << c.text;
    for (size_t i = 0; i < c.variables.size(); ++i) {
      EXPECT_EQ(parsed->variables()[i].field_path, c.variables[i].first) << c.text;
      EXPECT_EQ(parsed->variables()[i].multi_segment, c.variables[i].second) << c.text;
    }
  }
}

TEST(PathTemplate, RejectsMalformedTemplatesSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "must start with '/'"},
      {"events/{id}", "must start with '/'"},
      {"/v1/{name", "unclosed '{' at offset 4"},
      {"/v1/{name=shelves/*", "unclosed '{'"},
      {"/v1/{}", "expected a field name"},
      {"/v1/{1a}", "expected a field name"},
      {"/v1/{a.}", "expected a field name"},
      {"/v1/{na-me}", "expected '}'"},
      {"/v1//x", "empty segment"},
      {"/v1/", "empty segment"},
      {"/v1/{a=}", "empty segment"},
      {"/v1/**/x", "'**' must be the last segment"},
      {"/v1/{a=**}/x", "'**' must be the last segment"},
      {"/v1/a*", "invalid character '*'"},
      {"/v1/*a", "'*' and '**' must be whole segments"},
      {"/v1/***", "'*' and '**' must be whole segments"},
      {"/v1/{a={b}}", "a variable inside a variable"},
      {"/v1/x:", "empty verb"},
      {"/v1/x:y/z", "the verb must be last"},
      {"/v1/{a}/{a}", "field a bound twice"},
      {"/v1/%zz", "malformed percent-escape"},
      {"/v1/a b", "invalid character ' '"},
      {"/v1/a?b", "invalid character '?'"},
      {"/v1/}", "empty segment"},
      {"/" + std::string(kMaxTemplateBytes, 'a'), "longer than"},
  };
  for (const auto& [text, expected] : cases) {
    auto parsed = PathTemplate::Parse(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_NE(parsed.status().message().find(expected), std::string::npos)
        << text << " -> " << parsed.status().message();
    EXPECT_NE(parsed.status().message().find("path template \""), std::string::npos);
  }
}

TEST(PathTemplate, BoundsVariablesAndSegments) {
  std::string many_variables;
  for (size_t i = 0; i <= kMaxTemplateVariables; ++i)
    many_variables += "/{f" + std::to_string(i) + "}";
  EXPECT_FALSE(PathTemplate::Parse(many_variables).ok());
  std::string many_segments;
  for (size_t i = 0; i <= kMaxTemplateSegments; ++i) many_segments += "/a";
  EXPECT_FALSE(PathTemplate::Parse(many_segments).ok());
  std::string deep = "/{a";
  for (size_t i = 0; i < kMaxTemplateFieldPathComponents; ++i) deep += ".a";
  EXPECT_FALSE(PathTemplate::Parse(deep + "}").ok());
}

struct MatchCase {
  std::string template_text;
  std::string path;
  bool matches;
  std::vector<PathBinding> bindings;
};

TEST(PathTemplate, MatchesPathsAndDecodesBindings) {
  const std::vector<MatchCase> cases = {
      {"/events/{id}", "/events/evt-1", true, {{"id", "evt-1"}}},
      {"/events/{id}", "/events/evt%201", true, {{"id", "evt 1"}}},
      {"/events/{id}", "/events/a%2Fb", true, {{"id", "a/b"}}},  // one segment: fully decoded
      {"/events/{id}", "/events/caf%C3%A9", true, {{"id", "caf\xc3\xa9"}}},
      {"/events/{id}", "/events/a+b", true, {{"id", "a+b"}}},  // '+' is a space only in queries
      {"/events/{id}", "/events/", false, {}},
      {"/events/{id}", "/events", false, {}},
      {"/events/{id}", "/events/a/b", false, {}},
      {"/events/{id}", "/Events/a", false, {}},
      {"/events", "/events", true, {}},
      {"/files/{path=**}", "/files/a/b/c", true, {{"path", "a/b/c"}}},
      {"/files/{path=**}", "/files/a%2Fb/c%20d", true, {{"path", "a%2Fb/c d"}}},  // %2F kept
      {"/files/{path=**}", "/files/a%2fb", true, {{"path", "a%2fb"}}},
      {"/files/{path=**}", "/files", true, {{"path", ""}}},
      {"/files/{path=**}", "/file", false, {}},
      {"/v1/{name=shelves/*/books/*}",
       "/v1/shelves/s1/books/b%20x",
       true,
       {{"name", "shelves/s1/books/b x"}}},
      {"/v1/{name=shelves/*/books/*}", "/v1/shelves/s1/cds/b", false, {}},
      {"/v1/{name=shelves/*/books/*}", "/v1/shelves/s1/books", false, {}},
      {"/bookings/{id}:cancel", "/bookings/b1:cancel", true, {{"id", "b1"}}},
      {"/bookings/{id}:cancel", "/bookings/b1", false, {}},
      {"/bookings/{id}:cancel", "/bookings/b1:archive", false, {}},
      {"/bookings/{id}:cancel", "/bookings/:cancel", false, {}},
      {"/bookings/{id}:cancel", "/bookings/b1%3Acancel", false, {}},  // an escaped ':' is data
      {"/bookings/{id}", "/bookings/b1:cancel", true, {{"id", "b1:cancel"}}},
      {"/stocks:publish", "/stocks:publish", true, {}},
      {"/stocks:publish", "/stocks", false, {}},
      {"/", "/", true, {}},
      {"/", "/a", false, {}},
      {"/v1/*/x", "/v1/anything/x", true, {}},
      {"/v1/{a.b.c}", "/v1/q", true, {{"a.b.c", "q"}}},
      {"/v1/{x}/{y=lit}", "/v1/1/lit", true, {{"x", "1"}, {"y", "lit"}}},
      {"/ev%65nts/{id}", "/events/1", true, {{"id", "1"}}},
      {"/events/{id}", "/%65vents/1", true, {{"id", "1"}}},
      {"/files/{path=**}:download", "/files/a/b:download", true, {{"path", "a/b"}}},
      {"/files/{path=**}:download", "/files:download", true, {{"path", ""}}},
  };
  for (const auto& c : cases) {
    auto parsed = PathTemplate::Parse(c.template_text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    std::vector<PathBinding> bindings;
    EXPECT_EQ(parsed->Match(std::string_view(c.path), &bindings), c.matches)
        << c.template_text << " vs " << c.path;
    if (c.matches) {
      EXPECT_EQ(bindings, c.bindings) << c.template_text << " vs " << c.path;
    }
  }
}

TEST(RequestPath, RejectsMalformedAndOversizedPaths) {
  EXPECT_FALSE(RequestPath::Parse("events", 100, 10).ok());
  EXPECT_FALSE(RequestPath::Parse("", 100, 10).ok());
  EXPECT_FALSE(RequestPath::Parse("/a%zz", 100, 10).ok());
  EXPECT_FALSE(RequestPath::Parse("/a%4", 100, 10).ok());
  EXPECT_FALSE(RequestPath::Parse("/a b", 100, 10).ok());
  EXPECT_FALSE(RequestPath::Parse(std::string("/a\0b", 4), 100, 10).ok());
  EXPECT_FALSE(RequestPath::Parse("/a?x=1", 100, 10).ok());
  EXPECT_FALSE(RequestPath::Parse("/a/b/c", 100, 2).ok());
  EXPECT_TRUE(RequestPath::Parse("/a/b", 100, 2).ok());

  auto too_long = RequestPath::Parse("/" + std::string(100, 'a'), 100, 10);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpStatusFromStatus(too_long.status()), kHttpUriTooLong);

  auto split = RequestPath::Parse("/a//b/", 100, 10);
  ASSERT_TRUE(split.ok());
  ASSERT_EQ(split->size(), 4u);
  EXPECT_EQ(split->segment(0), "a");
  EXPECT_EQ(split->segment(1), "");
  EXPECT_EQ(split->segment(2), "b");
  EXPECT_EQ(split->segment(3), "");
  EXPECT_EQ(RequestPath::Parse("/", 100, 10)->size(), 0u);
}

TEST(PathTemplate, PrecedencePrefersLiteralsThenShorterThenVerbs) {
  auto cmp = [](const std::string& a, const std::string& b) {
    return PathTemplate::ComparePrecedence(*PathTemplate::Parse(a), *PathTemplate::Parse(b));
  };
  EXPECT_LT(cmp("/files/special/{s}", "/files/{s=**}"), 0);
  EXPECT_GT(cmp("/files/{s=**}", "/files/special/{s}"), 0);
  EXPECT_LT(cmp("/v1/a/{x}", "/v1/{y}/{x}"), 0);
  EXPECT_LT(cmp("/v1/{x}", "/v1/{x=**}"), 0);
  EXPECT_LT(cmp("/a", "/a/**"), 0);
  EXPECT_LT(cmp("/items/{s}:publish", "/items/{s}"), 0);
  EXPECT_EQ(cmp("/events/{id}", "/events/{event_id}"), 0);
}

TEST(SplitRequestTarget, SeparatesPathQueryAndFragment) {
  EXPECT_EQ(SplitRequestTarget("/events?pageSize=5"),
            std::make_pair(std::string_view("/events"), std::string_view("pageSize=5")));
  EXPECT_EQ(SplitRequestTarget("/events"),
            std::make_pair(std::string_view("/events"), std::string_view()));
  EXPECT_EQ(SplitRequestTarget("/events?a=1#frag"),
            std::make_pair(std::string_view("/events"), std::string_view("a=1")));
  EXPECT_EQ(SplitRequestTarget("/e?a=1?b=2"),
            std::make_pair(std::string_view("/e"), std::string_view("a=1?b=2")));
}

TEST(PercentDecode, DecodesStrictlyByMode) {
  EXPECT_EQ(PercentDecode("a%20b+c", PercentDecodeMode::kAll), "a b+c");
  EXPECT_EQ(PercentDecode("a%20b+c", PercentDecodeMode::kForm), "a b c");
  EXPECT_EQ(PercentDecode("a%2Fb%2fc%41", PercentDecodeMode::kKeepEncodedSlash), "a%2Fb%2fcA");
  EXPECT_EQ(PercentDecode("a%2Fb", PercentDecodeMode::kAll), "a/b");
  EXPECT_EQ(PercentDecode("%2B", PercentDecodeMode::kForm), "+");
  EXPECT_FALSE(PercentDecode("%", PercentDecodeMode::kAll));
  EXPECT_FALSE(PercentDecode("%4", PercentDecodeMode::kAll));
  EXPECT_FALSE(PercentDecode("%4g", PercentDecodeMode::kAll));
  EXPECT_FALSE(PercentDecode("ab%", PercentDecodeMode::kForm));
}

}  // namespace
}  // namespace switchboard::gateway::rest
