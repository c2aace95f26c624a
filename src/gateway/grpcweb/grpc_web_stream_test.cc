#include "grpc_web_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/codec/grpc_status.h"
#include "gateway/codec/http_status.h"

namespace switchboard::gateway::grpcweb {
namespace {

constexpr size_t kLimit = 1024;

std::string Frame(uint8_t flags, std::string_view payload) {
  std::string out;
  AppendFrame(flags, payload, &out);
  return out;
}

std::string Base64(std::string_view bytes) {
  std::string out;
  AppendBase64(bytes, &out);
  return out;
}

std::string Get(const Headers& headers, std::string_view name) {
  const std::string* value = FindHeader(headers, name);
  return value ? *value : "<absent>";
}

// What the official JS client sends (grpcwebclientbase.js), text or binary mode.
Headers BrowserHeaders(bool text) {
  Headers headers = {{":method", "POST"},
                     {":scheme", "http"},
                     {":path", "/switchboard.ticket.v1.TicketService/GetEvent"},
                     {":authority", "gateway.example:8080"}};
  if (text) {
    headers.emplace_back("content-type", "application/grpc-web-text");
    headers.emplace_back("accept", "application/grpc-web-text");
  } else {
    headers.emplace_back("content-type", "application/grpc-web+proto");
    headers.emplace_back("accept", "*/*");
  }
  headers.emplace_back("x-user-agent", "grpc-web-javascript/0.1");
  headers.emplace_back("x-grpc-web", "1");
  headers.emplace_back("grpc-accept-encoding", "identity");
  return headers;
}

StreamOptions Options(const CorsPolicy* cors = nullptr) {
  StreamOptions options;
  options.max_message_bytes = kLimit;
  options.max_header_bytes = 4096;
  options.cors = cors;
  return options;
}

// A stream whose request headers were accepted.
GrpcWebStream Started(bool text, const CorsPolicy* cors = nullptr, Headers extra = {}) {
  GrpcWebStream stream(Options(cors));
  Headers headers = BrowserHeaders(text);
  for (auto& header : extra) headers.push_back(std::move(header));
  UpstreamRequest upstream;
  EXPECT_TRUE(stream.OnRequestHeaders(headers, &upstream).ok());
  return stream;
}

const ResponseHead kGrpcHead = {200, {{":status", "200"}, {"content-type", "application/grpc"}}};

// Parses a browser-bound body as the JS client does (GrpcWebStreamParser): frames, after
// base64-decoding in text mode.
std::vector<GrpcFrame> ParseBody(const std::string& body, WireFormat format) {
  std::string bytes = body;
  if (format == WireFormat::kText) {
    bytes.clear();
    Base64StreamDecoder decoder;
    EXPECT_TRUE(decoder.Decode(body, &bytes).ok());
    EXPECT_TRUE(decoder.Finish().ok());
  }
  FrameDecoder decoder(1 << 20);
  decoder.Feed(bytes);
  std::vector<GrpcFrame> frames;
  GrpcFrame frame;
  while (decoder.Next(&frame)) frames.push_back(frame);
  EXPECT_TRUE(decoder.AtBoundary());
  return frames;
}

// ---- Request side ----

TEST(GrpcWebRequest, TranslatesTheOfficialClientsHeaders) {
  for (bool text : {false, true}) {
    SCOPED_TRACE(text ? "text" : "binary");
    GrpcWebStream stream(Options());
    Headers headers = BrowserHeaders(text);
    headers.emplace_back("grpc-timeout", "1500m");
    headers.emplace_back("authorization", "Bearer abc");
    headers.emplace_back("X-Request-Id", "  42 ");
    headers.emplace_back("user-agent", "Mozilla/5.0");
    headers.emplace_back("content-length", "27");
    headers.emplace_back("origin", "https://app.example.com");
    UpstreamRequest upstream;
    ASSERT_TRUE(stream.OnRequestHeaders(headers, &upstream).ok());
    EXPECT_EQ(stream.request_format(), text ? WireFormat::kText : WireFormat::kBinary);
    EXPECT_EQ(stream.response_format(), text ? WireFormat::kText : WireFormat::kBinary);
    EXPECT_EQ(upstream.path, "/switchboard.ticket.v1.TicketService/GetEvent");
    EXPECT_EQ(upstream.authority, "gateway.example:8080");
    const Headers want = {{"te", "trailers"},
                          {"grpc-timeout", "1500m"},
                          {"content-type", "application/grpc"},
                          {"grpc-accept-encoding", "identity"},
                          {"user-agent", "Mozilla/5.0"},
                          {"x-user-agent", "grpc-web-javascript/0.1"},
                          {"authorization", "Bearer abc"},
                          {"x-request-id", "42"},
                          {"origin", "https://app.example.com"}};
    EXPECT_EQ(upstream.headers, want);
  }
}

TEST(GrpcWebRequest, DropsHopByHopAndInvalidHeaders) {
  GrpcWebStream stream(Options());
  Headers headers = {{":method", "POST"},
                     {":path", "/a.B/C"},
                     {"Host", "h1.example"},
                     {"Content-Type", "application/grpc-web"},
                     {"Connection", "keep-alive, X-Secret-Hop"},
                     {"keep-alive", "timeout=5"},
                     {"x-secret-hop", "1"},
                     {"transfer-encoding", "chunked"},
                     {"te", "gzip"},
                     {"upgrade", "h2c"},
                     {"expect", "100-continue"},
                     {"accept-encoding", "gzip"},
                     {"x bad name", "1"},
                     {"x-non-ascii", "caf\xc3\xa9"},
                     {"x-ctl", "a\x01"},
                     {"x-empty", ""},
                     {"x-data-bin", "AAEC"}};
  UpstreamRequest upstream;
  ASSERT_TRUE(stream.OnRequestHeaders(headers, &upstream).ok());
  EXPECT_EQ(upstream.authority, "h1.example");
  const Headers want = {{"te", "trailers"},
                        {"content-type", "application/grpc"},
                        {"grpc-accept-encoding", "identity"},
                        {"x-empty", ""},
                        {"x-data-bin", "AAEC"}};
  EXPECT_EQ(upstream.headers, want);
}

// The proxy owns deadlines for native gRPC and gRPC-Web alike (gateway/grpc_timeout.h), so
// the translation passes grpc-timeout on as it came, malformed or not, for one verdict.
TEST(GrpcWebRequest, PassesGrpcTimeoutVerbatim) {
  for (const char* value : {"1S", "99999999H", "172800000m", "0m", "1.5S", "abc", "-1S", "5"}) {
    SCOPED_TRACE(value);
    GrpcWebStream stream(Options());
    Headers headers = BrowserHeaders(false);
    headers.emplace_back("grpc-timeout", value);
    UpstreamRequest upstream;
    ASSERT_TRUE(stream.OnRequestHeaders(headers, &upstream).ok());
    EXPECT_EQ(Get(upstream.headers, "grpc-timeout"), value);
    EXPECT_EQ(upstream.headers[1].first, "grpc-timeout");  // right after te, as the spec asks
  }
}

TEST(GrpcWebRequest, RejectsBadHeads) {
  struct Case {
    std::string name;
    Headers headers;
    absl::StatusCode code;
    std::string message_part;
    int error_http_status;
  };
  auto with = [](std::string_view name, std::string value) {
    Headers headers = BrowserHeaders(false);
    for (auto& [key, old] : headers) {
      if (key == name) old = value;
    }
    return headers;
  };
  Headers no_path = BrowserHeaders(false);
  no_path.erase(no_path.begin() + 2);
  Headers gzip = BrowserHeaders(false);
  gzip.emplace_back("content-encoding", "gzip");
  Headers identity = BrowserHeaders(false);
  identity.emplace_back("content-encoding", "identity");
  Headers huge = BrowserHeaders(false);
  huge.emplace_back("x-big", std::string(5000, 'a'));
  const Case cases[] = {
      {"json", with("content-type", "application/grpc-web+json"), absl::StatusCode::kUnimplemented,
       "\"application/grpc-web+json\": only the proto codec", 200},
      {"text json", with("content-type", "application/grpc-web-text+json"),
       absl::StatusCode::kUnimplemented, "only the proto codec", 200},
      {"not grpc-web", with("content-type", "text/plain"), absl::StatusCode::kInvalidArgument,
       "\"text/plain\" is not gRPC-Web", 415},
      {"native grpc", with("content-type", "application/grpc"), absl::StatusCode::kInvalidArgument,
       "is not gRPC-Web", 415},
      {"GET", with(":method", "GET"), absl::StatusCode::kUnimplemented,
       "method \"GET\": gRPC-Web calls are POST", 200},
      {"no path", no_path, absl::StatusCode::kInvalidArgument, "path \"\"", 200},
      {"relative path", with(":path", "a.B/C"), absl::StatusCode::kInvalidArgument,
       "path \"a.B/C\": want /<package>.<Service>/<Method>", 200},
      {"gzip", gzip, absl::StatusCode::kUnimplemented, "content-encoding \"gzip\"", 200},
      {"huge", huge, absl::StatusCode::kResourceExhausted, "exceed the limit of 4096", 200},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    GrpcWebStream stream(Options());
    UpstreamRequest upstream;
    const absl::Status status = stream.OnRequestHeaders(c.headers, &upstream);
    EXPECT_EQ(status.code(), c.code);
    EXPECT_NE(status.message().find(c.message_part), std::string::npos) << status.message();
    // Later request hooks repeat the error; the browser gets it as a gRPC-Web status.
    std::string body;
    EXPECT_EQ(stream.OnRequestData("", true, &body).code(), c.code);
    const DownstreamOutput out = stream.Fail(status);
    ASSERT_TRUE(out.head.has_value());
    EXPECT_EQ(out.head->status, c.error_http_status);
    EXPECT_EQ(Get(out.head->headers, "grpc-status"), std::to_string(static_cast<int>(c.code)));
    EXPECT_EQ(Get(out.head->headers, "content-type"), "application/grpc-web+proto");
    EXPECT_TRUE(out.body.empty());
    EXPECT_TRUE(out.end_stream);
  }
  GrpcWebStream ok(Options());
  UpstreamRequest upstream;
  EXPECT_TRUE(ok.OnRequestHeaders(identity, &upstream).ok());
  EXPECT_EQ(Get(upstream.headers, "content-encoding"), "<absent>");
}

TEST(GrpcWebRequest, BinaryBodyPassesThroughByteForByteAtAnyChunking) {
  const std::string body = Frame(0, "first") + Frame(0, "") + Frame(kFlagCompressed, "zip") +
                           Frame(0, std::string(kLimit, 'x'));
  for (size_t chunk = 1; chunk <= body.size(); chunk += (chunk < 16 ? 1 : 97)) {
    SCOPED_TRACE(chunk);
    GrpcWebStream stream = Started(false);
    std::string upstream;
    for (size_t i = 0; i < body.size(); i += chunk) {
      const bool last = i + chunk >= body.size();
      ASSERT_TRUE(
          stream.OnRequestData(std::string_view(body).substr(i, chunk), last, &upstream).ok());
    }
    EXPECT_EQ(upstream, body);
  }
}

TEST(GrpcWebRequest, TextBodyIsDecodedAcrossChunksAndPaddedFlushes) {
  const std::string native = Frame(0, "hello") + Frame(0, "w") + Frame(0, "");
  // The official client pads its one flush; a streaming client may pad every message.
  const std::string one_flush = Base64(native);
  const std::string per_message =
      Base64(Frame(0, "hello")) + Base64(Frame(0, "w")) + Base64(Frame(0, ""));
  for (const std::string& text : {one_flush, per_message}) {
    for (size_t chunk = 1; chunk <= text.size(); ++chunk) {
      SCOPED_TRACE(text + " in chunks of " + std::to_string(chunk));
      GrpcWebStream stream = Started(true);
      std::string upstream;
      for (size_t i = 0; i < text.size(); i += chunk) {
        ASSERT_TRUE(
            stream.OnRequestData(std::string_view(text).substr(i, chunk), false, &upstream).ok());
      }
      ASSERT_TRUE(stream.OnRequestData("", true, &upstream).ok());
      EXPECT_EQ(upstream, native);
    }
  }
}

TEST(GrpcWebRequest, EmptyBodyIsFine) {
  for (bool text : {false, true}) {
    GrpcWebStream stream = Started(text);
    std::string upstream;
    EXPECT_TRUE(stream.OnRequestData("", true, &upstream).ok());
    EXPECT_TRUE(upstream.empty());
  }
}

TEST(GrpcWebRequest, RejectsMalformedBodies) {
  struct Case {
    std::string name;
    bool text;
    std::string body;
    absl::StatusCode code;
    std::string message_part;
  };
  const std::string frame = Frame(0, "hello");
  const std::string oversized_header = std::string("\x00\x00\x00\x04\x01", 5);  // 1025 bytes
  const Case cases[] = {
      {"truncated payload", false, frame.substr(0, 7), absl::StatusCode::kInvalidArgument,
       "request body ends inside a length-prefixed message: 7 bytes"},
      {"truncated header", false, frame + frame.substr(0, 3), absl::StatusCode::kInvalidArgument,
       "3 bytes of its frame arrived"},
      {"oversized", false, oversized_header + "abc", absl::StatusCode::kResourceExhausted,
       "request message of 1025 bytes is larger than the limit of 1024"},
      {"trailer flag", false, Frame(kFlagTrailers, "grpc-status:0\r\n"),
       absl::StatusCode::kInvalidArgument, "request frame with flags 0x80"},
      {"unknown flag", false, Frame(0x02, "x"), absl::StatusCode::kInvalidArgument, "flags 0x02"},
      {"text truncated frame", true, Base64(frame.substr(0, 6)), absl::StatusCode::kInvalidArgument,
       "ends inside a length-prefixed message"},
      {"text oversized", true, Base64(oversized_header), absl::StatusCode::kResourceExhausted,
       "larger than the limit of 1024"},
      {"invalid base64", true, Base64(frame).insert(4, "*"), absl::StatusCode::kInvalidArgument,
       "byte 0x2a ('*') at offset 4 is not in the base64 alphabet"},
      {"binary sent as text", true, frame, absl::StatusCode::kInvalidArgument,
       "byte 0x00 at offset 0"},
      {"padding mid group", true, "AA=A", absl::StatusCode::kInvalidArgument, "follows '='"},
      {"unpadded end", true, Base64(frame).substr(0, 10), absl::StatusCode::kInvalidArgument,
       "each flush must be padded"},
  };
  for (const Case& c : cases) {
    for (size_t chunk : {size_t{1}, size_t{3}, c.body.size()}) {
      SCOPED_TRACE(c.name + " in chunks of " + std::to_string(chunk));
      GrpcWebStream stream = Started(c.text);
      std::string upstream;
      absl::Status status;
      for (size_t i = 0; i < c.body.size() && status.ok(); i += chunk) {
        status = stream.OnRequestData(std::string_view(c.body).substr(i, chunk),
                                      i + chunk >= c.body.size(), &upstream);
      }
      EXPECT_EQ(status.code(), c.code);
      EXPECT_NE(status.message().find(c.message_part), std::string::npos) << status.message();
      // The call then ends as a gRPC-Web status.
      const DownstreamOutput out = stream.Fail(status);
      ASSERT_TRUE(out.head.has_value());
      EXPECT_EQ(Get(out.head->headers, "grpc-status"), std::to_string(static_cast<int>(c.code)));
    }
  }
}

TEST(GrpcWebRequest, HooksOutOfOrderAreErrors) {
  GrpcWebStream stream(Options());
  std::string upstream;
  EXPECT_EQ(stream.OnRequestData("x", false, &upstream).code(), absl::StatusCode::kInternal);

  GrpcWebStream ended = Started(false);
  ASSERT_TRUE(ended.OnRequestData("", true, &upstream).ok());
  EXPECT_EQ(ended.OnRequestData("x", true, &upstream).code(), absl::StatusCode::kInternal);
}

// ---- Response side ----

TEST(GrpcWebResponse, BinaryPassesFramesThroughByteForByteThenTrailerFrame) {
  const std::string data = Frame(0, "one") + Frame(0, "") + Frame(0, std::string(kLimit, 'y'));
  for (size_t chunk = 1; chunk <= data.size(); chunk += (chunk < 16 ? 1 : 101)) {
    SCOPED_TRACE(chunk);
    GrpcWebStream stream = Started(false);
    const DownstreamOutput head =
        stream.OnResponseHeaders({200,
                                  {{":status", "200"},
                                   {"content-type", "application/grpc+proto"},
                                   {"x-initial", "meta"},
                                   {"content-length", "9"},
                                   {"grpc-encoding", "identity"}}},
                                 false);
    ASSERT_TRUE(head.head.has_value());
    EXPECT_FALSE(head.end_stream);
    EXPECT_TRUE(head.body.empty());
    const Headers want_head = {{"content-type", "application/grpc-web+proto"},
                               {"x-initial", "meta"},
                               {"grpc-encoding", "identity"}};
    EXPECT_EQ(head.head->status, 200);
    EXPECT_EQ(head.head->headers, want_head);

    std::string body;
    for (size_t i = 0; i < data.size(); i += chunk) {
      const DownstreamOutput out =
          stream.OnResponseData(std::string_view(data).substr(i, chunk), false);
      EXPECT_FALSE(out.head.has_value());
      EXPECT_FALSE(out.end_stream);
      body += out.body;
    }
    EXPECT_EQ(body, data);
    const DownstreamOutput end = stream.OnResponseTrailers(
        {{"grpc-status", "0"}, {"X-Trailing", "t"}, {"grpc-message", "fine%20thanks"}});
    EXPECT_TRUE(end.end_stream);
    EXPECT_EQ(end.body, Frame(kFlagTrailers,
                              "grpc-status:0\r\ngrpc-message:fine%20thanks\r\nx-trailing:t\r\n"));
    EXPECT_TRUE(stream.finished());
  }
}

TEST(GrpcWebResponse, TextEncodesEachFlushOnItsOwn) {
  GrpcWebStream stream = Started(true);
  ASSERT_TRUE(stream.OnResponseHeaders(kGrpcHead, false).head.has_value());
  const std::string m1 = Frame(0, "a"), m2 = Frame(0, "bc"), m3 = Frame(0, "def");
  std::vector<std::string> flushes;
  // m1 whole, m2 split over two calls, m3 whole: three non-empty outputs.
  for (std::string_view piece : {std::string_view(m1), std::string_view(m2).substr(0, 3),
                                 std::string_view(m2).substr(3), std::string_view(m3)}) {
    const DownstreamOutput out = stream.OnResponseData(piece, false);
    if (!out.body.empty()) flushes.push_back(out.body);
  }
  const DownstreamOutput end = stream.OnResponseTrailers({{"grpc-status", "0"}});
  flushes.push_back(end.body);
  ASSERT_EQ(flushes.size(), 4u);
  const std::string want[] = {Base64(m1), Base64(m2), Base64(m3),
                              Base64(Frame(kFlagTrailers, "grpc-status:0\r\n"))};
  std::string all;
  for (size_t i = 0; i < flushes.size(); ++i) {
    EXPECT_EQ(flushes[i], want[i]);
    EXPECT_EQ(flushes[i].size() % 4, 0u);  // padded on its own
    all += flushes[i];
  }
  // The browser decodes the concatenation (padding inside it included) into the frames.
  const std::vector<GrpcFrame> frames = ParseBody(all, WireFormat::kText);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[1].payload, "bc");
  EXPECT_EQ(frames[3].flags, kFlagTrailers);
}

TEST(GrpcWebResponse, ResponseFormatFollowsAccept) {
  GrpcWebStream text = Started(true);
  EXPECT_EQ(Get(text.OnResponseHeaders(kGrpcHead, false).head->headers, "content-type"),
            "application/grpc-web-text+proto");
  // A binary request that asks for text is answered in text.
  GrpcWebStream asks(Options());
  Headers headers = BrowserHeaders(false);
  headers[5].second = "application/grpc-web-text";  // accept
  UpstreamRequest upstream;
  ASSERT_TRUE(asks.OnRequestHeaders(headers, &upstream).ok());
  EXPECT_EQ(asks.request_format(), WireFormat::kBinary);
  EXPECT_EQ(asks.response_format(), WireFormat::kText);
  EXPECT_EQ(Get(asks.OnResponseHeaders(kGrpcHead, false).head->headers, "content-type"),
            "application/grpc-web-text+proto");
}

TEST(GrpcWebResponse, TrailersOnlyKeepsTheStatusInTheHead) {
  for (bool text : {false, true}) {
    SCOPED_TRACE(text ? "text" : "binary");
    GrpcWebStream stream = Started(text);
    const DownstreamOutput out = stream.OnResponseHeaders({200,
                                                           {{":status", "200"},
                                                            {"content-type", "application/grpc"},
                                                            {"grpc-message", "no%20such%20event"},
                                                            {"x-detail", "d"},
                                                            {"grpc-status", "5"}}},
                                                          true);
    ASSERT_TRUE(out.head.has_value());
    EXPECT_TRUE(out.end_stream);
    EXPECT_TRUE(out.body.empty());  // no 0x80 frame: the JS client would report it twice
    const Headers want = {
        {"content-type", text ? "application/grpc-web-text+proto" : "application/grpc-web+proto"},
        {"grpc-status", "5"},
        {"grpc-message", "no%20such%20event"},
        {"x-detail", "d"}};
    EXPECT_EQ(out.head->headers, want);
    EXPECT_TRUE(stream.finished());
    // The upstream stream is over; anything late is ignored.
    EXPECT_TRUE(stream.OnResponseData(Frame(0, "late"), false).body.empty());
    EXPECT_FALSE(stream.OnResponseTrailers({{"grpc-status", "0"}}).end_stream);
    EXPECT_FALSE(stream.Fail(absl::InternalError("late")).end_stream);
  }
}

TEST(GrpcWebResponse, TrailersOnlyWithoutContentTypeIsAccepted) {
  GrpcWebStream stream = Started(false);
  const DownstreamOutput out = stream.OnResponseHeaders({200, {{"grpc-status", "12"}}}, true);
  EXPECT_EQ(Get(out.head->headers, "grpc-status"), "12");
}

TEST(GrpcWebResponse, StatusInANonFinalHeadIsRemoved) {
  GrpcWebStream stream = Started(false);
  const DownstreamOutput out = stream.OnResponseHeaders(
      {200, {{"content-type", "application/grpc"}, {"grpc-status", "0"}, {"grpc-message", "x"}}},
      false);
  EXPECT_EQ(Get(out.head->headers, "grpc-status"), "<absent>");
  EXPECT_EQ(Get(out.head->headers, "grpc-message"), "<absent>");
  EXPECT_FALSE(out.end_stream);
}

TEST(GrpcWebResponse, NonGrpcUpstreamAnswersAreSynthesized) {
  struct Case {
    ResponseHead head;
    bool end_stream;
    absl::StatusCode code;
    std::string message;
  };
  const Case cases[] = {
      {{503, {{"content-type", "text/html"}}},
       false,
       absl::StatusCode::kUnavailable,
       "upstream answered HTTP 503"},
      {{404, {}}, true, absl::StatusCode::kUnimplemented, "upstream answered HTTP 404"},
      {{401, {{"content-type", "application/grpc"}}},
       false,
       absl::StatusCode::kUnauthenticated,
       "HTTP 401"},
      {{403, {}}, false, absl::StatusCode::kPermissionDenied, "HTTP 403"},
      {{400, {}}, false, absl::StatusCode::kInternal, "HTTP 400"},
      {{429, {}}, false, absl::StatusCode::kUnavailable, "HTTP 429"},
      {{500, {{"grpc-status", "0"}}}, true, absl::StatusCode::kUnknown, "HTTP 500"},
      {{200, {{"content-type", "text/html"}}},
       false,
       absl::StatusCode::kInternal,
       "upstream answered with content-type \"text/html\", not application/grpc"},
      {{200, {}}, false, absl::StatusCode::kInternal, "content-type \"\""},
      {{200, {{"content-type", "application/grpc"}}},
       true,
       absl::StatusCode::kUnknown,
       "trailers-only response has grpc-status \"\""},
      {{200, {{"content-type", "application/grpc"}, {"grpc-status", "ok"}}},
       true,
       absl::StatusCode::kUnknown,
       "grpc-status \"ok\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    GrpcWebStream stream = Started(false);
    const DownstreamOutput out = stream.OnResponseHeaders(c.head, c.end_stream);
    ASSERT_TRUE(out.head.has_value());
    EXPECT_EQ(out.head->status, 200);
    EXPECT_EQ(Get(out.head->headers, "grpc-status"), std::to_string(static_cast<int>(c.code)));
    EXPECT_NE(DecodeGrpcMessage(Get(out.head->headers, "grpc-message")).find(c.message),
              std::string::npos)
        << Get(out.head->headers, "grpc-message");
    EXPECT_TRUE(out.end_stream);
    EXPECT_TRUE(stream.finished());
  }
}

TEST(GrpcWebResponse, MalformedUpstreamStreamsEndWithAStatus) {
  struct Case {
    std::string name;
    std::string data;
    bool data_ends_stream;
    bool send_trailers;
    std::vector<GrpcFrame> want_messages;
    absl::StatusCode code;
    std::string message;
  };
  const std::string ok = Frame(0, "ok");
  const Case cases[] = {
      {"oversized",
       ok + std::string("\x00\x00\x00\x04\x01", 5),
       false,
       false,
       {{0, "ok"}},
       absl::StatusCode::kResourceExhausted,
       "response message of 1025 bytes is larger than the limit of 1024"},
      {"trailer flag from upstream",
       ok + Frame(kFlagTrailers, "grpc-status:0\r\n"),
       false,
       false,
       {{0, "ok"}},
       absl::StatusCode::kInternal,
       "upstream response frame with flags 0x80"},
      {"trailers mid message",
       ok + ok.substr(0, 4),
       false,
       true,
       {{0, "ok"}},
       absl::StatusCode::kInternal,
       "upstream trailers arrived inside a message: 4 bytes"},
      {"end without trailers",
       ok,
       true,
       false,
       {{0, "ok"}},
       absl::StatusCode::kInternal,
       "upstream ended the response without trailers"},
  };
  for (bool text : {false, true}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(c.name + (text ? " text" : " binary"));
      GrpcWebStream stream = Started(text);
      ASSERT_TRUE(stream.OnResponseHeaders(kGrpcHead, false).head.has_value());
      std::string body;
      bool ended = false;
      DownstreamOutput out = stream.OnResponseData(c.data, c.data_ends_stream);
      body += out.body;
      ended = out.end_stream;
      if (c.send_trailers) {
        out = stream.OnResponseTrailers({{"grpc-status", "0"}});
        body += out.body;
        ended = out.end_stream;
      }
      EXPECT_TRUE(ended);
      const std::vector<GrpcFrame> frames =
          ParseBody(body, text ? WireFormat::kText : WireFormat::kBinary);
      ASSERT_EQ(frames.size(), c.want_messages.size() + 1);
      for (size_t i = 0; i < c.want_messages.size(); ++i) {
        EXPECT_EQ(frames[i].payload, c.want_messages[i].payload);
      }
      EXPECT_EQ(frames.back().flags, kFlagTrailers);
      const std::string block = DecodeGrpcMessage(frames.back().payload);
      EXPECT_EQ(block.find("grpc-status:" + std::to_string(static_cast<int>(c.code)) +
                           "\r\ngrpc-message:"),
                0u)
          << block;
      EXPECT_NE(block.find(c.message), std::string::npos) << block;
    }
  }
}

TEST(GrpcWebResponse, TrailerBlockRules) {
  struct Case {
    std::string name;
    Headers trailers;
    std::string want_block;
  };
  const Case cases[] = {
      {"status first, lowercase keys, bin kept base64",
       {{"X-Id", "1"},
        {"Grpc-Status", "3"},
        {"grpc-status-details-bin", "CAMSBGJhZA"},
        {"grpc-message", "bad%20id"}},
       "grpc-status:3\r\ngrpc-message:bad%20id\r\nx-id:1\r\ngrpc-status-details-bin:"
       "CAMSBGJhZA\r\n"},
      {"missing status",
       {{"x-id", "1"}},
       "grpc-status:2\r\ngrpc-message:upstream trailers have grpc-status \"\"\r\n"},
      {"bad status",
       {{"grpc-status", "0x1"}},
       "grpc-status:2\r\ngrpc-message:upstream trailers have grpc-status \"0x1\"\r\n"},
      {"CR LF values and pseudo headers dropped",
       {{"grpc-status", "0"},
        {"x-evil", "a\r\nb"},
        {":status", "200"},
        {"te", "trailers"},
        {"x:colon", "1"}},
       "grpc-status:0\r\n"},
      {"too big",
       {{"grpc-status", "0"}, {"x-big", std::string(5000, 'b')}},
       "grpc-status:13\r\ngrpc-message:upstream trailers of 5023 bytes exceed the limit of "
       "4096\r\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    GrpcWebStream stream = Started(false);
    ASSERT_TRUE(stream.OnResponseHeaders(kGrpcHead, false).head.has_value());
    const DownstreamOutput out = stream.OnResponseTrailers(c.trailers);
    EXPECT_TRUE(out.end_stream);
    const std::vector<GrpcFrame> frames = ParseBody(out.body, WireFormat::kBinary);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].flags, kFlagTrailers);
    EXPECT_EQ(frames[0].payload, c.want_block);
  }
}

