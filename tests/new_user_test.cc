// What a new user meets in the first hour, each against real `switchboard` processes on
// loopback: `call` without --address (health, replicas), get-file's two forms, `call describe`.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "common/health_probe.h"
#include "switchboard/fraud/v1/fraud.grpc.pb.h"
#include "switchboard/upload/v1/upload.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"

namespace switchboard {
namespace {

using testing::ChildProcess;
using testing::SwitchboardBinary;

// How long one `switchboard call` may take before the test gives up on it (and kills it).
constexpr std::chrono::seconds kCallWait{20};
constexpr std::chrono::seconds kStartWait{20};
// The services of the system, as `switchboard call --list` and the config name them.
const std::vector<std::string> kServices = {"ticket",  "fraud", "payment", "user", "notification",
                                            "booking", "stock", "upload",  "chat"};
// Replicas of ticket in the balancing test; ports are taken in blocks this wide.
constexpr int kTicketReplicas = 2;
// Calls made until each ticket replica has answered one; with a random first pick per call
// the chance that one replica gets none of them is 2 * 2^-kBalancedCalls.
constexpr int kBalancedCalls = 16;
constexpr int kDownloadBytes = 300 * 1000;
// Every fraud check takes this long (services.fraud.delay), so one is in flight when the
// test stops the server; shorter than the services' 2 s shutdown grace.
constexpr std::chrono::milliseconds kFraudDelay{1000};
// How long after sending a call the test lets it reach the server before stopping it (the
// issue saw calls end 0.22 s after the signal).
constexpr std::chrono::milliseconds kInFlight{300};
// The grace (2 s) plus the margin for the services' own answers, and room for a busy machine.
constexpr std::chrono::seconds kStopWait{6};
constexpr std::chrono::milliseconds kOutputPoll{50};
// How long `up` may take to report every service healthy.
constexpr std::chrono::seconds kUpWait{60};
// How long the test keeps a port held by a connection while `up` waits for it: well inside
// the wait `up` allows for a live connection (common::kConnectionHeldPortWait, 10 s).
constexpr std::chrono::milliseconds kHeldFor{1500};

bool PortFree(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return free;
}

// A first port with `count` free ports from it, none of them among the ports this process has
// handed out already: a block is only free, not held, so the next service's port could
// otherwise be a replica's.
int FreePorts(int count) {
  static std::mutex mutex;
  static std::set<int> handed_out;
  std::lock_guard<std::mutex> lock(mutex);
  while (true) {
    const int first = testing::FreePort();
    bool all = true;
    for (int i = 0; i < count && all; ++i) {
      all = handed_out.count(first + i) == 0 && (i == 0 || PortFree(first + i));
    }
    if (!all) continue;
    for (int i = 0; i < count; ++i) handed_out.insert(first + i);
    return first;
  }
}

// Polls `child`'s output until it contains `text`, the child exits, or `timeout` passes.
bool WaitForOutput(ChildProcess& child, const std::string& text,
                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (child.Output().find(text) != std::string::npos) return true;
    if (!child.Running()) break;
    std::this_thread::sleep_for(kOutputPoll);
  }
  return child.Output().find(text) != std::string::npos;
}

// A socket listening on 127.0.0.1:`port` (0: any), closed with the object.
class Listener {
 public:
  explicit Listener(int port) {
    // Not inherited by the processes the test starts, which would keep it open.
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
             listen(fd_, SOMAXCONN) == 0;
    socklen_t length = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { close(fd_); }
  bool ok() const { return bound_; }
  int port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  bool bound_ = false;
};

// A client connection whose local end is 127.0.0.1:`local_port`, as a connection of a load
// test can hold a port of the ephemeral range; nothing listens on that port.
class ConnectionFrom {
 public:
  ConnectionFrom(int local_port, const Listener& server) {
    const int remote_port = server.port();
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    local.sin_port = htons(static_cast<uint16_t>(local_port));
    sockaddr_in remote = local;
    remote.sin_port = htons(static_cast<uint16_t>(remote_port));
    connected_ = bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) == 0 &&
                 connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) == 0;
    if (connected_) server_fd_ = accept4(server.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    connected_ = connected_ && server_fd_ >= 0;
  }
  ~ConnectionFrom() { Close(); }
  bool ok() const { return connected_; }
  // The server end closes first, so the client's end, closed next, does not stay in
  // TIME_WAIT (60 s, which `up` would wait out too).
  void Close() {
    if (server_fd_ >= 0) close(server_fd_);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    server_fd_ = -1;
  }

