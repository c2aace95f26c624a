// `switchboard call` beyond unary calls, as a person uses it from a shell and a terminal: a
// server stream until Ctrl-C, an upload and its download, and a chat between two terminals.
// The real binary against a real `switchboard serve` on loopback.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/health_probe.h"
#include "switchboard/stock/v1/stock.pb.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"

namespace switchboard {
namespace {

using testing::ChildProcess;
using testing::SwitchboardBinary;

// Every wait is bounded: a server to become healthy, one call to end, a line to show up.
constexpr std::chrono::seconds kServeWait{20};
constexpr std::chrono::seconds kCallWait{20};
constexpr std::chrono::seconds kOutputWait{10};
constexpr std::chrono::milliseconds kPollInterval{20};
// How long a terminal child gets to exit after SIGTERM before it is killed.
constexpr std::chrono::seconds kStopGrace{5};
// What `call` exits with: the call succeeded, or it was ended by Ctrl-C.
constexpr int kExitOk = 0;
constexpr int kExitInterrupted = 130;
// What a terminal sends for Ctrl-D: at the start of a line, the end of input.
constexpr char kCtrlD[] = "\x04";
// sha256sum prints the digest first, as this many hex digits.
constexpr size_t kSha256HexDigits = 64;

int ExitCode(int wait_status) { return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A child on a pseudo-terminal, as a person runs it in a terminal emulator: the test types on
// the master side and reads there what the child prints (the terminal's echo included). Always
// stopped (SIGTERM, then SIGKILL) when the object goes away.
class Terminal {
 public:
  explicit Terminal(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_ = forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      // The test runner may block signals; the child must see them as a shell's child does.
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGTERM);
      if (!WaitExit(kStopGrace)) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status_, 0);
      }
    }
    if (master_ >= 0) close(master_);
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  bool started() const { return pid_ > 0 && master_ >= 0; }
  // Keys as typed: "\n" is Enter, kCtrlD is Ctrl-D.
  void Type(const std::string& keys) {
    size_t written = 0;
    while (written < keys.size()) {
      const ssize_t n = write(master_, keys.data() + written, keys.size() - written);
      if (n <= 0) return;
      written += static_cast<size_t>(n);
    }
  }
  // True once the screen shows `text`.
  bool WaitForOutput(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (output_.find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      ReadScreen();
    }
    return true;
  }
  // The wait status once the child exits within `timeout`; nothing while it still runs.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exited_) {
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        exited_ = true;
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      ReadScreen();  // a child blocked on a full terminal would never exit
    }
    ReadScreen();
    return status_;
  }
  const std::string& output() const { return output_; }

 private:
  // Takes what the child printed, waiting up to one poll interval for it.
  void ReadScreen() {
    pollfd fd{master_, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(kPollInterval.count())) > 0 && (fd.revents & POLLIN)) {
      char buffer[4096];
      const ssize_t n = read(master_, buffer, sizeof(buffer));
      if (n > 0) {
        output_.append(buffer, static_cast<size_t>(n));
        return;
      }
    }
    // Nothing to read, or the child closed the terminal (EIO): do not spin.
    if (fd.revents & ~POLLIN) std::this_thread::sleep_for(kPollInterval);
  }

  pid_t pid_ = -1;
  int master_ = -1;
  int status_ = 0;
  bool exited_ = false;
  std::string output_;
};

class CallModesTest : public ::testing::Test {
 protected:
  // Starts `switchboard serve SERVICE` with `settings` as its block of the system config.
  void Serve(const std::string& service, const std::string& settings) {
    const std::string config = dir_.path() + "/system.yaml";
    std::ofstream(config) << "services:\n  " << service << ": " << settings << "\n";
    const std::string port = std::to_string(testing::FreePort());
    address_ = "127.0.0.1:" + port;
    server_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{SwitchboardBinary(), "serve", service, "--config", config,
                                 "--port", port, "--data-dir", dir_.path() + "/var"},
        dir_.path() + "/serve.log");
    ASSERT_TRUE(common::WaitForServing(address_, kServeWait)) << server_->Output();
  }

  // `switchboard call ARGS... --address <the server>`, started; its output goes to `log`.
  std::unique_ptr<ChildProcess> StartCall(std::vector<std::string> args, const std::string& log) {
    return std::make_unique<ChildProcess>(CallArgs(std::move(args)), dir_.path() + "/" + log);
  }

  // The command line of `switchboard call ARGS... --address <the server>`.
  std::vector<std::string> CallArgs(std::vector<std::string> args) const {
    args.insert(args.begin(), {SwitchboardBinary(), "call"});
    args.insert(args.end(), {"--address", address_});
    return args;
  }

  testing::TempDir dir_;
  std::string address_;
  std::unique_ptr<ChildProcess> server_;
};