TEST(GrpcWebResponse, HooksOutOfOrderEndTheCall) {
  GrpcWebStream data_first = Started(false);
  DownstreamOutput out = data_first.OnResponseData(Frame(0, "x"), false);
  ASSERT_TRUE(out.head.has_value());
  EXPECT_EQ(Get(out.head->headers, "grpc-status"), "13");

  GrpcWebStream trailers_first = Started(false);
  out = trailers_first.OnResponseTrailers({{"grpc-status", "0"}});
  EXPECT_EQ(Get(out.head->headers, "grpc-status"), "13");

  GrpcWebStream twice = Started(false);
  ASSERT_TRUE(twice.OnResponseHeaders(kGrpcHead, false).head.has_value());
  out = twice.OnResponseHeaders(kGrpcHead, false);
  EXPECT_FALSE(out.head.has_value());
  EXPECT_TRUE(out.end_stream);
  EXPECT_EQ(ParseBody(out.body, WireFormat::kBinary).back().flags, kFlagTrailers);
}

TEST(GrpcWebResponse, OversizedUpstreamHeadFails) {
  GrpcWebStream stream = Started(false);
  const DownstreamOutput out = stream.OnResponseHeaders(
      {200, {{"content-type", "application/grpc"}, {"x-big", std::string(5000, 'h')}}}, false);
  EXPECT_EQ(Get(out.head->headers, "grpc-status"), "13");
  EXPECT_EQ(Get(out.head->headers, "x-big"), "<absent>");
}

