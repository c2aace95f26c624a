// `switchboard up --scale`: the PostgreSQL and nats-server the scaled-out services share, run
// as child processes with their data in the data directory, so one command starts it all.
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "cli/process_group.h"

namespace switchboard::cli {

// The names of the two children in their ProcessGroup.
inline constexpr char kPostgresChild[] = "postgres";
inline constexpr char kNatsChild[] = "nats-server";

struct ScaleServerOptions {
  static constexpr char kDefaultPostgresBinDir[] = "/usr/lib/postgresql/15/bin";
  // The account PostgreSQL runs as when `up` runs as root (PostgreSQL refuses root).
  static constexpr char kDefaultRootUser[] = "nobody";
  // Long enough for a first initdb on a slow disk; a server that is ready sooner ends the wait.
  static constexpr std::chrono::seconds kDefaultReadyTimeout{60};

  std::string data_dir;            // the servers' data: DATA_DIR/postgres and DATA_DIR/nats
  std::string host = "127.0.0.1";  // both listen here only
  int postgres_port = 0;           // 0: a free port
  int nats_port = 0;               // 0: a free port
  bool start_postgres = true;      // false when --store names an existing server
  bool start_nats = true;          // false when --bus names an existing server
  std::string postgres_bin_dir = kDefaultPostgresBinDir;
  std::string root_user = kDefaultRootUser;
  int postgres_max_connections = 0;  // every replica's pool, plus spare
  std::chrono::milliseconds ready_timeout = kDefaultReadyTimeout;
};

struct ScaleServers {
  std::string store_url;         // postgres://...; empty unless PostgreSQL was started
  std::string bus_url;           // nats://...; empty unless nats-server was started
  std::string postgres_address;  // host:port, for the table `up` prints
  std::string nats_address;
};

// Starts the servers `options` asks for in `group` and waits until each accepts connections
// (initdb first when DATA_DIR/postgres holds no cluster yet). On error, the message says what
// is missing or names the child that exited with the last lines of its log; whatever was
// started stays in `group` for the caller to stop.
absl::StatusOr<ScaleServers> StartScaleServers(const ScaleServerOptions& options,
                                               ProcessGroup& group);

}  // namespace switchboard::cli
