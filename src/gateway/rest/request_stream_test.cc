#include "request_stream.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "gateway/codec/grpc_framing.h"
#include "switchboard/stock/v1/stock.pb.h"
#include "switchboard/upload/v1/upload.pb.h"
#include "test_descriptors.h"

namespace switchboard::gateway::rest {
namespace {

constexpr size_t kMaxMessage = 4 * 1024 * 1024;

class RequestStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = testing::NewTestPool();
    auto table = RouteTable::Build(
        *pool_, {"switchboard.upload.v1.UploadService", "switchboard.stock.v1.StockService",
                 "switchboard.ticket.v1.TicketService"});
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = std::make_unique<RouteTable>(*std::move(table));
    transcoder_ = std::make_unique<Transcoder>(pool_.get());
  }

  RouteMatch Match(const std::string& method, const std::string& path) {
    auto match = table_->Lookup(method, path);
    EXPECT_TRUE(match.ok()) << match.status();
    return *match;
  }

  absl::StatusOr<std::unique_ptr<RequestStream>> Create(const std::string& method,
                                                        const std::string& path,
                                                        const std::string& query,
                                                        StreamedBodyKind kind,
                                                        size_t max_message = kMaxMessage) {
    match_ = Match(method, path);
    return RequestStream::Create(*transcoder_, *match_.route, match_.bindings, query, kind,
                                 max_message);
  }

  // Feeds `body` in pieces of `piece` bytes, then finishes; the messages, parsed.
  template <typename M>
  absl::StatusOr<std::vector<M>> Run(RequestStream& stream, const std::string& body, size_t piece) {
    std::string frames;
    for (size_t i = 0; i < body.size(); i += piece) {
      if (auto s = stream.Feed(std::string_view(body).substr(i, piece), &frames); !s.ok()) return s;
    }
    if (auto s = stream.Finish(&frames); !s.ok()) return s;
    FrameDecoder decoder(kMaxMessage * 2);
    decoder.Feed(frames);
    std::vector<M> messages;
    GrpcFrame frame;
    while (decoder.Next(&frame)) {
      M message;
      EXPECT_TRUE(message.ParseFromString(frame.payload));
      messages.push_back(message);
    }
    EXPECT_TRUE(decoder.AtBoundary());
    return messages;
  }

  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
  std::unique_ptr<RouteTable> table_;
  std::unique_ptr<Transcoder> transcoder_;
  RouteMatch match_;
};

TEST_F(RequestStreamTest, KindFollowsMethodAndContentType) {
  const RouteMatch upload = Match("POST", "/uploads");
  const RouteMatch get = Match("GET", "/events/e1");
  const std::string ndjson = "application/x-ndjson; charset=utf-8";
  const std::string jsonl = "application/jsonl";
  const std::string raw = "Application/Octet-Stream";
  const std::string json = "application/json";
  EXPECT_EQ(StreamedBodyKindOf(*upload.route, "POST", &ndjson), StreamedBodyKind::kNdjson);
  EXPECT_EQ(StreamedBodyKindOf(*upload.route, "POST", &jsonl), StreamedBodyKind::kNdjson);
  EXPECT_EQ(StreamedBodyKindOf(*upload.route, "POST", &raw), StreamedBodyKind::kRaw);
  EXPECT_EQ(StreamedBodyKindOf(*upload.route, "PUT", nullptr), StreamedBodyKind::kRaw);
  EXPECT_EQ(StreamedBodyKindOf(*upload.route, "POST", nullptr), std::nullopt);
  EXPECT_EQ(StreamedBodyKindOf(*upload.route, "POST", &json), std::nullopt);
  EXPECT_EQ(StreamedBodyKindOf(*get.route, "GET", &raw), std::nullopt);  // not client streaming
}

TEST_F(RequestStreamTest, NdjsonLinesBecomeMessagesWithQueryOnTheFirst) {
  auto stream = Create("POST", "/uploads", "file_name=a.txt", StreamedBodyKind::kNdjson);
  ASSERT_TRUE(stream.ok()) << stream.status();
  const std::string body =
      "{\"data\":\"YWJj\"}\r\n\n{\"data\":\"ZGU=\"}\n   \n{\"data\":\"Zg==\",\"chunkNumber\":0}";
  for (size_t piece : {size_t{1}, size_t{3}, body.size()}) {
    auto fresh = Create("POST", "/uploads", "file_name=a.txt", StreamedBodyKind::kNdjson);
    auto messages = Run<upload::v1::FileChunk>(**fresh, body, piece);
    ASSERT_TRUE(messages.ok()) << messages.status();
    ASSERT_EQ(messages->size(), 3u) << piece;
    EXPECT_EQ((*messages)[0].data(), "abc");
    EXPECT_EQ((*messages)[0].file_name(), "a.txt");
    EXPECT_EQ((*messages)[1].data(), "de");
    EXPECT_EQ((*messages)[1].file_name(), "");
    EXPECT_EQ((*messages)[2].data(), "f");
  }
}