// ---- Errors made by the gateway ----

TEST(GrpcWebFail, BeforeTheHeadIsATrailersOnlyResponse) {
  for (bool text : {false, true}) {
    SCOPED_TRACE(text ? "text" : "binary");
    GrpcWebStream stream = Started(text);
    const DownstreamOutput out =
        stream.Fail(absl::UnavailableError("backend 127.0.0.1:50051: connection refused"));
    ASSERT_TRUE(out.head.has_value());
    EXPECT_EQ(out.head->status, 200);
    const Headers want = {
        {"content-type", text ? "application/grpc-web-text+proto" : "application/grpc-web+proto"},
        {"grpc-status", "14"},
        {"grpc-message", "backend 127.0.0.1:50051: connection refused"}};
    EXPECT_EQ(out.head->headers, want);
    EXPECT_TRUE(out.body.empty());
    EXPECT_TRUE(out.end_stream);
  }
}

TEST(GrpcWebFail, AfterTheHeadIsATrailerFrame) {
  for (bool text : {false, true}) {
    SCOPED_TRACE(text ? "text" : "binary");
    GrpcWebStream stream = Started(text);
    ASSERT_TRUE(stream.OnResponseHeaders(kGrpcHead, false).head.has_value());
    const DownstreamOutput partial = stream.OnResponseData(Frame(0, "m").substr(0, 3), false);
    EXPECT_TRUE(partial.body.empty());  // held until whole
    const DownstreamOutput out = stream.Fail(absl::DeadlineExceededError("deadline 5s exceeded"));
    EXPECT_FALSE(out.head.has_value());
    EXPECT_TRUE(out.end_stream);
    const std::string want =
        Frame(kFlagTrailers, "grpc-status:4\r\ngrpc-message:deadline 5s exceeded\r\n");
    EXPECT_EQ(out.body, text ? Base64(want) : want);
  }
}