// The JSON lines of `output` (streamed messages are printed one per line).
std::vector<std::string> JsonLines(const std::string& output) {
  std::vector<std::string> lines;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '{') lines.push_back(line);
  }
  return lines;
}

TEST_F(CallModesTest, WatchPrintsEveryUpdateOnItsOwnLineInOrderUntilCtrlC) {
  ASSERT_NO_FATAL_FAILURE(Serve("stock", "{tick_interval: 20ms}"));
  auto watch = StartCall({"stock", "watch", R"({"symbol":"ACME"})"}, "watch.log");
  // The current price first, then one line per tick.
  constexpr size_t kUpdates = 6;
  const auto deadline = std::chrono::steady_clock::now() + kOutputWait;
  while (JsonLines(watch->Output()).size() < kUpdates && watch->Running() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
  }
  ASSERT_TRUE(watch->Running()) << "the watch ended on its own\n" << watch->Output();
  // Ctrl-C ends the stream: the command stops at once, with the shell's code for it.
  const int status = watch->Stop(SIGINT, kCallWait);
  const std::string output = watch->Output();
  EXPECT_EQ(ExitCode(status), kExitInterrupted) << output;
  EXPECT_EQ(output.find("error"), std::string::npos) << output;

  const auto lines = JsonLines(output);
  ASSERT_GE(lines.size(), kUpdates) << output;
  std::vector<stock::v1::PriceUpdate> updates;
  for (const auto& line : lines) {
    stock::v1::PriceUpdate update;
    const auto parsed = google::protobuf::util::JsonStringToMessage(line, &update);
    ASSERT_TRUE(parsed.ok()) << parsed.message() << ": " << line << "\n" << output;
    EXPECT_EQ(update.symbol(), "ACME") << line;
    EXPECT_GT(update.price(), 0) << line;
    updates.push_back(update);
  }
  bool moved = false;
  for (size_t i = 1; i < updates.size(); ++i) {
    // Each tick is a new, later price: a repeated or reordered line fails here.
    EXPECT_GT(updates[i].timestamp(), updates[i - 1].timestamp()) << lines[i];
    moved |= updates[i].price() != updates[0].price();
  }
  EXPECT_TRUE(moved) << output;
}