 private:
  int fd_ = -1;
  int server_fd_ = -1;
  bool connected_ = false;
};

struct Result {
  int code = -1;
  std::string output;
};

Result RunProcess(const std::vector<std::string>& argv, const std::string& log) {
  ChildProcess child(argv, log);
  const int status = child.Stop(0, kCallWait);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, child.Output()};
}

// A system config in a temporary directory with every service on free ports, and the
// services a test starts with `switchboard serve` from it.
class NewUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string yaml = "host: 127.0.0.1\ndata_dir: " + dir_.path() + "/var\nservices:\n";
    for (const auto& name : kServices) {
      const int replicas = name == "ticket" ? kTicketReplicas : 1;
      ports_[name] = FreePorts(replicas);
      yaml += "  " + name + ": {port: " + std::to_string(ports_[name]) +
              ", replicas: " + std::to_string(replicas) +
              (name == "fraud" ? ", delay: " + std::to_string(kFraudDelay.count()) + "ms" : "") +
              "}\n";
    }
    gateway_port_ = FreePorts(1);
    yaml += "gateway_port: " + std::to_string(gateway_port_) + "\n";
    yaml_ = yaml;
    config_ = dir_.path() + "/switchboard.yaml";
    std::ofstream(config_) << yaml;
  }

  // `switchboard up ARGS...` in the background, its output in up.log.
  std::unique_ptr<ChildProcess> StartUp(std::vector<std::string> args) {
    args.insert(args.begin(), {SwitchboardBinary(), "up"});
    return std::make_unique<ChildProcess>(args, dir_.path() + "/up.log");
  }

  void Serve(const std::string& name, int replica = 1) {
    const std::string address = "127.0.0.1:" + std::to_string(ports_[name] + replica - 1);
    servers_.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{SwitchboardBinary(), "serve", name, "--config", config_,
                                 "--replica", std::to_string(replica)},
        dir_.path() + "/" + name + "-" + std::to_string(replica) + ".log"));
    ASSERT_TRUE(common::WaitForServing(address, kStartWait)) << servers_.back()->Output();
  }

  // `switchboard call ARGS... --config CONFIG`: no --address.
  Result Call(std::vector<std::string> args) {
    args.insert(args.begin(), {SwitchboardBinary(), "call"});
    args.push_back("--config");
    args.push_back(config_);
    return RunProcess(args, dir_.path() + "/call.log");
  }

  testing::TempDir dir_;
  std::map<std::string, int> ports_;
  int gateway_port_ = 0;
  std::string yaml_;
  std::string config_;
  std::vector<std::unique_ptr<ChildProcess>> servers_;
};

TEST_F(NewUserTest, HealthCheckNeedsNoAddress) {
  Serve("ticket");
  Serve("upload");
  // The whole server: asked of the first service, which says so.
  Result all = Call({"health", "check", "{}", "--trace"});
  EXPECT_EQ(all.code, 0) << all.output;
  EXPECT_NE(all.output.find(R"("status": "SERVING")"), std::string::npos) << all.output;
  EXPECT_NE(all.output.find("x-server-id: ticket-1@"), std::string::npos) << all.output;
  EXPECT_NE(all.output.find("health: asking the ticket process"), std::string::npos) << all.output;

  // A service by its gRPC name goes to that service's process.
  Result upload =
      Call({"health", "check", R"({"service":"switchboard.upload.v1.UploadService"})", "--trace"});
  EXPECT_EQ(upload.code, 0) << upload.output;
  EXPECT_NE(upload.output.find(R"("status": "SERVING")"), std::string::npos) << upload.output;
  EXPECT_NE(upload.output.find("x-server-id: upload-1@"), std::string::npos) << upload.output;

  Result on = Call({"health", "check", "{}", "--on", "upload", "--trace"});
  EXPECT_EQ(on.code, 0) << on.output;
  EXPECT_NE(on.output.find("x-server-id: upload-1@"), std::string::npos) << on.output;

  struct Case {
    std::vector<std::string> args;
    std::string message;
  } errors[] = {
      {{"health", "check", "{}", "--on", "nosuch"}, "--on: unknown service \"nosuch\""},
      {{"health", "check", R"({"service":"nosuch.Service"})"},
       "no process serves \"nosuch.Service\": name one with --on SERVICE"},
      {{"ticket", "get-event", "{}", "--on", "upload"}, "--on chooses the process for health"},
  };
  for (const auto& c : errors) {
    Result result = Call(c.args);
    EXPECT_EQ(result.code, 2) << result.output;
    EXPECT_NE(result.output.find(c.message), std::string::npos) << result.output;
  }
}