TEST(GrpcWebFail, MessagesArePercentEncodedBoundedAndValidUtf8) {
  GrpcWebStream stream = Started(false);
  const DownstreamOutput out = stream.Fail(absl::InvalidArgumentError(
      std::string("100% caf\xc3\xa9\r\n\xff") + std::string(2 * kMaxLocalMessageBytes, 'z')));
  const std::string message = Get(out.head->headers, "grpc-message");
  EXPECT_EQ(message.find("100%25 caf%C3%A9%0D%0A?zzz"), 0u) << message;
  EXPECT_EQ(DecodeGrpcMessage(message).size(), kMaxLocalMessageBytes);
  for (char c : message) EXPECT_TRUE(c >= 0x20 && c <= 0x7e);
}

TEST(GrpcWebFail, OkStatusAndEmptyMessage) {
  GrpcWebStream stream = Started(false);
  const DownstreamOutput out = stream.Fail(absl::OkStatus());
  EXPECT_EQ(Get(out.head->headers, "grpc-status"), "0");
  EXPECT_EQ(Get(out.head->headers, "grpc-message"), "<absent>");
}

TEST(GrpcWebFail, BeforeRequestHeadersStillAnswers) {
  GrpcWebStream stream(Options());
  const DownstreamOutput out = stream.Fail(absl::UnimplementedError("unknown service x.Y"));
  EXPECT_EQ(Get(out.head->headers, "content-type"), "application/grpc-web+proto");
  EXPECT_EQ(Get(out.head->headers, "grpc-status"), "12");
}

