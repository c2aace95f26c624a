// A real nats-server for tests: JetStream on, a free loopback port, its store in a temporary
// directory; always stopped when the object goes away, even when the test fails.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"

namespace switchboard::bus::testing {

// /usr/sbin/nats-server, else the first nats-server on PATH; an error saying how to install it
// when there is none.
absl::StatusOr<std::string> FindNatsServer();

class NatsServer {
 public:
  // Started and accepting connections, or an error with its output.
  static absl::StatusOr<std::unique_ptr<NatsServer>> Start();
  ~NatsServer();

  std::string url() const;
  int port() const { return port_; }
  // SIGKILL, as a crash: what it stored on disk is all that survives.
  void Kill();
  // Starts again on the same port and store, after Kill.
  absl::Status Restart();
  std::string Output() const;

 private:
  NatsServer(std::string binary, int port);
  absl::Status Launch();

  const std::string binary_;
  const int port_;
  switchboard::testing::TempDir dir_;
  std::unique_ptr<switchboard::testing::ChildProcess> process_;
  int launches_ = 0;
};

}  // namespace switchboard::bus::testing
