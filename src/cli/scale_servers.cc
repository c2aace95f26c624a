#include "cli/scale_servers.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/port_check.h"
#include "common/store/pg_connection.h"

namespace switchboard::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kSuperuser[] = "switchboard";
constexpr char kDatabase[] = "switchboard";
constexpr char kNatsDebianPath[] = "/usr/sbin/nats-server";
constexpr char kSetpriv[] = "/usr/bin/setpriv";
constexpr char kShell[] = "/bin/sh";
constexpr char kSetsid[] = "/usr/bin/setsid";
// How much of a failed child's log an error quotes.
constexpr int kLogTailLines = 15;
constexpr std::chrono::milliseconds kPoll{50};
// An initdb that outlives the wait is stopped; it gets this long to go.
constexpr std::chrono::milliseconds kInitdbStopGrace{2000};

// The last kLogTailLines lines of `path`, indented, or a note that there is none.
std::string LogTail(const std::string& path) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > static_cast<size_t>(kLogTailLines)) lines.pop_front();
  }
  if (lines.empty()) return absl::StrCat("(", path, " is empty)");
  return absl::StrCat("last lines of ", path, ":\n  ", absl::StrJoin(lines, "\n  "));
}

// `argv` with its output appended to `log`: a shell that redirects, then execs it, so the
// child's pid is the server's own and signals reach it. In a session of its own: Ctrl-C in a
// terminal signals the whole foreground process group, and the servers must outlive the
// services that still use them until `up` stops them last.
std::vector<std::string> WithLog(const std::string& log, const std::vector<std::string>& argv) {
  std::vector<std::string> wrapped = {
      kSetsid, kShell, "-c", "log=$1; shift; exec \"$@\" >>\"$log\" 2>&1", "sh", log};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

bool Accepts(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return false;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// A port on `host` the kernel just handed out, for a server left to pick none.
absl::StatusOr<int> FreePort(const std::string& host) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("host \"", host, "\" is not an IPv4 address"));
  }
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  socklen_t size = sizeof(addr);
  const bool ok = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) == 0;
  if (fd >= 0) close(fd);
  if (!ok) return absl::UnavailableError(absl::StrCat("no free port on ", host));
  return ntohs(addr.sin_port);
}

// `port`, or a free one for 0; an error naming what holds a port that is taken.
absl::StatusOr<int> PickPort(const std::string& host, int port, const std::string& what,
                             const std::string& flag) {
  if (port == 0) return FreePort(host);
  const common::PortUse use = common::CheckPort(host, port);
  if (use.kind == common::PortUse::Kind::kFree) return port;
  return absl::FailedPreconditionError(absl::StrCat("cannot listen on ", host, ":", port, " for ",
                                                    what, ": ", common::DescribePortUse(use),
                                                    " (set ", flag, ", or 0 for a free port)"));
}

// Waits until `ready` holds, giving up when the child `name` exits (quoting its log) or when
// `timeout` runs out.
absl::Status WaitReady(ProcessGroup& group, const std::string& name, const std::string& log,
                       std::chrono::milliseconds timeout, const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ready()) {
    if (auto exited = group.ReapExited()) {
      return absl::UnavailableError(absl::StrCat(exited->name, " ",
                                                 DescribeWaitStatus(exited->wait_status),
                                                 " while starting; ", LogTail(log)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(name, " was not ready within ", timeout.count(), " ms; ", LogTail(log)));
    }
    std::this_thread::sleep_for(kPoll);
  }
  return absl::OkStatus();
}

// The account PostgreSQL runs as: ourselves, or `root_user` when we are root.
struct PostgresAccount {
  bool switch_user = false;
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

absl::StatusOr<PostgresAccount> ResolveAccount(const std::string& root_user) {
  PostgresAccount account;
  if (geteuid() != 0) return account;
  const passwd* user = getpwnam(root_user.c_str());
  if (user == nullptr) {
    return absl::NotFoundError(absl::StrCat("no user \"", root_user,
                                            "\" to run PostgreSQL as (it refuses to run as root; "
                                            "set --scale-user to an existing account)"));
  }
  if (user->pw_uid == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--scale-user \"", root_user, "\" is root; PostgreSQL refuses to run as root"));
  }
  account.switch_user = true;
  account.name = root_user;
  account.uid = user->pw_uid;
  account.gid = user->pw_gid;
  return account;
}