TEST_F(NewUserTest, EveryListedServiceHasADefaultAddress) {
  Result list = RunProcess({SwitchboardBinary(), "call", "--list"}, dir_.path() + "/list.log");
  ASSERT_EQ(list.code, 0) << list.output;
  // "ticket  (switchboard.ticket.v1.TicketService)" then "  GetEvent(...) -> ...".
  const std::regex line(R"(^(\w+)  \([\w.]+\)\n  (\w+)\()",
                        std::regex::ECMAScript | std::regex::multiline);
  int services = 0;
  for (std::sregex_iterator
           it(list.output.begin(), list.output.end(), line, std::regex_constants::match_not_null),
       end;
       it != end; ++it) {
    const std::string service = (*it)[1];
    const std::string method = (*it)[2];
    if (service == "chat") continue;  // interactive: needs --room and --user, tested elsewhere
    // Nothing listens: the call is made, to the configured port, and fails UNAVAILABLE.
    Result result = Call({service, method, "{}", "--timeout", "2s"});
    EXPECT_EQ(result.code, 1) << service << " " << method << ": " << result.output;
    EXPECT_NE(result.output.find("error: UNAVAILABLE"), std::string::npos)
        << service << " " << method << ": " << result.output;
    EXPECT_EQ(result.output.find("Failed to create"), std::string::npos) << result.output;
    ++services;
  }
  EXPECT_EQ(services, static_cast<int>(kServices.size()));  // ours less chat, plus health
}

TEST_F(NewUserTest, CallWithoutConfigReadsWhatUpWroteInVar) {
  Serve("ticket");
  // `up` with the default data directory leaves ./var/switchboard.yaml: a `call` run in the
  // same directory finds the services there, ports and replicas, with no flag at all.
  const std::string var = dir_.path() + "/cwd/var";
  std::filesystem::create_directories(var);
  std::filesystem::copy_file(config_, var + "/switchboard.yaml");
  const std::string command = "cd " + dir_.path() + "/cwd && exec " + SwitchboardBinary() +
                              " call ticket get-event '{\"id\":\"evt-1\"}' --trace";
  Result result = RunProcess({"/bin/sh", "-c", command}, dir_.path() + "/cwd.log");
  EXPECT_EQ(result.code, 0) << result.output;
  EXPECT_NE(result.output.find("x-server-id: ticket-1@"), std::string::npos) << result.output;
}

TEST_F(NewUserTest, CallBalancesOverReplicas) {
  for (int replica = 1; replica <= kTicketReplicas; ++replica) Serve("ticket", replica);
  std::set<std::string> answered;
  for (int i = 0; i < kBalancedCalls && static_cast<int>(answered.size()) < kTicketReplicas; ++i) {
    Result result = Call({"ticket", "get-event", R"({"id":"evt-1"})", "--trace"});
    ASSERT_EQ(result.code, 0) << result.output;
    std::smatch id;
    ASSERT_TRUE(std::regex_search(result.output, id, std::regex(R"(x-server-id: (ticket-\d)@)")))
        << result.output;
    answered.insert(id[1]);
  }
  EXPECT_EQ(answered, (std::set<std::string>{"ticket-1", "ticket-2"}));
}

