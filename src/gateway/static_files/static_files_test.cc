// The file answers without sockets: paths, negotiation, and StaticFiles over a real temporary
// directory (symbolic links, a precompressed copy, the gzip cache).
#include "gateway/static_files/static_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "gateway/static_files/content_types.h"
#include "gateway/static_files/negotiation.h"
#include "gateway/static_files/request_path.h"

namespace switchboard::gateway::static_files {
namespace {

namespace fs = std::filesystem;

TEST(RequestPathTest, DecodesAndRefuses) {
  struct Case {
    const char* target;
    absl::StatusCode code;
    std::vector<std::string> segments;
    bool trailing_slash;
  };
  const Case cases[] = {
      {"/", absl::StatusCode::kOk, {}, true},
      {"/index.html", absl::StatusCode::kOk, {"index.html"}, false},
      {"/a/b%20c.js?v=1#x", absl::StatusCode::kOk, {"a", "b c.js"}, false},
      {"//a/./b/", absl::StatusCode::kOk, {"a", "b"}, true},
      {"/a/../b", absl::StatusCode::kNotFound, {}, false},
      {"/%2e%2e/etc/passwd", absl::StatusCode::kNotFound, {}, false},
      {"/%2E%2E%2Fetc", absl::StatusCode::kNotFound, {}, false},
      {"/a%2fb", absl::StatusCode::kNotFound, {}, false},
      {"/a%5cb", absl::StatusCode::kNotFound, {}, false},
      {"/.git/config", absl::StatusCode::kNotFound, {}, false},
      {"/a%00.html", absl::StatusCode::kInvalidArgument, {}, false},
      {"/a%0", absl::StatusCode::kInvalidArgument, {}, false},
      {"/a%zz", absl::StatusCode::kInvalidArgument, {}, false},
      {"relative", absl::StatusCode::kInvalidArgument, {}, false},
      {"", absl::StatusCode::kInvalidArgument, {}, false},
  };
  for (const Case& c : cases) {
    auto parsed = ParseRequestPath(c.target);
    EXPECT_EQ(parsed.status().code(), c.code) << c.target << ": " << parsed.status();
    if (!parsed.ok()) continue;
    EXPECT_EQ(parsed->segments, c.segments) << c.target;
    EXPECT_EQ(parsed->trailing_slash, c.trailing_slash) << c.target;
  }
  EXPECT_FALSE(ParseRequestPath(std::string("/a\0b", 4)).ok());
  EXPECT_EQ(ParseRequestPath("/" + std::string(kMaxTargetBytes, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string deep;
  for (size_t i = 0; i <= kMaxSegments; ++i) deep += "/d";
  EXPECT_EQ(ParseRequestPath(deep).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NegotiationTest, IfNoneMatch) {
  const std::string etag = MakeETag(10, 20, false);
  EXPECT_EQ(etag, "\"a-14\"");
  EXPECT_EQ(MakeETag(10, 20, true), "\"a-14-gz\"");
  EXPECT_TRUE(IfNoneMatchHits(etag, etag));
  EXPECT_TRUE(IfNoneMatchHits("\"x\", W/\"a-14\"", etag));
  EXPECT_TRUE(IfNoneMatchHits("*", etag));
  EXPECT_FALSE(IfNoneMatchHits("", etag));
  EXPECT_FALSE(IfNoneMatchHits("\"a-14-gz\"", etag));
  EXPECT_FALSE(IfNoneMatchHits("a-14", etag));
}

TEST(NegotiationTest, AcceptsGzip) {
  const std::pair<const char*, bool> cases[] = {
      {"gzip", true},        {"deflate, gzip;q=0.5", true},
      {"GZIP", true},        {"gzip;q=0", false},
      {"br", false},         {"", false},
      {"*", true},           {"gzip;q=0, *", false},
      {"identity", false},   {"x-gzip", true},
      {"gzip;q=abc", false},
  };
  for (const auto& [header, want] : cases) EXPECT_EQ(AcceptsGzip(header), want) << header;
}

TEST(ContentTypesTest, ByExtension) {
  EXPECT_EQ(ContentTypeOf("/x/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("app.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("logo.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeOf("shot.png"), "image/png");
  EXPECT_EQ(ContentTypeOf("blob"), "application/octet-stream");
  EXPECT_EQ(ContentTypeOf(".bashrc"), "application/octet-stream");
  EXPECT_EQ(ContentTypeOf("dir.html/file"), "application/octet-stream");
  EXPECT_TRUE(IsCompressible("text/html; charset=utf-8"));
  EXPECT_TRUE(IsCompressible("image/svg+xml"));
  EXPECT_FALSE(IsCompressible("image/png"));
  EXPECT_FALSE(IsCompressible("application/octet-stream"));
}

TEST(GzipCacheTest, BoundedLeastRecentlyUsedFirst) {
  GzipCache cache(10);
  auto bytes = [](size_t n) { return std::make_shared<const std::string>(n, 'x'); };
  cache.Insert("a", bytes(4));
  cache.Insert("b", bytes(4));
  ASSERT_NE(cache.Find("a"), nullptr);  // a is now the most recent
  cache.Insert("c", bytes(4));          // b goes
  EXPECT_EQ(cache.Find("b"), nullptr);
  EXPECT_NE(cache.Find("a"), nullptr);
  EXPECT_NE(cache.Find("c"), nullptr);
  EXPECT_LE(cache.bytes(), 10u);
  cache.Insert("huge", bytes(11));
  EXPECT_EQ(cache.Find("huge"), nullptr);
  EXPECT_EQ(cache.entries(), 2u);
}

std::string Gunzip(const std::string& compressed) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out;
  char buffer[4096];
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
  }
  inflateEnd(&stream);
  EXPECT_EQ(result, Z_STREAM_END);
  return out;
}

std::string ReadBody(StaticResponse& response) {
  std::string out;
  if (!response.body) return out;
  char buffer[1000];
  while (response.body->remaining() > 0) {
    auto n = response.body->Read(buffer, sizeof(buffer));
    EXPECT_TRUE(n.ok()) << n.status();
    if (!n.ok() || *n == 0) break;
    out.append(buffer, *n);
  }
  return out;
}

const std::string* Header(const StaticResponse& response, const char* name) {
  return FindHeader(response.headers, name);
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/sb-static-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    root_ = base_ / "site";
    fs::create_directories(root_ / "assets");
    fs::create_directories(root_ / "empty");
    fs::create_directories(root_ / "docs");
    Write(root_ / "index.html", index_);
    Write(root_ / "assets" / "app.js", app_js_);
    Write(root_ / "assets" / "logo.png", "\x89PNG not really");
    Write(root_ / "docs" / "index.html", "<p>docs</p>");
    Write(root_ / ".env", "SECRET=1");
    Write(base_ / "outside.txt", "secret outside the root");
    fs::create_symlink(base_ / "outside.txt", root_ / "escape.txt");
    fs::create_symlink(root_ / "assets" / "app.js", root_ / "alias.js");
    auto files = StaticFiles::Create({root_.string()});
    ASSERT_TRUE(files.ok()) << files.status();
    files_ = *files;
  }
  void TearDown() override { fs::remove_all(base_); }

  static void Write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  std::optional<StaticResponse> Get(std::string_view target, std::string_view accept = "",
                                    std::string_view if_none_match = "",
                                    std::string_view method = "GET") {
    return files_->Answer({method, target, if_none_match, accept});
  }

  fs::path base_;
  fs::path root_;
  std::shared_ptr<StaticFiles> files_;
  const std::string index_ = "<!doctype html><title>app</title>" + std::string(2000, ' ');
  const std::string app_js_ = [] {
    std::string text;
    for (int i = 0; i < 500; ++i) text += "console.log('line " + std::to_string(i) + "');\n";
    return text;
  }();
};

TEST_F(StaticFilesTest, RootIsChecked) {
  EXPECT_FALSE(StaticFiles::Create({(base_ / "missing").string()}).ok());
  EXPECT_FALSE(StaticFiles::Create({(root_ / "index.html").string()}).ok());
}

TEST_F(StaticFilesTest, IndexTypesAndHeaders) {
  auto index = Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(*Header(*index, "content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(*Header(*index, "vary"), "accept-encoding");
  EXPECT_EQ(Header(*index, "content-encoding"), nullptr);
  ASSERT_NE(Header(*index, "etag"), nullptr);
  EXPECT_EQ(index->content_length, index_.size());
  EXPECT_EQ(ReadBody(*index), index_);

  auto png = Get("/assets/logo.png", "gzip");
  ASSERT_TRUE(png);
  EXPECT_EQ(*Header(*png, "content-type"), "image/png");
  EXPECT_EQ(Header(*png, "content-encoding"), nullptr);  // not compressible
  EXPECT_EQ(Header(*png, "vary"), nullptr);

  auto docs = Get("/docs/?x=1");
  ASSERT_TRUE(docs);
  EXPECT_EQ(ReadBody(*docs), "<p>docs</p>");
  auto redirect = Get("/docs?x=1");
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->status, 301);
  EXPECT_EQ(*Header(*redirect, "location"), "/docs/?x=1");
  auto alias = Get("/alias.js");  // a link that stays inside the root
  ASSERT_TRUE(alias);
  EXPECT_EQ(ReadBody(*alias), app_js_);
}

TEST_F(StaticFilesTest, NothingOutsideTheRootNorHiddenNorListed) {
  for (const char* target :
       {"/missing.html", "/empty/", "/empty", "/escape.txt", "/../outside.txt",
        "/%2e%2e/outside.txt", "/assets/..%2f..%2foutside.txt", "/.env", "/%2eenv"}) {
    auto answer = Get(target);
    EXPECT_FALSE(answer) << target << " answered " << answer->status;
  }
  auto nul = Get("/index.html%00.png");
  ASSERT_TRUE(nul);
  EXPECT_EQ(nul->status, 400);
}

TEST_F(StaticFilesTest, OnlyGetAndHead) {
  auto post = Get("/index.html", "", "", "POST");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(*Header(*post, "allow"), "GET, HEAD");
  EXPECT_FALSE(Get("/missing", "", "", "DELETE"));  // no file: the codec's own 404
  auto head = Get("/", "", "", "HEAD");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->content_length, index_.size());
}

TEST_F(StaticFilesTest, ETagAnswers304) {
  auto first = Get("/assets/app.js");
  ASSERT_TRUE(first);
  const std::string etag = *Header(*first, "etag");
  auto again = Get("/assets/app.js", "", etag);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_EQ(again->body, nullptr);
  EXPECT_EQ(*Header(*again, "etag"), etag);
  // The gzip representation has its own tag: the identity one does not match it.
  auto gzip = Get("/assets/app.js", "gzip", etag);
  ASSERT_TRUE(gzip);
  EXPECT_EQ(gzip->status, 200);
  EXPECT_NE(*Header(*gzip, "etag"), etag);
  // A changed file has a new tag.
  Write(root_ / "assets" / "app.js", app_js_ + "// more\n");
  auto changed = Get("/assets/app.js", "", etag);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
}

TEST_F(StaticFilesTest, GzipOnceFromTheCache) {
  auto gzip = Get("/assets/app.js", "gzip, br");
  ASSERT_TRUE(gzip);
  EXPECT_EQ(*Header(*gzip, "content-encoding"), "gzip");
  EXPECT_EQ(*Header(*gzip, "vary"), "accept-encoding");
  const std::string compressed = ReadBody(*gzip);
  EXPECT_EQ(gzip->content_length, compressed.size());
  EXPECT_LT(compressed.size(), app_js_.size() / 3);
  EXPECT_EQ(Gunzip(compressed), app_js_);
  EXPECT_EQ(files_->gzip_cache().entries(), 1u);
  auto cached = Get("/assets/app.js", "gzip");
  EXPECT_EQ(ReadBody(*cached), compressed);
  EXPECT_EQ(files_->gzip_cache().entries(), 1u);
  auto refused = Get("/assets/app.js", "gzip;q=0");
  EXPECT_EQ(Header(*refused, "content-encoding"), nullptr);
  EXPECT_EQ(ReadBody(*refused), app_js_);
}

TEST_F(StaticFilesTest, PrecompressedCopyBesideTheFile) {
  const std::string big(kMaxGzipFileBytes + 10, 'a');
  Write(root_ / "big.txt", big);
  Write(root_ / "big.txt.gz", "pretend-gzip");
  auto answer = Get("/big.txt", "gzip");
  ASSERT_TRUE(answer);
  EXPECT_EQ(*Header(*answer, "content-encoding"), "gzip");
  EXPECT_EQ(ReadBody(*answer), "pretend-gzip");
  fs::remove(root_ / "big.txt.gz");
  // Too large to compress on the loop, with no copy: sent as it is.
  auto plain = Get("/big.txt", "gzip");
  EXPECT_EQ(Header(*plain, "content-encoding"), nullptr);
  EXPECT_EQ(plain->content_length, big.size());
  EXPECT_EQ(files_->gzip_cache().entries(), 0u);
}

TEST_F(StaticFilesTest, OpenFilesAreBounded) {
  std::vector<StaticResponse> held;
  for (int i = 0; i < kMaxOpenFiles; ++i) {
    auto answer = Get("/assets/logo.png");
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200);
    held.push_back(std::move(*answer));
  }
  EXPECT_EQ(files_->open_files(), kMaxOpenFiles);
  auto refused = Get("/assets/logo.png");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  held.clear();
  EXPECT_EQ(files_->open_files(), 0);
  EXPECT_EQ(Get("/assets/logo.png")->status, 200);
}

TEST_F(StaticFilesTest, AFileThatShrinksIsAnError) {
  auto answer = Get("/assets/logo.png");
  ASSERT_TRUE(answer);
  ::truncate((root_ / "assets" / "logo.png").c_str(), 2);
  char buffer[100];
  auto first = answer->body->Read(buffer, sizeof(buffer));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 2u);
  EXPECT_FALSE(answer->body->Read(buffer, sizeof(buffer)).ok());
}

TEST(StaticConfigTest, Parses) {
  StaticConfig config;
  EXPECT_TRUE(ParseStaticConfig(YAML::Load("{root: web/dist}"), &config).ok());
  EXPECT_EQ(config.root, "web/dist");
  for (const char* bad : {"{root: ''}", "{}", "{root: [a]}", "{root: x, gzip: true}", "x"}) {
    auto status = ParseStaticConfig(YAML::Load(bad), &config);
    EXPECT_FALSE(status.ok()) << bad;
    EXPECT_TRUE(absl::StrContains(status.message(), "static")) << status;
  }
  EXPECT_TRUE(absl::StrContains(
      ParseStaticConfig(YAML::Load("{root: x, gzip: true}"), &config).message(), "static.gzip"));
}

}  // namespace
}  // namespace switchboard::gateway::static_files
