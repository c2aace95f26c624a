#include "gateway/static_files/codec_glue.h"

#include <boost/beast/http/status.hpp>

#include "absl/strings/str_cat.h"
#include "gateway/codec/http_status.h"
#include "gateway/proxy/h2_settings.h"

namespace switchboard::gateway::static_files {
namespace {

bool HasBody(int status) { return status != 304 && status != 204; }

// Reads the next piece and queues it, the one after once it is written: at most one piece of
// the file is in memory per connection.
class Http1Pump : public std::enable_shared_from_this<Http1Pump> {
 public:
  Http1Pump(std::unique_ptr<Body> body, Http1Write write, std::function<void(bool)> done)
      : body_(std::move(body)), write_(std::move(write)), done_(std::move(done)) {}

  void Next() {
    if (finished_) return;
    std::string piece(std::min<uint64_t>(kHttp1ChunkBytes, body_->remaining()), '\0');
    auto n = body_->Read(piece.data(), piece.size());
    if (!n.ok() || *n == 0) {
      Finish(false);
      return;
    }
    piece.resize(*n);
    const bool last = body_->remaining() == 0;
    auto self = shared_from_this();
    std::function<void()> on_written;
    if (!last) on_written = [self] { self->Next(); };
    if (!write_(std::move(piece), std::move(on_written))) {
      finished_ = true;  // the connection closed: nothing more to do
      return;
    }
    if (last) Finish(true);
  }

 private:
  void Finish(bool complete) {
    finished_ = true;
    auto done = std::move(done_);
    write_ = nullptr;
    done(complete);
  }

  std::unique_ptr<Body> body_;
  Http1Write write_;
  std::function<void(bool)> done_;
  bool finished_ = false;
};

ssize_t ReadH2Body(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* data_flags,
                   nghttp2_data_source* source, void*) {
  auto* body = static_cast<Body*>(source->ptr);
  auto n = body->Read(reinterpret_cast<char*>(buf), length);
  // The length was promised in content-length: a file that cannot be read to it resets the
  // stream rather than ending it short.
  if (!n.ok() || (*n == 0 && body->remaining() > 0)) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  if (body->remaining() == 0) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(*n);
}

}  // namespace

std::optional<StaticResponse> AnswerUnclaimed(StaticFiles* files, const absl::Status& rejection,
                                              std::string_view method, std::string_view target,
                                              const Headers& request_headers) {
  if (files == nullptr || rejection.code() != absl::StatusCode::kNotFound) return std::nullopt;
  const std::string* if_none_match = FindHeader(request_headers, "if-none-match");
  const std::string* accept_encoding = FindHeader(request_headers, "accept-encoding");
  return files->Answer({method, target,
                        if_none_match != nullptr ? std::string_view(*if_none_match) : "",
                        accept_encoding != nullptr ? std::string_view(*accept_encoding) : ""});
}

void SendHttp1(StaticResponse response, bool head_only, bool keep_alive, Http1Write write,
               std::function<void(bool complete)> done) {
  std::string head = absl::StrCat("HTTP/1.1 ", response.status, " ",
                                  std::string(boost::beast::http::obsolete_reason(
                                      static_cast<boost::beast::http::status>(response.status))),
                                  "\r\n");
  for (const auto& [name, value] : response.headers)
    absl::StrAppend(&head, name, ": ", value, "\r\n");
  if (HasBody(response.status)) {
    absl::StrAppend(&head, "content-length: ", response.content_length, "\r\n");
  }
  if (!keep_alive) head += "connection: close\r\n";
  head += "\r\n";
  const bool body = !head_only && response.body != nullptr && response.body->remaining() > 0;
  if (!write(std::move(head), {})) return;
  if (!body) {
    done(true);
    return;
  }
  std::make_shared<Http1Pump>(std::move(response.body), std::move(write), std::move(done))->Next();
}

void SubmitH2(nghttp2_session* session, ProxyStream& stream, StaticResponse response,
              std::unique_ptr<Body>* body_owner) {
  Headers headers;
  headers.reserve(response.headers.size() + 2);
  headers.emplace_back(":status", std::to_string(response.status));
  for (auto& header : response.headers) headers.push_back(std::move(header));
  if (HasBody(response.status)) {
    headers.emplace_back("content-length", std::to_string(response.content_length));
  }
  const auto nv = ToNv(headers);
  const bool body =
      stream.method != "HEAD" && response.body != nullptr && response.body->remaining() > 0;
  if (body) {
    *body_owner = std::move(response.body);
    nghttp2_data_provider provider{};
    provider.source.ptr = body_owner->get();
    provider.read_callback = ReadH2Body;
    nghttp2_submit_response(session, stream.down_id, nv.data(), nv.size(), &provider);
  } else {
    nghttp2_submit_response(session, stream.down_id, nv.data(), nv.size(), nullptr);
  }
  stream.response_started = true;
  stream.response_ended = true;
  stream.finished = true;
  stream.gateway_status = response.status < 400 ? 0 : GrpcCodeOfHttpStatus(response.status);
}

}  // namespace switchboard::gateway::static_files
