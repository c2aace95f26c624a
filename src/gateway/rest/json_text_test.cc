#include "json_text.h"

#include <gtest/gtest.h>

namespace switchboard::gateway::rest {
namespace {

TEST(JsonText, ValidatesExactlyOneValue) {
  const std::vector<std::string> valid = {
      "0",
      "-1",
      "1.5e10",
      "-0.0E-3",
      "\"s\"",
      "\"\\u00e9\\n\\\"\"",
      "true",
      "false",
      "null",
      "[]",
      "{}",
      " [1, \"a\", {\"b\": [null]}] ",
      "{\"a\":{\"b\":{}}}",
      "\n\t{ \"k\" : 1 }\r\n",
  };
  for (const auto& text : valid) EXPECT_TRUE(ValidateJsonValue(text, 8).ok()) << text;

  const std::vector<std::string> invalid = {
      "",
      " ",
      "01",
      "1.",
      ".5",
      "+1",
      "1e",
      "\"open",
      "\"\\x\"",
      "\"\\u12\"",
      "tru",
      "nul",
      "[1,]",
      "[1 2]",
      "{\"a\"}",
      "{\"a\":}",
      "{a:1}",
      "{\"a\":1,}",
      "[1]]",
      "1 2",
      "{} {}",
      "[\"a\"], \"s\": 1",
      "\"tab\there\"",
      "NaN",
      "'s'",
  };
  for (const auto& text : invalid) {
    const auto status = ValidateJsonValue(text, 8);
    EXPECT_FALSE(status.ok()) << text;
    EXPECT_NE(status.message().find("malformed JSON"), std::string::npos) << status;
  }
}

TEST(JsonText, BoundsNesting) {
  EXPECT_TRUE(ValidateJsonValue("[[[[]]]]", 4).ok());
  const auto status = ValidateJsonValue("[[[[[]]]]]", 4);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("nesting deeper than 4"), std::string::npos) << status;
  EXPECT_FALSE(ValidateJsonValue(std::string(100000, '['), 64).ok());
}

TEST(JsonText, FindsTopLevelMembers) {
  const std::string json = R"({"a":{"b":1,"tags":[0]},"tags":["x","y"],"n":"\"q\"","e":{}})";
  EXPECT_EQ(FindTopLevelMember(json, "tags"), std::optional<std::string_view>(R"(["x","y"])"));
  EXPECT_EQ(FindTopLevelMember(json, "n"), std::optional<std::string_view>(R"("\"q\"")"));
  EXPECT_EQ(FindTopLevelMember(json, "e"), std::optional<std::string_view>("{}"));
  EXPECT_EQ(FindTopLevelMember(json, "b"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember("[1]", "a"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember("{\"a\":", "a"), std::nullopt);
}

TEST(JsonText, EscapesStrings) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("q\"b\\n\nt\tc\x01"), R"("q\"b\\n\nt\tc\u0001")");
  EXPECT_EQ(JsonString("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(JsonString("bad\xff"), R"("bad\ufffd")");
  EXPECT_EQ(JsonString(std::string("\0", 1)), R"("\u0000")");
}

TEST(JsonText, ChecksUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ascii"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x9c\x93\xf0\x9f\x8e\xab"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(JsonText, WritesOrderedDocuments) {
  JsonValue doc = JsonValue::Object();
  doc["z"] = JsonValue::Number(-3);
  doc["a"]["nested"] = JsonValue::Bool(true);
  doc["list"].Push(JsonValue::String("x\"y"));
  doc["list"].Push(JsonValue());
  doc["z"] = JsonValue::Number(4);  // replaces, keeps its place
  EXPECT_EQ(doc.Serialize(), R"({"z":4,"a":{"nested":true},"list":["x\"y",null]})");
  ASSERT_NE(doc.Find("a"), nullptr);
  EXPECT_EQ(doc.Find("missing"), nullptr);
  EXPECT_EQ(JsonValue::Array().Serialize(), "[]");
  EXPECT_EQ(JsonValue::Object().Serialize(), "{}");
}

}  // namespace
}  // namespace switchboard::gateway::rest
