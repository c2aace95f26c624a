// The gateway's access log: one line per call, on stderr in the same format as every other
// log line ("2026-01-02T03:04:05.678Z info access ..."), but formatted here and written in
// batches. A write(2) per line was an eighth of the gateway's CPU on the native gRPC path, and
// spdlog's pattern formatting a further 7% of its instructions; batches go out when 64 KiB are
// waiting, at every flush interval, and when the process exits.
#pragma once

#include <chrono>
#include <string_view>

namespace switchboard::common {

// Access lines from now on are batched on stderr; a line waits at most `flush_interval`.
// Until then (tests, in-process servers) they go through the default logger at once.
void EnableBatchedAccessLog(std::chrono::milliseconds flush_interval);

// Writes whatever is waiting (also done by the periodic flush and at exit).
void FlushAccessLog();

// Whether access lines are logged at all (the default logger's level admits info).
bool AccessLogOn();

// One access line; `message` without timestamp, level or newline.
void WriteAccessLine(std::string_view message);

}  // namespace switchboard::common
