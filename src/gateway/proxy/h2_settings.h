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

// nghttp2 options with automatic WINDOW_UPDATE off: windows open only through
// nghttp2_session_consume, when the other side has taken the bytes.
nghttp2_option* NewProxyOptions();
// Sends SETTINGS and widens the connection window to `connection_window` bytes.
int SubmitProxySettings(nghttp2_session* session, uint32_t max_concurrent_streams,
                        int32_t connection_window);

// nghttp2_nv views over `headers`; valid while `headers` is.
std::vector<nghttp2_nv> ToNv(const Headers& headers);

}  // namespace switchboard::gateway