TEST_F(CallModesTest, UploadFileThenGetFileGivesBackTheSameBytes) {
  ASSERT_NO_FATAL_FAILURE(Serve("upload", "{}"));
  // Several chunks of the default 64 KiB and a short last one, of bytes no text file has.
  constexpr size_t kChunkBytes = 64 * 1024;
  constexpr size_t kFileBytes = 5 * kChunkBytes + 123;
  constexpr uint32_t kContentSeed = 7;
  std::mt19937 random(kContentSeed);
  std::string content(kFileBytes, '\0');
  for (char& byte : content) byte = static_cast<char>(random());
  const std::string input = dir_.path() + "/input.bin";
  std::ofstream(input, std::ios::binary) << content;

  // The SHA-256 of the file, by coreutils rather than by the code under test.
  ChildProcess digest({"/usr/bin/sha256sum", input}, dir_.path() + "/sha256sum.log");
  ASSERT_EQ(ExitCode(digest.Stop(0, kCallWait)), kExitOk) << digest.Output();
  const std::string expected_sha256 = digest.Output().substr(0, kSha256HexDigits);

  auto upload = StartCall({"upload", "upload-file", "--file", input}, "upload.log");
  const int upload_status = upload->Stop(0, kCallWait);
  const std::string uploaded = upload->Output();
  ASSERT_EQ(ExitCode(upload_status), kExitOk) << uploaded;
  std::smatch result;
  const std::regex result_line(R"re(\{"fileId": "([^"]+)", "totalBytes": "([0-9]+)", )re"
                               R"re("success": (true|false), "sha256": "([0-9a-f]*)"\})re");
  ASSERT_TRUE(std::regex_search(uploaded, result, result_line)) << uploaded;
  const std::string file_id = result[1].str();
  EXPECT_EQ(result[2].str(), std::to_string(kFileBytes)) << uploaded;
  EXPECT_EQ(result[3].str(), "true") << uploaded;
  EXPECT_EQ(result[4].str(), expected_sha256) << uploaded;
  // The progress bar went to stderr and reached the end.
  EXPECT_NE(uploaded.find("100%"), std::string::npos) << uploaded;

  const std::string output = dir_.path() + "/downloaded.bin";
  auto download =
      StartCall({"upload", "get-file", "--file", file_id, "--output", output}, "download.log");
  const int download_status = download->Stop(0, kCallWait);
  ASSERT_EQ(ExitCode(download_status), kExitOk) << download->Output();
  EXPECT_NE(download->Output().find("to " + output), std::string::npos) << download->Output();
  const std::string downloaded = ReadFile(output);
  EXPECT_EQ(downloaded.size(), content.size());
  EXPECT_TRUE(downloaded == content) << "the downloaded bytes differ from the uploaded ones";
  EXPECT_FALSE(std::ifstream(output + ".partial").good()) << "the partial file was left behind";

  ChildProcess download_digest({"/usr/bin/sha256sum", output}, dir_.path() + "/sha256sum2.log");
  ASSERT_EQ(ExitCode(download_digest.Stop(0, kCallWait)), kExitOk) << download_digest.Output();
  EXPECT_EQ(download_digest.Output().substr(0, kSha256HexDigits), result[4].str());
}

TEST_F(CallModesTest, ChatBetweenTwoTerminalsEndsCleanlyOnCtrlD) {
  ASSERT_NO_FATAL_FAILURE(Serve("chat", "{}"));
  const std::string room = "lobby";
  Terminal bob(CallArgs({"chat", "--room", room, "--user", "bob"}));
  ASSERT_TRUE(bob.started());
  ASSERT_TRUE(bob.WaitForOutput("* bob joined", kOutputWait)) << bob.output();
  Terminal alice(CallArgs({"chat", "--room", room, "--user", "alice"}));
  ASSERT_TRUE(alice.started());
  ASSERT_TRUE(alice.WaitForOutput("* alice joined", kOutputWait)) << alice.output();
  ASSERT_TRUE(bob.WaitForOutput("* alice joined", kOutputWait)) << bob.output();

  // What one types, the other sees, with the room's sequence number and the sender's name.
  alice.Type("hello from alice\n");
  ASSERT_TRUE(bob.WaitForOutput("] alice: hello from alice", kOutputWait)) << bob.output();
  EXPECT_TRUE(std::regex_search(bob.output(), std::regex(R"(\[[0-9]+\] alice: hello from alice)")))
      << bob.output();
  bob.Type("hi alice\n");
  ASSERT_TRUE(alice.WaitForOutput("] bob: hi alice", kOutputWait)) << alice.output();

  // Ctrl-D at the start of a line is the end of input: alice leaves and her command ends well.
  alice.Type(kCtrlD);
  const auto alice_status = alice.WaitExit(kCallWait);
  ASSERT_TRUE(alice_status.has_value()) << "Ctrl-D did not end the chat\n" << alice.output();
  EXPECT_EQ(ExitCode(*alice_status), kExitOk) << alice.output();
  EXPECT_EQ(alice.output().find("error"), std::string::npos) << alice.output();
  ASSERT_TRUE(bob.WaitForOutput("* alice left", kOutputWait)) << bob.output();

  bob.Type(kCtrlD);
  const auto bob_status = bob.WaitExit(kCallWait);
  ASSERT_TRUE(bob_status.has_value()) << "Ctrl-D did not end the chat\n" << bob.output();
  EXPECT_EQ(ExitCode(*bob_status), kExitOk) << bob.output();
  EXPECT_EQ(bob.output().find("error"), std::string::npos) << bob.output();
}

}  // namespace
}  // namespace switchboard
