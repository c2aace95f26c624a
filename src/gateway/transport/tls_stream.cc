#include "gateway/transport/tls_stream.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace switchboard::gateway::transport {
namespace {

// Up to this much of a gather write is copied into one record; a larger first buffer goes
// alone (it fills records by itself).
constexpr size_t kCoalesceBytes = 16 * 1024;
constexpr auto kShutdownTime = std::chrono::seconds(1);

std::string SubjectOf(X509* certificate) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  X509_NAME_print_ex(bio, X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string subject(data, size > 0 ? static_cast<size_t>(size) : 0);
  BIO_free(bio);
  return subject;
}

std::vector<std::string> UrisOf(X509* certificate) {
  std::vector<std::string> uris;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return uris;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                     static_cast<size_t>(ASN1_STRING_length(uri)));
    // It becomes a header value: a URI with control bytes or spaces (no valid URI has them)
    // is left out rather than passed on.
    const bool printable = std::all_of(text.begin(), text.end(), [](char c) {
      return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
    if (printable && !text.empty()) uris.push_back(std::move(text));
  }
  GENERAL_NAMES_free(names);
  return uris;
}

}  // namespace

TlsStream::TlsStream(boost::asio::ip::tcp::socket socket,
                     std::shared_ptr<boost::asio::ssl::context> context)
    : context_(std::move(context)), stream_(std::move(socket), *context_) {
  boost::system::error_code ignored;
  stream_.next_layer().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
}

void TlsStream::StartHandshake(Handshake type, std::chrono::milliseconds timeout,
                               std::function<void(const boost::system::error_code&)> done,
                               const std::string& server_name) {
  if (!server_name.empty()) {
    // SNI carries host names only (RFC 6066 3); an IP address is still what is verified.
    boost::system::error_code not_an_ip;
    boost::asio::ip::make_address(server_name, not_an_ip);
    if (not_an_ip) SSL_set_tlsext_host_name(stream_.native_handle(), server_name.c_str());
    stream_.set_verify_callback(boost::asio::ssl::host_name_verification(server_name));
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(stream_.get_executor(), timeout);
  auto timed_out = std::make_shared<bool>(false);
  // Set by the handshake's handler: a timer whose expiry was already queued when the handshake
  // ended (cancel() cannot take it back) finds it and leaves the stream alone, which by then
  // may belong to a codec or be gone.
  auto finished = std::make_shared<bool>(false);
  timer->async_wait([this, timed_out, finished](const boost::system::error_code& error) {
    if (error || *finished) return;
    *timed_out = true;
    Close();
  });
  stream_.async_handshake(type, [this, timer, timed_out, finished,
                                 done = std::move(done)](const boost::system::error_code& error) {
    *finished = true;
    timer->cancel();
    if (*timed_out) {
      done(boost::asio::error::timed_out);
      return;
    }
    if (!error) ReadHandshakeResult();
    done(error);
  });
}

void TlsStream::ReadHandshakeResult() {
  const unsigned char* protocol = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(stream_.native_handle(), &protocol, &size);
  if (protocol != nullptr) alpn_.assign(reinterpret_cast<const char*>(protocol), size);
  X509* certificate = SSL_get0_peer_certificate(stream_.native_handle());
  if (certificate == nullptr) return;
  identity_.subject = SubjectOf(certificate);
  identity_.uris = UrisOf(certificate);
}

void TlsStream::ReadSome(boost::asio::mutable_buffer buffer, IoHandler handler) {
  stream_.async_read_some(buffer, std::move(handler));
}

void TlsStream::WriteSome(const std::vector<boost::asio::const_buffer>& buffers,
                          IoHandler handler) {
  if (buffers.size() == 1 || (!buffers.empty() && buffers.front().size() >= kCoalesceBytes)) {
    stream_.async_write_some(buffers.front(), std::move(handler));
    return;
  }
  coalesced_.clear();
  for (const auto& buffer : buffers) {
    const size_t take = std::min(buffer.size(), kCoalesceBytes - coalesced_.size());
    coalesced_.append(static_cast<const char*>(buffer.data()), take);
    if (coalesced_.size() == kCoalesceBytes) break;
  }
  stream_.async_write_some(boost::asio::buffer(coalesced_), std::move(handler));
}

bool TlsStream::PeerHungUp() {
  // Only a bare FIN with nothing before it is certain; a close_notify alert is bytes to the
  // socket, and is found by the next read.
  char byte = 0;
  ssize_t n = 0;
  do {
    n = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

void TlsStream::Close() {
  boost::system::error_code ignored;
  socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

void TlsStream::Shutdown(std::function<void()> done) {
  auto timer = std::make_shared<boost::asio::steady_timer>(stream_.get_executor(), kShutdownTime);
  auto finished = std::make_shared<bool>(false);  // as in StartHandshake
  timer->async_wait([this, finished](const boost::system::error_code& error) {
    if (!error && !*finished) Close();  // the peer never answered the close_notify
  });
  stream_.async_shutdown(
      [this, timer, finished, done = std::move(done)](const boost::system::error_code&) {
        *finished = true;
        timer->cancel();
        Close();
        done();
      });
}

}  // namespace switchboard::gateway::transport