TEST_F(NewUserTest, GetFileToStdoutAndFromJson) {
  Serve("upload");
  const std::string original = dir_.path() + "/original.bin";
  {
    std::mt19937 random(7);
    std::string bytes(kDownloadBytes, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    std::ofstream(original, std::ios::binary) << bytes;
  }
  Result uploaded = Call({"upload", "upload-file", "--file", original});
  ASSERT_EQ(uploaded.code, 0) << uploaded.output;
  std::smatch id;
  ASSERT_TRUE(std::regex_search(uploaded.output, id, std::regex(R"re("fileId": "([^"]+)")re")))
      << uploaded.output;
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string expected = read(original);

  // --file ID without --output: the bytes on stdout.
  const std::string piped = dir_.path() + "/piped.bin";
  Result to_stdout = RunProcess({"/bin/sh", "-c",
                                 SwitchboardBinary() + " call upload get-file --file " +
                                     id[1].str() + " --config " + config_ + " > " + piped},
                                dir_.path() + "/stdout.log");
  EXPECT_EQ(to_stdout.code, 0) << to_stdout.output;
  EXPECT_TRUE(read(piped) == expected) << "stdout got " << read(piped).size() << " bytes";

  // The JSON form with --output.
  const std::string saved = dir_.path() + "/saved.bin";
  Result from_json =
      Call({"upload", "get-file", R"({"fileId":")" + id[1].str() + R"("})", "--output", saved});
  EXPECT_EQ(from_json.code, 0) << from_json.output;
  EXPECT_TRUE(read(saved) == expected) << "saved " << read(saved).size() << " bytes";

  // An id nobody has: the server's answer, and no file left behind.
  const std::string missing = dir_.path() + "/missing.bin";
  Result not_found = Call({"upload", "get-file", R"({"fileId":"nosuch"})", "--output", missing});
  EXPECT_EQ(not_found.code, 1) << not_found.output;
  EXPECT_NE(not_found.output.find("NOT_FOUND"), std::string::npos) << not_found.output;
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(NewUserTest, DescribeShowsWhatARequestTakes) {
  Result described = RunProcess({SwitchboardBinary(), "call", "describe", "user", "create"},
                                dir_.path() + "/describe.log");
  EXPECT_EQ(described.code, 0) << described.output;
  EXPECT_NE(described.output.find("  email  string\n"), std::string::npos) << described.output;
  EXPECT_NE(described.output.find("  displayName  string\n"), std::string::npos)
      << described.output;
  EXPECT_NE(described.output.find(R"({"email":"text","displayName":"text"})"), std::string::npos)
      << described.output;

  Serve("user");
  Result wrong = Call({"user", "create", R"({"name":"Alice"})"});
  EXPECT_EQ(wrong.code, 2) << wrong.output;
  EXPECT_NE(wrong.output.find("CreateUserRequest has: email (string), displayName (string)"),
            std::string::npos)
      << wrong.output;
  EXPECT_NE(wrong.output.find("switchboard call describe user create"), std::string::npos)
      << wrong.output;
  Result right = Call({"user", "create", R"({"email":"alice@example.com","displayName":"Alice"})"});
  EXPECT_EQ(right.code, 0) << right.output;
  EXPECT_NE(right.output.find(R"("displayName": "Alice")"), std::string::npos) << right.output;

  Result unknown = RunProcess({SwitchboardBinary(), "call", "describe", "user", "nosuch"},
                              dir_.path() + "/describe.log");
  EXPECT_EQ(unknown.code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("unknown method \"nosuch\""), std::string::npos) << unknown.output;
}

TEST_F(NewUserTest, SigtermLetsCallsInFlightFinishAndRefusesNewOnes) {
  Serve("fraud");
  ChildProcess* fraud_server = servers_.back().get();
  Serve("upload");
  ChildProcess* upload_server = servers_.back().get();
  const std::string fraud_address = "127.0.0.1:" + std::to_string(ports_["fraud"]);
  const std::string upload_address = "127.0.0.1:" + std::to_string(ports_["upload"]);
  auto fraud = fraud::v1::FraudService::NewStub(
      grpc::CreateChannel(fraud_address, grpc::InsecureChannelCredentials()));
  auto upload = upload::v1::UploadService::NewStub(
      grpc::CreateChannel(upload_address, grpc::InsecureChannelCredentials()));
  auto deadline = [] { return std::chrono::system_clock::now() + kCallWait; };

  // A slow unary call (fraud's delay) and an upload whose client is still sending.
  grpc::ClientContext check_context;
  check_context.set_deadline(deadline());
  fraud::v1::CheckRequest check;
  check.set_user_id("u1");
  check.set_amount(100);
  check.set_currency("GBP");
  fraud::v1::CheckResult check_result;
  std::promise<grpc::Status> check_done;
  fraud->async()->Check(&check_context, &check, &check_result,
                        [&check_done](grpc::Status status) { check_done.set_value(status); });
  grpc::ClientContext upload_context;
  upload_context.set_deadline(deadline());
  upload::v1::UploadResult upload_result;
  auto writer = upload->UploadFile(&upload_context, &upload_result);
  upload::v1::FileChunk chunk;
  chunk.set_chunk_number(1);
  chunk.set_file_name("late.bin");
  chunk.set_data(std::string(1000, 'a'));
  ASSERT_TRUE(writer->Write(chunk));
  std::this_thread::sleep_for(kInFlight);

  const auto signalled = std::chrono::steady_clock::now();
  kill(fraud_server->pid(), SIGTERM);
  kill(upload_server->pid(), SIGTERM);
  // The upload goes on after the signal: its next chunk and its end are still taken.
  std::this_thread::sleep_for(kInFlight);
  chunk.set_chunk_number(2);
  chunk.clear_file_name();
  chunk.set_data(std::string(1000, 'b'));
  EXPECT_TRUE(writer->Write(chunk));
  writer->WritesDone();
  const grpc::Status uploaded = writer->Finish();
  EXPECT_TRUE(uploaded.ok()) << uploaded.error_code() << " " << uploaded.error_message();
  EXPECT_EQ(upload_result.total_bytes(), 2000);

  auto checked = check_done.get_future();
  ASSERT_EQ(checked.wait_for(kStopWait), std::future_status::ready);
  const grpc::Status check_status = checked.get();
  EXPECT_TRUE(check_status.ok()) << check_status.error_code() << " "
                                 << check_status.error_message();

  // New calls are refused while the servers drain.
  grpc::ClientContext late_context;
  late_context.set_deadline(deadline());
  fraud::v1::CheckResult late_result;
  const grpc::Status late =
      fraud::v1::FraudService::NewStub(
          grpc::CreateChannel(fraud_address, grpc::InsecureChannelCredentials()))
          ->Check(&late_context, check, &late_result);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::UNAVAILABLE) << late.error_message();

  // And both stop cleanly within the grace.
  for (ChildProcess* server : {fraud_server, upload_server}) {
    const int status = server->Stop(0, kStopWait);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << server->Output();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, kStopWait);
}

TEST_F(NewUserTest, AnEmptyDataDirIsAnError) {
  Result up = RunProcess({SwitchboardBinary(), "up", "--config", config_, "--data-dir", ""},
                         dir_.path() + "/up.log");
  EXPECT_EQ(up.code, 2) << up.output;
  EXPECT_NE(up.output.find("switchboard up: --data-dir: must not be empty"), std::string::npos)
      << up.output;
  Result serve =
      RunProcess({SwitchboardBinary(), "serve", "ticket", "--config", config_, "--data-dir", ""},
                 dir_.path() + "/serve.log");
  EXPECT_EQ(serve.code, 2) << serve.output;
  EXPECT_NE(serve.output.find("switchboard serve: --data-dir: must not be empty"),
            std::string::npos)
      << serve.output;
}

TEST_F(NewUserTest, APortInUseIsOneClearLineNamingWhatHoldsIt) {
  Listener taken(0);
  ASSERT_TRUE(taken.ok());
  const std::string port = std::to_string(taken.port());
  const std::string holder = "the port is in use by pid " + std::to_string(getpid());
  // grpc-core's log lines: "E1207 13:45:07.354556752    8683 file.cc:456] ...".
  const std::regex grpc_log(R"((^|\n)[EWID]\d{4} \d\d:\d\d:\d\d)");
  struct Case {
    std::vector<std::string> argv;
    std::string message;
  } cases[] = {
      {{SwitchboardBinary(), "serve", "ticket", "--port", port, "--data-dir", dir_.path()},
       "switchboard serve ticket: cannot listen on 127.0.0.1:" + port + ": " + holder},
      {{SwitchboardBinary(), "xds", "--listen", "127.0.0.1:" + port, "--data-dir",
        dir_.path() + "/xds"},
       "switchboard xds: cannot listen on 127.0.0.1:" + port + ": " + holder},
  };
  for (const auto& c : cases) {
    Result result = RunProcess(c.argv, dir_.path() + "/in-use.log");
    EXPECT_EQ(result.code, 1) << result.output;
    EXPECT_NE(result.output.find(c.message), std::string::npos) << result.output;
    EXPECT_FALSE(std::regex_search(result.output, grpc_log)) << result.output;
  }
  // `up` names the holder too, before starting anything.
  std::ofstream(config_, std::ios::trunc)
      << std::regex_replace(yaml_, std::regex("ticket: \\{port: \\d+"), "ticket: {port: " + port);
  Result up = RunProcess({SwitchboardBinary(), "up", "--config", config_, "--only", "ticket"},
                         dir_.path() + "/up.log");
  EXPECT_EQ(up.code, 1) << up.output;
  EXPECT_NE(up.output.find("cannot listen on 127.0.0.1:" + port + " for ticket-1: " + holder),
            std::string::npos)
      << up.output;
}

TEST_F(NewUserTest, UpWaitsForAPortHeldOnlyByAClientConnection) {
  // ticket-2's port is the local end of a client's connection, as right after a load test;
  // nothing listens there.
  Listener server(0);
  ASSERT_TRUE(server.ok());
  ConnectionFrom client(ports_["ticket"] + 1, server);
  ASSERT_TRUE(client.ok()) << "could not hold port " << ports_["ticket"] + 1;
  auto up = StartUp({"--config", config_, "--only", "ticket"});
  // `up` waits for the connection instead of refusing the port at once.
  std::this_thread::sleep_for(kHeldFor);
  EXPECT_TRUE(up->Running()) << up->Output();
  client.Close();
  ASSERT_TRUE(WaitForOutput(*up, "All 2 services healthy", kUpWait)) << up->Output();
  EXPECT_EQ(up->Output().find("port is in use"), std::string::npos) << up->Output();
  EXPECT_NE(up->Output().find(
                "port 127.0.0.1:" + std::to_string(ports_["ticket"] + 1) +
                " is held by a connection (127.0.0.1:" + std::to_string(ports_["ticket"] + 1) +
                " -> 127.0.0.1:" + std::to_string(server.port()) +
                " ESTABLISHED), not a listener; waiting up to 10s"),
            std::string::npos)
      << up->Output();
  const int status = up->Stop(SIGTERM, kStopWait);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << up->Output();
}

TEST_F(NewUserTest, ATinyReadyTimeoutIsNotReportedAsAFailureToStart) {
  auto up = StartUp({"--config", config_, "--only", "ticket,gateway", "--replicas", "ticket=1",
                     "--ready-timeout", "1ms"});
  ASSERT_TRUE(WaitForOutput(*up, "services healthy", kUpWait) || !up->Running()) << up->Output();
  const std::string output = up->Output();
  // Each wait lasts at least a health probe's time, so on an idle machine all are ready; if
  // one is not, the message says which wait ran out, not that the gateway did not start.
  EXPECT_EQ(output.find("the gateway did not start"), std::string::npos) << output;
  if (output.find("All 2 services healthy") == std::string::npos) {
    EXPECT_NE(output.find("within 1ms (--ready-timeout"), std::string::npos) << output;
  }
  up->Stop(SIGTERM, kStopWait);
}

TEST_F(NewUserTest, UpWithXdsStopsTheControlPlaneLast) {
  const int xds_port = FreePorts(1);
  std::ofstream(config_, std::ios::app) << "xds: 127.0.0.1:" << xds_port << "\n";
  auto up = StartUp({"--config", config_, "--only", "ticket", "--xds"});
  ASSERT_TRUE(WaitForOutput(*up, "All 3 services healthy", kUpWait)) << up->Output();
  // Both replicas registered with the control plane (which happens after they serve).
  for (const char* replica : {"server_id=ticket-1", "server_id=ticket-2"}) {
    ASSERT_TRUE(
        WaitForOutput(*up, std::string("xds registered service=ticket ") + replica, kUpWait))
        << up->Output();
  }
  const int status = up->Stop(SIGTERM, kStopWait + kStopWait);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << up->Output();
  const std::string output = up->Output();
  // Both replicas deregistered from a control plane that was still there.
  EXPECT_NE(output.find("xds deregistered server_id=ticket-1"), std::string::npos) << output;
  EXPECT_NE(output.find("xds deregistered server_id=ticket-2"), std::string::npos) << output;
  EXPECT_EQ(output.find("failed: CANCELLED"), std::string::npos) << output;
  // And the control plane was told to stop only after that (one log, written in order).
  const size_t xds_stopping = output.find("xds control plane stopping");
  ASSERT_NE(xds_stopping, std::string::npos) << output;
  for (const char* replica : {"ticket-1", "ticket-2"}) {
    EXPECT_LT(output.find(std::string("xds deregistered server_id=") + replica), xds_stopping)
        << output;
  }
  EXPECT_EQ(output.find("xds deregister server_id"), std::string::npos) << output;
}

}  // namespace
}  // namespace switchboard