// `argv` run as `account`: setpriv drops root for good, and keeps the parent-death signal that
// a change of user would otherwise clear, so PostgreSQL stops when `up` dies.
std::vector<std::string> AsAccount(const PostgresAccount& account,
                                   const std::vector<std::string>& argv) {
  if (!account.switch_user) return argv;
  std::vector<std::string> wrapped = {kSetpriv, absl::StrCat("--reuid=", account.uid),
                                      absl::StrCat("--regid=", account.gid), "--clear-groups",
                                      "--pdeathsig=TERM"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

// An account other than ours must be able to walk down to `dir`; a private temp or home
// directory on the way is the usual reason it cannot, so say which one.
absl::Status CheckReachable(const PostgresAccount& account, const fs::path& dir) {
  if (!account.switch_user) return absl::OkStatus();
  for (fs::path at = dir.parent_path(); !at.empty(); at = at.parent_path()) {
    struct stat info {};
    if (stat(at.c_str(), &info) != 0) break;
    const bool passable = info.st_uid == account.uid   ? (info.st_mode & S_IXUSR)
                          : info.st_gid == account.gid ? (info.st_mode & S_IXGRP)
                                                       : (info.st_mode & S_IXOTH);
    if (!passable) {
      return absl::PermissionDeniedError(absl::StrCat(
          "PostgreSQL runs as ", account.name, ", who cannot enter ", at.string(),
          " on the way to ", dir.string(), " (chmod o+x it, or choose another --data-dir)"));
    }
    if (at == at.root_path()) break;
  }
  return absl::OkStatus();
}

// A cluster in DATA_DIR/postgres/data, made once: initdb writes into a scratch directory that
// is renamed only when it succeeded, so an interrupted initdb never leaves a half cluster that
// a later `up` would take for a whole one.
absl::Status EnsureCluster(const ScaleServerOptions& options, const PostgresAccount& account,
                           const fs::path& root) {
  const fs::path data = root / "data";
  std::error_code ec;
  if (fs::exists(data / "PG_VERSION", ec)) return absl::OkStatus();
  const fs::path scratch = root / "data.initdb";
  fs::remove_all(scratch, ec);
  const std::string log = (root / "initdb.log").string();
  ProcessGroup initdb;
  if (!initdb.Start(
          "initdb",
          WithLog(log, AsAccount(account, {options.postgres_bin_dir + "/initdb", "-D",
                                           scratch.string(), "-U", kSuperuser, "--auth=trust",
                                           "--encoding=UTF8", "--locale=C"})))) {
    return absl::InternalError("cannot start initdb");
  }
  const auto deadline = std::chrono::steady_clock::now() + options.ready_timeout;
  while (true) {
    if (auto done = initdb.ReapExited()) {
      if (done->wait_status != 0) {
        return absl::InternalError(
            absl::StrCat("initdb ", DescribeWaitStatus(done->wait_status), "; ", LogTail(log)));
      }
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      initdb.StopAll(kInitdbStopGrace);
      return absl::DeadlineExceededError(absl::StrCat(
          "initdb did not finish within ", options.ready_timeout.count(), " ms; ", LogTail(log)));
    }
    std::this_thread::sleep_for(kPoll);
  }
  fs::rename(scratch, data, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot rename ", scratch.string(), " to ",
                                            data.string(), ": ", ec.message()));
  }
  return absl::OkStatus();
}

// The database the services share, made on the first start.
absl::Status EnsureDatabase(const std::string& server_url) {
  auto conn = common::store::PgConnection::Connect(server_url, "scale store");
  if (!conn.ok()) return conn.status();
  auto found =
      (*conn)->Execute(absl::StrCat("SELECT 1 FROM pg_database WHERE datname = '", kDatabase, "'"));
  if (!found.ok()) return found.status();
  if (found->Rows() > 0) return absl::OkStatus();
  auto made = (*conn)->Execute(absl::StrCat("CREATE DATABASE ", kDatabase));
  return made.ok() ? absl::OkStatus() : made.status();
}