TEST_F(RequestStreamTest, BadNdjsonLineIsInvalidArgumentNamingTheLine) {
  struct Case {
    std::string body;
    std::string query;
    std::string message;
  } cases[] = {
      {"{\"data\":\"YQ==\"}\n{\"data\":\n", "", "line 2: "},
      {"{\"data\":\"YQ==\"}\n\n{\"colour\":1}\n", "", "line 3: "},
      {"{\"fileName\":\"b\"}\n", "file_name=a", "file_name is also set by the request body"},
      {"", "", "holds no message"},
      {"\n\n", "", "holds no message"},
  };
  for (const auto& c : cases) {
    auto stream = Create("POST", "/uploads", c.query, StreamedBodyKind::kNdjson);
    ASSERT_TRUE(stream.ok()) << stream.status();
    auto messages = Run<upload::v1::FileChunk>(**stream, c.body, 5);
    ASSERT_FALSE(messages.ok()) << c.body;
    EXPECT_EQ(messages.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_NE(messages.status().message().find(c.message), std::string::npos)
        << messages.status().message();
  }
}

TEST_F(RequestStreamTest, NdjsonLineOverTheMessageLimitIs413) {
  auto stream = Create("POST", "/uploads", "", StreamedBodyKind::kNdjson, 1024);
  ASSERT_TRUE(stream.ok());
  std::string frames;
  absl::Status status = (*stream)->Feed(std::string(2000, ' '), &frames);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(HttpStatusFromStatus(status), 413);
  EXPECT_NE(status.message().find("line 1 is longer than 1024 bytes"), std::string::npos)
      << status.message();
}

TEST_F(RequestStreamTest, NdjsonToAMessageWithoutBytesField) {
  auto stream = Create("POST", "/stocks:publish", "", StreamedBodyKind::kNdjson);
  ASSERT_TRUE(stream.ok()) << stream.status();
  auto messages = Run<stock::v1::PriceUpdate>(
      **stream, "{\"symbol\":\"ACME\",\"price\":1.5}\n{\"symbol\":\"ACME\",\"price\":2}\n", 7);
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ(messages->size(), 2u);
  EXPECT_EQ((*messages)[1].price(), 2.0f);
}

TEST_F(RequestStreamTest, RawBodyIsChunkedIntoTheBytesField) {
  std::string body;
  for (size_t i = 0; body.size() < 3 * kRawChunkBytes + 100; ++i)
    body.push_back(char(i * 7 + i / 251));
  for (size_t piece : {size_t{1000}, size_t{kRawChunkBytes}, body.size()}) {
    auto stream =
        Create("PUT", "/uploads", "file_name=big.bin&chunk_number=0", StreamedBodyKind::kRaw);
    ASSERT_TRUE(stream.ok()) << stream.status();
    auto messages = Run<upload::v1::FileChunk>(**stream, body, piece);
    ASSERT_TRUE(messages.ok()) << messages.status();
    ASSERT_EQ(messages->size(), 4u);
    std::string joined;
    for (const auto& m : *messages) {
      EXPECT_LE(m.data().size(), kRawChunkBytes);
      EXPECT_EQ(m.chunk_number(), 0);
      joined += m.data();
    }
    EXPECT_TRUE(joined == body);
    EXPECT_EQ((*messages)[0].file_name(), "big.bin");
    EXPECT_EQ((*messages)[1].file_name(), "");
  }
}

TEST_F(RequestStreamTest, EmptyRawBodyStillSendsTheFirstMessage) {
  auto stream = Create("POST", "/uploads", "file_name=empty", StreamedBodyKind::kRaw);
  ASSERT_TRUE(stream.ok());
  auto messages = Run<upload::v1::FileChunk>(**stream, "", 1);
  ASSERT_TRUE(messages.ok());
  ASSERT_EQ(messages->size(), 1u);
  EXPECT_EQ((*messages)[0].file_name(), "empty");
  EXPECT_TRUE((*messages)[0].data().empty());
}

TEST_F(RequestStreamTest, SmallMessageLimitMakesSmallerChunks) {
  auto stream = Create("POST", "/uploads", "", StreamedBodyKind::kRaw, 16 * 1024);
  ASSERT_TRUE(stream.ok());
  auto messages = Run<upload::v1::FileChunk>(**stream, std::string(100 * 1024, 'x'), 4096);
  ASSERT_TRUE(messages.ok());
  for (const auto& m : *messages) EXPECT_LE(m.ByteSizeLong(), 16u * 1024);
}

TEST_F(RequestStreamTest, RawBodyErrors) {
  // No bytes field to fill: 415 naming the route.
  auto publish = Create("POST", "/stocks:publish", "", StreamedBodyKind::kRaw);
  ASSERT_FALSE(publish.ok());
  EXPECT_EQ(HttpStatusFromStatus(publish.status()), 415);
  EXPECT_NE(publish.status().message().find("POST /stocks:publish"), std::string::npos)
      << publish.status().message();
  EXPECT_NE(publish.status().message().find("has no bytes field"), std::string::npos)
      << publish.status().message();
  // The query may not name the field the body fills, nor a field that does not exist.
  for (const std::string query : {"data=abc", "colour=red"}) {
    auto bad = Create("POST", "/uploads", query, StreamedBodyKind::kRaw);
    ASSERT_FALSE(bad.ok()) << query;
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << query;
  }
}

}  // namespace
}  // namespace switchboard::gateway::rest
