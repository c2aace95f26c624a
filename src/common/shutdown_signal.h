// SIGINT/SIGTERM (SIGCHLD for supervisors, SIGHUP to reload, SIGUSR1/SIGUSR2 to take a
// replica out of rotation and back) handled synchronously with sigtimedwait, so no
// signal handler ever runs inside grpc++ or SQLite code.
#pragma once

#include <chrono>

namespace switchboard::common {

// Blocks SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGUSR1 and SIGUSR2 in the calling thread and every thread it starts
// later. Call first thing in main.
void BlockProcessSignals();

// Waits up to `timeout` for one of the blocked signals; returns its number, or 0 on timeout.
int WaitForSignal(std::chrono::milliseconds timeout);

}  // namespace switchboard::common
