#include "common/store/testing/postgres_server.h"

#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/store/pg_connection.h"

namespace switchboard::common::store::testing {
namespace {

using switchboard::testing::ChildProcess;

constexpr std::chrono::milliseconds kPollInterval{50};
constexpr std::chrono::seconds kStopTimeout{10};

// Runs `argv` to its end; an error when it fails or outlives `timeout`.
absl::Status RunToEnd(const std::vector<std::string>& argv, const std::string& log,
                      std::chrono::seconds timeout) {
  ChildProcess child(argv, log);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (child.Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
  }
  const int status = child.Stop(SIGKILL, kStopTimeout);
  if (status == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(absl::StrJoin(argv, " "), " failed (wait status ", status,
                                          "): ", child.Output()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Create(
    const PostgresServerOptions& options) {
  std::unique_ptr<PostgresServer> server(new PostgresServer(options));
  if (auto s = server->Init(); !s.ok()) return s;
  if (auto s = server->Start(); !s.ok()) return s;
  return server;
}

absl::Status PostgresServer::Init() {
  char pattern[] = "/tmp/sb-postgres-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return absl::InternalError("mkdtemp failed");
  dir_ = pattern;
  const passwd* user = getpwnam(options_.os_user.c_str());
  const group* grp = getgrnam(options_.os_group.c_str());
  if (user == nullptr || grp == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("no user ", options_.os_user, " or group ", options_.os_group));
  }
  if (chown(dir_.c_str(), user->pw_uid, grp->gr_gid) != 0) {
    return absl::InternalError(absl::StrCat("chown ", dir_, " failed"));
  }
  port_ = switchboard::testing::FreePort();
  return RunToEnd(
      {"/usr/bin/setpriv", "--reuid=" + options_.os_user, "--regid=" + options_.os_group,
       "--clear-groups", options_.bin_dir + "/initdb", "-D", dir_ + "/data", "-U", kSuperuser,
       "--auth=trust", "--locale=C", "--encoding=UTF8", "--no-sync"},
      dir_ + "/initdb.log", options_.start_timeout);
}

absl::Status PostgresServer::Start() {
  if (server_ != nullptr) return absl::OkStatus();
  ++starts_;  // a log per start, so a restart keeps the earlier run's log readable
  server_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{
          "/usr/bin/setpriv", "--reuid=" + options_.os_user, "--regid=" + options_.os_group,
          "--clear-groups", options_.bin_dir + "/postgres", "-D", dir_ + "/data", "-p",
          absl::StrCat(port_), "-k", dir_, "-c", "listen_addresses=127.0.0.1", "-c",
          absl::StrCat("max_connections=", options_.max_connections), "-c", "fsync=off"},
      LogPath());
  const std::string conninfo = Url();
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!server_->Running()) {
      std::string log = Log();
      server_.reset();
      return absl::InternalError(absl::StrCat("postgres exited at start: ", log));
    }
    if (PQping(conninfo.c_str()) == PQPING_OK) return absl::OkStatus();
    std::this_thread::sleep_for(kPollInterval);
  }
  std::string log = Log();
  Stop();
  return absl::DeadlineExceededError(absl::StrCat("postgres did not start in time: ", log));
}

void PostgresServer::Stop() {
  if (server_ == nullptr) return;
  server_->Stop(SIGQUIT, kStopTimeout);
  server_.reset();
}

PostgresServer::~PostgresServer() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string PostgresServer::Url(const std::string& database) const {
  return absl::StrCat("postgres://", kSuperuser, "@127.0.0.1:", port_, "/", database);
}

std::string PostgresServer::LogPath() const {
  return absl::StrCat(dir_, "/server-", starts_, ".log");
}

std::string PostgresServer::Log() const {
  std::ifstream in(LogPath());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase(const std::string& name) {
  auto conn = PgConnection::Connect(Url(), "test server");
  if (!conn.ok()) return conn.status();
  if (auto made = (*conn)->Execute(absl::StrCat("CREATE DATABASE \"", name, "\"")); !made.ok()) {
    return made.status();
  }
  return Url(name);
}

}  // namespace switchboard::common::store::testing

namespace switchboard::common::store::testing {

absl::StatusOr<PostgresServer*> SharedPostgresServer() {
  static std::mutex mutex;
  static std::unique_ptr<PostgresServer> server;
  std::lock_guard<std::mutex> lock(mutex);
  if (server == nullptr) {
    auto created = PostgresServer::Create();
    if (!created.ok()) return created.status();
    server = std::move(*created);
  }
  return server.get();
}

absl::StatusOr<std::string> FreshPostgresDatabase() {
  static std::atomic<int> next{1};
  auto server = SharedPostgresServer();
  if (!server.ok()) return server.status();
  return (*server)->CreateDatabase(absl::StrCat("t", next++));
}

}  // namespace switchboard::common::store::testing
