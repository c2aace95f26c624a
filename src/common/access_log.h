// The gateway's access log: one line per call, on stderr in the same format as every other
// log line, but written in batches. A write(2) per line was an eighth of the gateway's CPU on
// the native gRPC path; batches go out when 64 KiB are waiting, at every flush interval, on
// any warning or error line, and when the process exits.
#pragma once

#include <spdlog/logger.h>

#include <chrono>

namespace switchboard::common {

// Makes AccessLog() a batched logger on stderr; lines wait at most `flush_interval`.
void EnableBatchedAccessLog(std::chrono::milliseconds flush_interval);

// The batched logger once enabled, else the default logger (tests and in-process servers see
// their lines at once).
spdlog::logger& AccessLog();

// Writes whatever is waiting (also done by the periodic flush and at exit).
void FlushAccessLog();

}  // namespace switchboard::common
