#include "gateway/proxy/call_record.h"

#include <chrono>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/access_log.h"
#include "common/status.h"
#include "gateway/codec/grpc_status.h"
#include "gateway/codec/status_codes.h"
#include "gateway/gateway_metrics.h"

namespace switchboard::gateway {

void RecordCall(GatewayMetrics& metrics, const std::string& protocol, const ProxyStream& stream) {
  int code = stream.gateway_status;
  if (code < 0) {
    code = GrpcStatusOf(FindHeader(stream.trailers, "grpc-status"),
                        FindHeader(stream.response_headers, "grpc-status"));
  }
  if (code < 0 && stream.down_closed && !stream.finished)
    code = kGrpcCancelled;  // the client went away
  const std::string status =
      code < 0 ? "UNKNOWN" : common::StatusCodeName(static_cast<grpc::StatusCode>(code));
  const auto elapsed = std::chrono::steady_clock::now() - stream.start;
  metrics.CallFinished(protocol, stream.path.empty() ? "-" : stream.path, status, elapsed,
                       stream.counted);
  if (!common::AccessLogOn()) return;
  // Appended piece by piece and the milliseconds from integer microseconds: a format string
  // parsed per call and a double with a precision were most of the line's cost.
  const int64_t elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  std::string line;
  line.reserve(96 + stream.path.size());
  absl::StrAppend(&line, "access protocol=", protocol, " method=", stream.path, " status=", status,
                  " duration_ms=", elapsed_us / 1000, ".",
                  absl::Dec(elapsed_us % 1000, absl::kZeroPad3));
  common::WriteAccessLine(line);
}

}  // namespace switchboard::gateway
