// What the client-facing codecs call where a request no route claims would get its 404: the
// file answer if there is one, and its sending, over HTTP/1.1 (through the session's write
// queue, one piece at a time) or HTTP/2 (pulled by nghttp2 as the stream's window allows).
#pragma once

#include <nghttp2/nghttp2.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gateway/codec/headers.h"
#include "gateway/proxy/proxy_stream.h"
#include "gateway/static_files/static_files.h"

namespace switchboard::gateway::static_files {

// Bytes of a file one HTTP/1.1 write carries; the next is read once it is written, so a
// connection holds at most this much of a file.
inline constexpr size_t kHttp1ChunkBytes = 128 * 1024;

// The file answer for a request the routes refused with `rejection`, when that was "no route"
// (NOT_FOUND) and `files` (may be null) has a file for it; nullopt leaves the refusal as it was.
std::optional<StaticResponse> AnswerUnclaimed(StaticFiles* files, const absl::Status& rejection,
                                              std::string_view method, std::string_view target,
                                              const Headers& request_headers);

// Queues bytes for the client; `on_written` runs once they are written (or never can be).
// False when the connection is closed and nothing was queued.
using Http1Write = std::function<bool(std::string bytes, std::function<void()> on_written)>;

// Sends `response` over HTTP/1.1: its head with Content-Length, then (unless `head_only`) its
// body piece by piece. `done(true)` runs as soon as the last piece is queued; `done(false)`
// when the body could not be read to its end, after the head promised its length (the
// connection must close).
void SendHttp1(StaticResponse response, bool head_only, bool keep_alive, Http1Write write,
               std::function<void(bool complete)> done);

// Submits `response` on an HTTP/2 stream; its body, if any, moves to `*body_owner`, which must
// live until the stream closes (nghttp2 reads it as the window opens). Marks `stream` answered.
void SubmitH2(nghttp2_session* session, ProxyStream& stream, StaticResponse response,
              std::unique_ptr<Body>* body_owner);

}  // namespace switchboard::gateway::static_files