// ---- CORS on every head ----

TEST(GrpcWebCors, EveryHeadCarriesCorsForAnAllowedOrigin) {
  CorsConfig config;
  config.allow_origins = {"https://app.example.com"};
  auto policy = CorsPolicy::Create(config);
  ASSERT_TRUE(policy.ok());

  GrpcWebStream normal = Started(true, &*policy, {{"origin", "https://app.example.com"}});
  DownstreamOutput out = normal.OnResponseHeaders(
      {200, {{"content-type", "application/grpc"}, {"x-initial", "1"}}}, false);
  EXPECT_EQ(Get(out.head->headers, "access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(Get(out.head->headers, "access-control-expose-headers"),
            "grpc-status, grpc-message, grpc-status-details-bin, x-initial");

  GrpcWebStream failing = Started(false, &*policy, {{"origin", "https://app.example.com"}});
  out = failing.Fail(absl::UnavailableError("down"));
  EXPECT_EQ(Get(out.head->headers, "access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(Get(out.head->headers, "vary"), "origin");

  // A rejected content type still gets CORS, or the browser could not read the status.
  GrpcWebStream rejected(Options(&*policy));
  Headers headers = BrowserHeaders(false);
  headers[4].second = "application/grpc-web+json";
  headers.emplace_back("origin", "https://app.example.com");
  UpstreamRequest upstream;
  const absl::Status status = rejected.OnRequestHeaders(headers, &upstream);
  out = rejected.Fail(status);
  EXPECT_EQ(Get(out.head->headers, "grpc-status"), "12");
  EXPECT_EQ(Get(out.head->headers, "access-control-allow-origin"), "https://app.example.com");

  GrpcWebStream other = Started(false, &*policy, {{"origin", "https://evil.example"}});
  out = other.OnResponseHeaders(kGrpcHead, false);
  EXPECT_EQ(Get(out.head->headers, "access-control-allow-origin"), "<absent>");

  GrpcWebStream same_origin = Started(false, &*policy);
  out = same_origin.OnResponseHeaders(kGrpcHead, false);
  EXPECT_EQ(Get(out.head->headers, "access-control-allow-origin"), "<absent>");
}

// ---- Helpers ----

TEST(GrpcMessage, PercentEncoding) {
  struct Case {
    std::string raw;
    std::string encoded;
  };
  const Case cases[] = {
      {"", ""},
      {"plain text ~!", "plain text ~!"},
      {"100%", "100%25"},
      {"caf\xc3\xa9", "caf%C3%A9"},
      {"a\r\nb\tc", "a%0D%0Ab%09c"},
      {std::string("\x00\x7f", 2), "%00%7F"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EncodeGrpcMessage(c.raw), c.encoded);
    EXPECT_EQ(DecodeGrpcMessage(c.encoded), c.raw);
  }
  // Malformed sequences are kept, never an error (PROTOCOL-HTTP2.md).
  EXPECT_EQ(DecodeGrpcMessage("50% off %4"), "50% off %4");
  EXPECT_EQ(DecodeGrpcMessage("%zz%41"), "%zzA");
}

TEST(GrpcMessage, ToValidUtf8) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"ascii", "ascii"},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
      {"\xff", "?"},
      {"\xc3", "?"},                 // truncated
      {"\xc0\xaf", "??"},            // overlong
      {"\xed\xa0\x80", "???"},       // surrogate
      {"\xf4\x90\x80\x80", "????"},  // above U+10FFFF
      {"a\x80z", "a?z"},             // stray continuation
  };
  for (const Case& c : cases) EXPECT_EQ(ToValidUtf8(c.in), c.out);
}

TEST(GrpcMessage, HttpStatusMapping) {
  const std::pair<int, absl::StatusCode> cases[] = {
      {400, absl::StatusCode::kInternal},         {401, absl::StatusCode::kUnauthenticated},
      {403, absl::StatusCode::kPermissionDenied}, {404, absl::StatusCode::kUnimplemented},
      {429, absl::StatusCode::kUnavailable},      {502, absl::StatusCode::kUnavailable},
      {503, absl::StatusCode::kUnavailable},      {504, absl::StatusCode::kUnavailable},
      {500, absl::StatusCode::kUnknown},          {302, absl::StatusCode::kUnknown},
  };
  for (const auto& [http, code] : cases)
    EXPECT_EQ(static_cast<absl::StatusCode>(GrpcCodeOfHttpStatus(http)), code) << http;
}

}  // namespace
}  // namespace switchboard::gateway::grpcweb
