#include "gateway/proxy/h2_settings.h"

#include <strings.h>

#include <algorithm>

namespace switchboard::gateway {

nghttp2_option* NewProxyOptions() {
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_no_auto_window_update(option, 1);
  return option;
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