absl::Status StartPostgres(const ScaleServerOptions& options, ProcessGroup& group,
                           ScaleServers& servers) {
  const std::string postgres = options.postgres_bin_dir + "/postgres";
  if (access(postgres.c_str(), X_OK) != 0 ||
      access((options.postgres_bin_dir + "/initdb").c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "PostgreSQL 15 is not installed (no postgres and initdb in ", options.postgres_bin_dir,
        "): install Debian's postgresql-15 (apt-get install postgresql-15), or give an existing "
        "server with --store postgres://user@host:port/db"));
  }
  auto account = ResolveAccount(options.root_user);
  if (!account.ok()) return account.status();
  auto port = PickPort(options.host, options.postgres_port, "PostgreSQL", "--postgres-port");
  if (!port.ok()) return port.status();

  const fs::path root = fs::absolute(fs::path(options.data_dir) / "postgres").lexically_normal();
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot create ", root.string(), ": ", ec.message()));
  }
  if (account->switch_user && chown(root.c_str(), account->uid, account->gid) != 0) {
    return absl::InternalError(absl::StrCat("cannot give ", root.string(), " to ", account->name));
  }
  if (auto reachable = CheckReachable(*account, root); !reachable.ok()) return reachable;
  if (auto cluster = EnsureCluster(options, *account, root); !cluster.ok()) return cluster;

  const std::string log = (root / "postgres.log").string();
  const std::vector<std::string> argv = {
      postgres, "-D", (root / "data").string(), "-p", absl::StrCat(*port), "-c",
      absl::StrCat("listen_addresses=", options.host),
      // TCP only: a unix socket path under a deep data directory can exceed its length limit.
      "-c", "unix_socket_directories=", "-c",
      absl::StrCat("max_connections=", options.postgres_max_connections)};
  if (!group.Start(kPostgresChild, WithLog(log, AsAccount(*account, argv)))) {
    return absl::InternalError("cannot start postgres");
  }
  const std::string address = absl::StrCat(options.host, ":", *port);
  const std::string server_url = absl::StrCat("postgres://", kSuperuser, "@", address, "/postgres");
  if (auto ready = WaitReady(group, kPostgresChild, log, options.ready_timeout,
                             [&] { return PQping(server_url.c_str()) == PQPING_OK; });
      !ready.ok()) {
    return ready;
  }
  if (auto made = EnsureDatabase(server_url); !made.ok()) {
    return absl::Status(made.code(),
                        absl::StrCat("creating database ", kDatabase, ": ", made.message()));
  }
  servers.postgres_address = address;
  servers.store_url = absl::StrCat("postgres://", kSuperuser, "@", address, "/", kDatabase);
  return absl::OkStatus();
}

// /usr/sbin/nats-server (Debian's), else the first on PATH.
std::optional<std::string> FindNatsServer() {
  if (access(kNatsDebianPath, X_OK) == 0) return std::string(kNatsDebianPath);
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      std::string candidate = absl::StrCat(dir, "/nats-server");
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return std::nullopt;
}

absl::Status StartNats(const ScaleServerOptions& options, ProcessGroup& group,
                       ScaleServers& servers) {
  const auto binary = FindNatsServer();
  if (!binary) {
    return absl::NotFoundError(
        "nats-server is not installed (not at /usr/sbin/nats-server nor on PATH): install "
        "Debian's nats-server (apt-get install nats-server), or give an existing server with "
        "--bus nats://host:port");
  }
  auto port = PickPort(options.host, options.nats_port, "nats-server", "--nats-port");
  if (!port.ok()) return port.status();
  const fs::path root = fs::absolute(fs::path(options.data_dir) / "nats").lexically_normal();
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot create ", root.string(), ": ", ec.message()));
  }
  const std::string log = (root / "nats-server.log").string();
  if (!group.Start(kNatsChild, WithLog(log, {*binary, "-a", options.host, "-p", absl::StrCat(*port),
                                             "-js", "-sd", (root / "jetstream").string()}))) {
    return absl::InternalError("cannot start nats-server");
  }
  if (auto ready = WaitReady(group, kNatsChild, log, options.ready_timeout,
                             [&] { return Accepts(options.host, *port); });
      !ready.ok()) {
    return ready;
  }
  servers.nats_address = absl::StrCat(options.host, ":", *port);
  servers.bus_url = absl::StrCat("nats://", servers.nats_address);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ScaleServers> StartScaleServers(const ScaleServerOptions& options,
                                               ProcessGroup& group) {
  ScaleServers servers;
  if (options.start_postgres) {
    if (auto started = StartPostgres(options, group, servers); !started.ok()) return started;
  }
  if (options.start_nats) {
    if (auto started = StartNats(options, group, servers); !started.ok()) return started;
  }
  return servers;
}

}  // namespace switchboard::cli
