// The HTTP/1.1 request head as the gateway reads it (http1/http1_request_reader.cc): Boost.Beast's
// request parser with the header limit of limits.max_header_bytes and no body limit while the
// head is read, fed in the chunks a socket gives; then what the gateway takes from the head
// (method, target split into path and query, lowercase headers, keep-alive, Content-Length,
// chunked), and the body parser that takes over: buffered under limits.max_message_bytes, or
// streamed into a fixed window as for a client-streaming call. Checked: the parser never takes
// more bytes than it was given, a head it accepts is within the limit, and a buffered body
// within its own.
#include <boost/beast/http.hpp>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "gateway/codec/headers.h"
#include "gateway/gateway_config.h"
#include "gateway/http1/http1_session_parts.h"
#include "gateway/rest/path_template.h"

namespace switchboard::gateway {
namespace {

namespace http = boost::beast::http;

// Bytes of a streamed body read per call, as the gateway's read window.
constexpr size_t kStreamWindowBytes = 64 * 1024;

// Feeds `parser` chunk by chunk, as the gateway does with what each read gives; stops at
// `done(parser)` or an error. Returns the bytes the parser took.
template <class Parser, class Done>
size_t Feed(Parser& parser, std::string_view bytes, size_t chunk, Done done,
            boost::system::error_code& error) {
  size_t used_total = 0;
  std::string pending;  // what the parser has not taken yet, as the gateway's buffer holds it
  size_t at = 0;
  while (!done(parser)) {
    if (at < bytes.size()) {
      const size_t n = std::min(chunk, bytes.size() - at);
      pending.append(bytes.data() + at, n);
      at += n;
    } else if (pending.empty()) {
      break;
    }
    const size_t used = parser.put(boost::asio::buffer(pending), error);
    SB_FUZZ_CHECK(used <= pending.size());
    pending.erase(0, used);
    used_total += used;
    if (error == http::error::need_more) {
      error = {};
      if (at == bytes.size()) break;
      continue;
    }
    if (error == http::error::need_buffer) error = {};  // the streamed window is full
    if (error) break;
    if (used == 0 && at == bytes.size()) break;
  }
  return used_total;
}

void TakeHead(const http::request_parser<http::empty_body>& parser, const Limits& limits) {
  const auto& head = parser.get();
  size_t field_bytes = 0;
  Headers headers;
  for (const auto& field : head) {
    const auto name = field.name_string();
    headers.emplace_back(ToLower(std::string_view(name.data(), name.size())),
                         std::string(field.value()));
    field_bytes += name.size() + field.value().size();
  }
  SB_FUZZ_CHECK(field_bytes + head.target().size() <= static_cast<size_t>(limits.max_header_bytes));
  const std::string target(head.target());
  const auto [path, query] = rest::SplitRequestTarget(target);
  SB_FUZZ_CHECK(path.size() + query.size() <= target.size());
  (void)head.keep_alive();
  (void)head.method_string();
  (void)head.version();
  (void)parser.content_length();
  (void)parser.chunked();
}

}  // namespace
}  // namespace switchboard::gateway

// Input: a byte choosing the read size (bits 1-7; 0: everything at once) and the body parser
// (bit 0: streamed), then the bytes of the connection.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::gateway;
  if (size < 1) return 0;
  const size_t chunk = (data[0] >> 1) == 0 ? size : (data[0] >> 1);
  const bool streamed = (data[0] & 1) != 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  Limits limits;
  limits.max_header_bytes = 4096;  // small enough for the fuzzer to cross
  limits.max_message_bytes = 4096;

  http::request_parser<http::empty_body> header_parser;
  header_parser.header_limit(static_cast<uint32_t>(limits.max_header_bytes));
  header_parser.body_limit(kNoBodyLimit);
  boost::system::error_code error;
  const size_t used = Feed(
      header_parser, bytes, chunk, [](const auto& p) { return p.is_header_done(); }, error);
  SB_FUZZ_CHECK(used <= bytes.size());
  if (error || !header_parser.is_header_done()) return 0;
  TakeHead(header_parser, limits);
  if (header_parser.is_done()) return 0;

  // The gateway answers 413 to a declared length over the limit before a body parser exists
  // (the parser judges a Content-Length against its limit only while it reads the head).
  const auto length = header_parser.content_length();
  if (!streamed && length && *length > static_cast<uint64_t>(limits.max_message_bytes)) return 0;

  const std::string_view rest = bytes.substr(used);
  if (streamed) {
    http::request_parser<http::buffer_body> body_parser(std::move(header_parser));
    body_parser.body_limit(kNoBodyLimit);
    std::string window(kStreamWindowBytes, '\0');
    auto& body = body_parser.get().body();
    body.data = window.data();
    body.size = window.size();
    Feed(
        body_parser, rest, chunk, [](const auto& p) { return p.is_done(); }, error);
    return 0;
  }
  http::request_parser<http::string_body> body_parser(std::move(header_parser));
  body_parser.body_limit(static_cast<uint64_t>(limits.max_message_bytes));
  Feed(
      body_parser, rest, chunk, [](const auto& p) { return p.is_done(); }, error);
  SB_FUZZ_CHECK(body_parser.get().body().size() <= static_cast<size_t>(limits.max_message_bytes));
  return 0;
}
