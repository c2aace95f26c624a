// Flow-control windows and session options shared by both sides of the proxy.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/proxy/proxy_stream.h"

namespace switchboard::gateway {

// Per stream: what one slow reader can make the gateway hold. Per connection: room for many
// concurrent streams to move at full speed.
inline constexpr int32_t kStreamWindowBytes = 1 << 20;
inline constexpr int32_t kDefaultConnectionWindowBytes = 16 << 20;

// CONTINUATION frames after one HEADERS frame on a default nghttp2 session.
inline constexpr size_t kDefaultMaxContinuations = 8;
// Enough CONTINUATION frames for a header block of `max_header_bytes` (limits.max_header_bytes)
// and no more: a client that sends more is flooding (CVE-2024-27316).
size_t MaxContinuationsFor(int64_t max_header_bytes);

// nghttp2 options with automatic WINDOW_UPDATE off (windows open only through
// nghttp2_session_consume, when the other side has taken the bytes) and the flood limits set
// explicitly (h2_settings.cc says what each one does when a peer exceeds it).
nghttp2_option* NewProxyOptions(size_t max_continuations = kDefaultMaxContinuations);
// The /metrics label of a connection the gateway ended for a peer's misbehaviour: the error
// code of the GOAWAY it sent ("enhance_your_calm"), or nghttp2's reason for stopping at once
// (a negative nghttp2_error: "flooded", "too_many_continuations"); null for a GOAWAY NO_ERROR.
const char* H2ConnectionErrorLabel(int64_t goaway_code_or_nghttp2_error);
// Sends SETTINGS and widens the connection window to `connection_window` bytes.
int SubmitProxySettings(nghttp2_session* session, uint32_t max_concurrent_streams,
                        int32_t connection_window);

// nghttp2_nv views over `headers`; valid while `headers` is.
std::vector<nghttp2_nv> ToNv(const Headers& headers);

}  // namespace switchboard::gateway
