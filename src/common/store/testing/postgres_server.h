// A real PostgreSQL 15 server for tests: initdb in a temporary directory owned by an
// unprivileged user (PostgreSQL refuses to run as root, and CI runs tests as root), listening
// on a free loopback port with its unix socket in that directory. Always stopped (an immediate
// shutdown, as `pg_ctl stop -m immediate`) and removed when the object goes away.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "testing/child_process.h"

namespace switchboard::common::store::testing {

struct PostgresServerOptions {
  static constexpr char kDefaultBinDir[] = "/usr/lib/postgresql/15/bin";
  static constexpr char kDefaultUser[] = "nobody";
  static constexpr char kDefaultGroup[] = "nogroup";
  static constexpr std::chrono::seconds kDefaultStartTimeout{60};
  // Three ticket and three booking pools of 8, and room for the tests' own connections.
  static constexpr int kDefaultMaxConnections = 200;

  std::string bin_dir = kDefaultBinDir;
  // The unprivileged account the server runs as when the test runs as root.
  std::string os_user = kDefaultUser;
  std::string os_group = kDefaultGroup;
  std::chrono::seconds start_timeout = kDefaultStartTimeout;
  // Server connections; each service pool takes up to its pool_size.
  int max_connections = kDefaultMaxConnections;
};

class PostgresServer {
 public:
  static constexpr char kSuperuser[] = "switchboard";

  // initdb, then Start(). Errors carry the server's log.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Create(
      const PostgresServerOptions& options = {});
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Starts the server on its port (the same one after a Stop) and waits until it accepts
  // connections.
  absl::Status Start();
  // An immediate shutdown (SIGQUIT to the postmaster): connections drop at once, committed
  // transactions survive.
  void Stop();
  bool running() const { return server_ != nullptr; }

  int port() const { return port_; }
  // postgres://switchboard@127.0.0.1:PORT/`database`
  std::string Url(const std::string& database = "postgres") const;
  // Creates an empty database and returns its URL.
  absl::StatusOr<std::string> CreateDatabase(const std::string& name);
  // The current (or last) run's log.
  std::string Log() const;

 private:
  explicit PostgresServer(PostgresServerOptions options) : options_(std::move(options)) {}
  absl::Status Init();
  std::string LogPath() const;

  PostgresServerOptions options_;
  std::string dir_;  // owned by options_.os_user; removed on destruction
  int port_ = 0;
  int starts_ = 0;
  std::unique_ptr<switchboard::testing::ChildProcess> server_;
};

}  // namespace switchboard::common::store::testing

namespace switchboard::common::store::testing {

// One server for the whole test process, started on first use and stopped at exit, so test
// cases that each need a database pay for initdb once.
absl::StatusOr<PostgresServer*> SharedPostgresServer();
// A new empty database on the shared server ("t1", "t2", ...), as a postgres:// URL.
absl::StatusOr<std::string> FreshPostgresDatabase();

}  // namespace switchboard::common::store::testing
