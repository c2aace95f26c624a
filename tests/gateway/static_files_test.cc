// The browser app's files from a real `switchboard gateway` process with `static: {root: DIR}`,
// fetched by curl over HTTP/1.1 and h2c: index.html at /, ETag and 304, gzip that decodes to
// the file, API routes before files, traversal refused, and a 50 MB file streamed while the
// gateway's memory stays flat.
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "gateway/testing/gateway_process.h"
#include "gateway/testing/gateway_test_support.h"
#include "services/ticket/ticket_service.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr int64_t kBigFileBytes = 50 << 20;
// The gateway holds one piece of a file per connection (128 KiB over HTTP/1.1, a frame over
// HTTP/2); a file read whole would add its 50 MB.
constexpr int64_t kStreamRssBound = 16 << 20;
// Slow enough that the download lasts a few seconds and the memory samples see it.
constexpr char kDownloadRate[] = "20M";
constexpr milliseconds kRssSampleInterval{20};
constexpr char kSecret[] = "secret outside the root";

struct CurlResult {
  int exit_code = -1;
  std::string headers;  // the last response's, lowercase names as sent
  std::string body;
  int status() const {
    const size_t at = headers.rfind("HTTP/");
    return at == std::string::npos ? -1 : std::atoi(headers.c_str() + headers.find(' ', at) + 1);
  }
  std::string Header(const std::string& name) const {
    std::istringstream lines(headers);
    std::string line;
    std::string value;
    while (std::getline(lines, line)) {
      if (line.size() > name.size() + 1 &&
          strncasecmp(line.c_str(), name.c_str(), name.size()) == 0 && line[name.size()] == ':') {
        value = line.substr(name.size() + 1);
        while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
        while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
      }
    }
    return value;
  }
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string Sha256Hex(const std::string& bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  std::string hex;
  char part[3];
  for (unsigned char byte : digest) {
    std::snprintf(part, sizeof(part), "%02x", byte);
    hex += part;
  }
  return hex;
}

int64_t RssBytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    site_ = dir_.path() + "/site";
    fs::create_directories(site_ + "/assets");
    fs::create_directories(site_ + "/events");
    fs::create_directories(site_ + "/nothing-here");
    index_ = "<!doctype html><title>Switchboard</title><script src=assets/app.js></script>\n";
    for (int i = 0; i < 2000; ++i)
      app_js_ += "console.log('switchboard " + std::to_string(i) + "');\n";
    Write(site_ + "/index.html", index_);
    Write(site_ + "/assets/app.js", app_js_);
    // Files at paths the gateway's own routes claim: never served.
    Write(site_ + "/events/evt-1", "a file, not the event");
    Write(site_ + "/healthz", "a file, not the health page");
    Write(site_ + "/.hidden", kSecret);
    Write(dir_.path() + "/outside.txt", kSecret);
    fs::create_symlink(dir_.path() + "/outside.txt", site_ + "/escape.txt");
    port_ = testing::FreePort();
    const std::string config = dir_.path() + "/gateway.yaml";
    std::ofstream(config) << "listen: 127.0.0.1:" << port_ << "\nworkers: " << TestGatewayWorkers()
                          << "\ndescriptors: [" SB_DESCRIPTOR_SET
                          << "]\nservices: {switchboard.ticket.v1.TicketService: {backends: ["
                          << backend_.address() << "]}}\nstatic: {root: " << site_ << "}\n";
    gateway_ = std::make_unique<GatewayProcess>(config, dir_.path() + "/gateway.log");
    ASSERT_NE(gateway_->Output().find("gateway listening"), std::string::npos)
        << gateway_->Output();
  }

  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  // curl with `args` on the gateway's `path`; `h2`: h2c with prior knowledge.
  CurlResult Curl(bool h2, const std::string& path, const std::string& args = "") {
    const std::string headers = dir_.path() + "/curl.headers";
    const std::string body = dir_.path() + "/curl.body";
    fs::remove(headers);
    fs::remove(body);
    const std::string command = "curl -sS --path-as-is --max-time 30 " +
                                std::string(h2 ? "--http2-prior-knowledge " : "") + args + " -D " +
                                headers + " -o " + body +
                                " 'http://127.0.0.1:" + std::to_string(port_) + path + "' 2>&1";
    CurlResult result;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 512> sink;
    while (std::fgets(sink.data(), sink.size(), pipe) != nullptr) {
    }
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.headers = ReadFile(headers);
    result.body = ReadFile(body);
    return result;
  }

  testing::TempDir dir_;
  testing::TestServer backend_{ticket::MakeTicketService};
  std::string site_;
  std::string index_;
  std::string app_js_;
  int port_ = 0;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(StaticFilesTest, IndexAndTypesOverBothProtocols) {
  for (bool h2 : {false, true}) {
    SCOPED_TRACE(h2 ? "h2c" : "HTTP/1.1");
    auto index = Curl(h2, "/");
    ASSERT_EQ(index.exit_code, 0);
    EXPECT_EQ(index.status(), 200) << index.headers;
    EXPECT_EQ(index.body, index_);
    EXPECT_EQ(index.Header("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(index.Header("content-length"), std::to_string(index_.size()));
    auto script = Curl(h2, "/assets/app.js");
    EXPECT_EQ(script.status(), 200);
    EXPECT_EQ(script.body, app_js_);
    EXPECT_EQ(script.Header("content-type"), "text/javascript; charset=utf-8");
    auto head = Curl(h2, "/assets/app.js", "-I");
    EXPECT_EQ(head.status(), 200);
    EXPECT_EQ(head.Header("content-length"), std::to_string(app_js_.size()));
    // curl -I writes the head where the body would go; no byte of the file may follow it.
    EXPECT_EQ(head.body.find("console.log"), std::string::npos);
    auto post = Curl(h2, "/index.html", "-X POST -d x=1");
    EXPECT_EQ(post.status(), 405);
    EXPECT_EQ(post.Header("allow"), "GET, HEAD");
    EXPECT_EQ(Curl(h2, "/missing.js").status(), 404);
    EXPECT_EQ(Curl(h2, "/nothing-here/").status(), 404);  // no listing
  }
}

TEST_F(StaticFilesTest, ApiRoutesWinOverFiles) {
  for (bool h2 : {false, true}) {
    SCOPED_TRACE(h2 ? "h2c" : "HTTP/1.1");
    auto event = Curl(h2, "/events/evt-1");
    EXPECT_EQ(event.status(), 200);
    EXPECT_NE(event.body.find("\"id\":\"evt-1\""), std::string::npos) << event.body;
    auto health = Curl(h2, "/healthz");
    EXPECT_EQ(health.body, "ok\n");
    auto openapi = Curl(h2, "/openapi.json");
    EXPECT_NE(openapi.body.find("\"openapi\""), std::string::npos);
    // gRPC-Web to a path that is also no file: the gRPC-Web answer, not a file's 404.
    auto grpc_web = Curl(h2, "/switchboard.ticket.v1.TicketService/Nope",
                         "-X POST -H 'content-type: application/grpc-web+proto' --data-binary ''");
    EXPECT_EQ(grpc_web.Header("content-type").rfind("application/grpc-web", 0), 0u)
        << grpc_web.headers;
  }
}

TEST_F(StaticFilesTest, ETagAndIfNoneMatch) {
  for (bool h2 : {false, true}) {
    SCOPED_TRACE(h2 ? "h2c" : "HTTP/1.1");
    auto first = Curl(h2, "/assets/app.js");
    const std::string etag = first.Header("etag");
    ASSERT_FALSE(etag.empty()) << first.headers;
    auto again = Curl(h2, "/assets/app.js", "-H 'if-none-match: " + etag + "'");
    EXPECT_EQ(again.status(), 304) << again.headers;
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(again.Header("etag"), etag);
    auto other = Curl(h2, "/assets/app.js", "-H 'if-none-match: \"stale\"'");
    EXPECT_EQ(other.status(), 200);
  }
}

TEST_F(StaticFilesTest, GzipDecodesToTheFile) {
  for (bool h2 : {false, true}) {
    SCOPED_TRACE(h2 ? "h2c" : "HTTP/1.1");
    auto raw = Curl(h2, "/assets/app.js", "-H 'accept-encoding: gzip'");
    EXPECT_EQ(raw.status(), 200);
    EXPECT_EQ(raw.Header("content-encoding"), "gzip");
    EXPECT_EQ(raw.Header("vary"), "accept-encoding");
    EXPECT_EQ(raw.Header("content-length"), std::to_string(raw.body.size()));
    EXPECT_LT(raw.body.size(), app_js_.size() / 4);
    EXPECT_EQ(raw.body.substr(0, 2), "\x1f\x8b");  // a gzip member (RFC 1952), not zlib's
    auto decoded = Curl(h2, "/assets/app.js", "--compressed");
    EXPECT_EQ(decoded.Header("content-encoding"), "gzip");
    EXPECT_EQ(decoded.body, app_js_);
    auto identity = Curl(h2, "/assets/app.js", "-H 'accept-encoding: identity'");
    EXPECT_EQ(identity.Header("content-encoding"), "");
    EXPECT_EQ(identity.body, app_js_);
  }
}

TEST_F(StaticFilesTest, NothingOutsideTheRoot) {
  for (bool h2 : {false, true}) {
    SCOPED_TRACE(h2 ? "h2c" : "HTTP/1.1");
    for (const char* path : {"/../outside.txt", "/assets/../../outside.txt", "/%2e%2e/outside.txt",
                             "/assets/%2e%2e%2f%2e%2e%2foutside.txt", "/escape.txt", "/.hidden",
                             "/%2ehidden", "/index.html%00", "/%00/../outside.txt"}) {
      SCOPED_TRACE(path);
      auto answer = Curl(h2, path);
      EXPECT_TRUE(answer.status() == 404 || answer.status() == 400) << answer.headers;
      EXPECT_EQ(answer.body.find(kSecret), std::string::npos);
    }
  }
}

TEST_F(StaticFilesTest, BigFileStreamsWithFlatMemory) {
  {
    std::ofstream big(site_ + "/big.bin", std::ios::binary);
    std::string block(1 << 20, '\0');
    for (int64_t i = 0; i < kBigFileBytes / static_cast<int64_t>(block.size()); ++i) {
      for (size_t j = 0; j < block.size(); j += 4096) block[j] = static_cast<char>(i + j);
      big << block;
    }
  }
  const std::string want = Sha256Hex(ReadFile(site_ + "/big.bin"));
  for (bool h2 : {false, true}) {
    SCOPED_TRACE(h2 ? "h2c" : "HTTP/1.1");
    const int64_t rss_before = RssBytes(gateway_->pid());
    std::atomic<bool> done{false};
    std::atomic<int64_t> rss_max{rss_before};
    std::thread sampler([&] {
      while (!done) {
        rss_max = std::max<int64_t>(rss_max, RssBytes(gateway_->pid()));
        std::this_thread::sleep_for(kRssSampleInterval);
      }
    });
    const auto started = Clock::now();
    auto download = Curl(h2, "/big.bin", std::string("--limit-rate ") + kDownloadRate);
    done = true;
    sampler.join();
    const double took = std::chrono::duration<double>(Clock::now() - started).count();
    ASSERT_EQ(download.exit_code, 0);
    EXPECT_EQ(download.status(), 200);
    EXPECT_EQ(download.Header("content-length"), std::to_string(kBigFileBytes));
    EXPECT_EQ(static_cast<int64_t>(download.body.size()), kBigFileBytes);
    EXPECT_EQ(Sha256Hex(download.body), want);
    std::printf("%s: 50 MB in %.2f s, gateway RSS %lld KiB -> max %lld KiB (+%lld KiB)\n",
                h2 ? "h2c" : "HTTP/1.1", took, static_cast<long long>(rss_before / 1024),
                static_cast<long long>(rss_max / 1024),
                static_cast<long long>((rss_max - rss_before) / 1024));
    EXPECT_LT(rss_max - rss_before, kStreamRssBound);
  }
}

// A bad `static:` block stops the gateway with one line naming it: an unknown key at --check,
// a root that is no directory at start.
TEST(StaticFilesConfig, BadBlocksAreRefusedWithTheirName) {
  testing::TempDir dir;
  const std::pair<const char*, const char*> cases[] = {
      {"{root: /tmp, gzip: true}", "static.gzip: unknown key"},
      {"{root: ''}", "static.root"},
      {"{root: /nonexistent/site}", "static.root: \"/nonexistent/site\" is not a directory"},
  };
  for (const auto& [block, message] : cases) {
    SCOPED_TRACE(block);
    const std::string config = dir.path() + "/gateway.yaml";
    std::ofstream(config) << "listen: 127.0.0.1:" << testing::FreePort() << "\ndescriptors: ["
                          << SB_DESCRIPTOR_SET
                          << "]\nservices: {switchboard.ticket.v1.TicketService: {backends: "
                             "[127.0.0.1:1]}}\nstatic: "
                          << block << "\n";
    testing::ChildProcess gateway({testing::SwitchboardBinary(), "gateway", "--config", config},
                                  dir.path() + "/gateway.log");
    const int status = gateway.Stop(0, seconds(20));  // signal 0: waits for it to exit
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << gateway.Output();
    EXPECT_NE(gateway.Output().find(message), std::string::npos) << gateway.Output();
  }
}

}  // namespace
}  // namespace switchboard::gateway
