#include "errors.h"

#include <gtest/gtest.h>

#include "gateway/codec/grpc_status.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace switchboard::gateway::rest {
namespace {

TEST(Errors, MapsEveryGrpcCodeToAnHttpStatus) {
  const std::vector<std::pair<int, int>> cases = {
      {0, 200},  {1, 499},  {2, 500},  {3, 400},  {4, 504},  {5, 404},    {6, 409},
      {7, 403},  {8, 429},  {9, 400},  {10, 409}, {11, 400}, {12, 501},   {13, 500},
      {14, 503}, {15, 500}, {16, 401}, {17, 500}, {-1, 500}, {1000, 500},
  };
  for (const auto& [code, http] : cases) EXPECT_EQ(HttpStatusFromGrpcCode(code), http) << code;
  EXPECT_EQ(HttpStatusFromStatus(absl::NotFoundError("x")), 404);
  EXPECT_EQ(HttpStatusFromStatus(absl::OkStatus()), 200);
  EXPECT_EQ(HttpStatusFromStatus(absl::UnauthenticatedError("x")), 401);
}

TEST(Errors, AnAttachedHttpStatusOverridesTheMapping) {
  const absl::Status status = WithHttpStatus(absl::UnimplementedError("no"), 405);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(status.message(), "no");
  EXPECT_EQ(HttpStatusFromStatus(status), 405);
}

TEST(Errors, ParsesGrpcStatusHeaders) {
  const std::vector<std::pair<std::string, int>> cases = {
      {"0", 0},   {"5", 5},  {"16", 16}, {"17", 2}, {"", 2},
      {"abc", 2}, {"-1", 2}, {"007", 2}, {" 5", 2},
  };
  for (const auto& [text, code] : cases) EXPECT_EQ(ParseGrpcStatus(text), code) << text;
}

// Parses `json` as any JSON value; fails the test when it is not valid JSON.
google::protobuf::Value ParseJson(const std::string& json) {
  google::protobuf::Value value;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &value);
  EXPECT_TRUE(status.ok()) << json << ": " << status.ToString();
  return value;
}

TEST(Errors, WritesJsonErrorBodies) {
  EXPECT_EQ(JsonErrorBody(5, "event evt-9 not found"),
            R"({"code":5,"message":"event evt-9 not found","details":[]})");
  EXPECT_EQ(JsonErrorBody(absl::InvalidArgumentError("bad")),
            R"({"code":3,"message":"bad","details":[]})");

  const std::vector<std::string> messages = {"quote \" backslash \\ slash /",
                                             "new\nline\ttab\r",
                                             std::string("nul\0byte", 8),
                                             "control \x01\x1f\x7f",
                                             "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8e\xab",
                                             "bad \xff\xfe utf8",
                                             "truncated \xe2\x9c",
                                             "overlong \xc0\xaf",
                                             "surrogate \xed\xa0\x80",
                                             "</script>"};
  for (const std::string& message : messages) {
    const std::string body = JsonErrorBody(13, message);
    const google::protobuf::Value value = ParseJson(body);
    const auto& fields = value.struct_value().fields();
    ASSERT_EQ(fields.count("message"), 1u) << body;
    EXPECT_EQ(fields.at("code").number_value(), 13);
    EXPECT_EQ(fields.at("details").list_value().values_size(), 0);
  }
  const auto decoded = ParseJson(JsonErrorBody(3, "quote \" and \n and \xc3\xa9"));
  EXPECT_EQ(decoded.struct_value().fields().at("message").string_value(),
            "quote \" and \n and \xc3\xa9");
  const auto replaced = ParseJson(JsonErrorBody(3, "bad \xff"));
  EXPECT_EQ(replaced.struct_value().fields().at("message").string_value(), "bad \xef\xbf\xbd");
}

TEST(Errors, DecodesGrpcMessagesLeniently) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plain text", "plain text"},
      {"a%20b", "a b"},
      {"100%25", "100%"},
      {"%E2%9C%93 done", "\xe2\x9c\x93 done"},
      {"%e2%9c%93", "\xe2\x9c\x93"},
      {"100%", "100%"},  // malformed escapes pass through
      {"%zz%4", "%zz%4"},
      {"%%41", "%A"},
      {"a+b", "a+b"},  // '+' is not a space here
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(DecodeGrpcMessage(in), out) << in;
}

TEST(Errors, EncodesGrpcMessagesAndRoundTrips) {
  EXPECT_EQ(EncodeGrpcMessage("a b"), "a b");
  EXPECT_EQ(EncodeGrpcMessage("100%"), "100%25");
  EXPECT_EQ(EncodeGrpcMessage("line\nbreak"), "line%0Abreak");
  EXPECT_EQ(EncodeGrpcMessage("\xe2\x9c\x93"), "%E2%9C%93");
  for (const std::string& message :
       {std::string("x"), std::string("50% off\r\n\xe2\x9c\x93"), std::string("\0\x7f", 2)}) {
    EXPECT_EQ(DecodeGrpcMessage(EncodeGrpcMessage(message)), message);
  }
}

}  // namespace
}  // namespace switchboard::gateway::rest
