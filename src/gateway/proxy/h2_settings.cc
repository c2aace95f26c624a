#include "gateway/proxy/h2_settings.h"

#include <strings.h>

#include <algorithm>

namespace switchboard::gateway {

namespace {

// HTTP/2 flood protections, each set here rather than left to the library's defaults, so that
// an nghttp2 upgrade cannot loosen them unnoticed. Every one ends the connection, never one
// stream: the peer is misbehaving, and each would otherwise cost the gateway CPU or memory for
// nothing.
//
// RST_STREAM from the client, a token bucket (CVE-2023-44487 "rapid reset": open a stream, make
// the gateway start a backend call, reset it at once, repeat). A burst of 1000 then 33 per
// second, nghttpx's values: a browser cancelling fetches or a gRPC client cancelling calls
// stays far below. Past it nghttp2 sends GOAWAY INTERNAL_ERROR and takes no new streams; the
// connection closes once the streams it had are over. Server sessions only (the backend
// side ignores it).
constexpr uint64_t kStreamResetBurst = 1000;
constexpr uint64_t kStreamResetsPerSecond = 33;
// Entries in one SETTINGS frame. RFC 9113 and its extensions define 8 settings; a frame with
// more than 32 entries is an attempt to make the gateway loop over them. nghttp2 answers
// GOAWAY ENHANCE_YOUR_CALM.
constexpr size_t kMaxSettingsEntries = 32;
// SETTINGS and PING ACKs queued and not yet written (SETTINGS and PING floods: each frame asks
// for an answer, and a client that does not read makes them pile up). 1000 answers is far more
// than one read of a legitimate client ever asks for; past it nghttp2 stops the session at once
// (NGHTTP2_ERR_FLOODED) and the gateway closes the connection.
constexpr size_t kMaxQueuedAcks = 1000;
// The frame size the gateway's SETTINGS leave in place (SETTINGS_MAX_FRAME_SIZE default).
constexpr int64_t kFrameBytes = 16384;

}  // namespace

size_t MaxContinuationsFor(int64_t max_header_bytes) {
  // The encoded block may exceed the decoded bytes max_header_bytes counts (a few bytes of
  // length prefixes per field): twice the limit is generous. Past it nghttp2 stops the
  // session at once (NGHTTP2_ERR_TOO_MANY_CONTINUATIONS), before the block is decoded.
  return std::max<size_t>(kDefaultMaxContinuations,
                          static_cast<size_t>(2 * max_header_bytes / kFrameBytes + 1));
}

nghttp2_option* NewProxyOptions(size_t max_continuations) {
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_stream_reset_rate_limit(option, kStreamResetBurst, kStreamResetsPerSecond);
  nghttp2_option_set_max_continuations(option, max_continuations);
  nghttp2_option_set_max_settings(option, kMaxSettingsEntries);
  nghttp2_option_set_max_outbound_ack(option, kMaxQueuedAcks);
  return option;
}

const char* H2ConnectionErrorLabel(int64_t code) {
  switch (code) {
    case NGHTTP2_NO_ERROR:
      return nullptr;
    case NGHTTP2_PROTOCOL_ERROR:
      return "protocol_error";
    case NGHTTP2_INTERNAL_ERROR:
      return "internal_error";
    case NGHTTP2_FLOW_CONTROL_ERROR:
      return "flow_control_error";
    case NGHTTP2_SETTINGS_TIMEOUT:
      return "settings_timeout";
    case NGHTTP2_FRAME_SIZE_ERROR:
      return "frame_size_error";
    case NGHTTP2_COMPRESSION_ERROR:
      return "compression_error";
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return "enhance_your_calm";
    case NGHTTP2_ERR_FLOODED:
      return "flooded";
    case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS:
      return "too_many_continuations";
    case NGHTTP2_ERR_BAD_CLIENT_MAGIC:
      return "bad_preface";
    default:
      return code < 0 ? "receive_error" : "other_error";
  }
}

int SubmitProxySettings(nghttp2_session* session, uint32_t max_concurrent_streams,
                        int32_t connection_window) {
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
       static_cast<uint32_t>(std::min(kStreamWindowBytes, connection_window))},
  };
  int rv = nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, 2);
  if (rv != 0) return rv;
  return nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, connection_window);
}

std::vector<nghttp2_nv> ToNv(const Headers& headers) {
  std::vector<nghttp2_nv> nv;
  nv.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    // The deadline headers differ on every call: indexing them would only churn the HPACK
    // dynamic table (evicting the stable headers) for entries nothing ever refers to again.
    const bool per_call =
        std::string_view(name) == "x-deadline-unix-us" || std::string_view(name) == "grpc-timeout";
    nv.push_back(nghttp2_nv{
        reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
        reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
        static_cast<uint8_t>(per_call ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE)});
  }
  return nv;
}

}  // namespace switchboard::gateway
