#include "gateway/transport/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "absl/strings/str_cat.h"

namespace switchboard::gateway::transport {
namespace {

// Mozilla's "intermediate" TLS 1.2 list: ECDHE only (forward secrecy), AEAD only. TLS 1.3's
// suites are all of that kind and keep OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// Wire format: length-prefixed names, in the server's order of preference.
constexpr unsigned char kServerAlpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
constexpr unsigned char kClientAlpn[] = {2, 'h', '2'};
constexpr unsigned char kSessionContext[] = "switchboard-gateway";

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

absl::Status FileError(const char* key, const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(key, ": ", path, ": ", why));
}

int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char* in,
               unsigned int in_size, void*) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_size, kServerAlpn, sizeof(kServerAlpn), in, in_size) !=
      OPENSSL_NPN_NEGOTIATED) {
    // No protocol in common: carry on without ALPN, which the gateway reads as HTTP/1.1.
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> BaseContext(
    boost::asio::ssl::context::method method) {
  auto context = std::make_shared<boost::asio::ssl::context>(method);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // OpenSSL's own record buffers go back while a connection is idle, as most are.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return absl::InternalError(absl::StrCat("TLS cipher list: ", OpenSslError()));
  }
  return context;
}

absl::Status LoadChainAndKey(SSL_CTX* native, const char* cert_key, const std::string& cert_file,
                             const char* key_key, const std::string& key_file) {
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1) {
    return FileError(cert_key, cert_file, OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return FileError(key_key, key_file, OpenSslError());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return FileError(key_key, key_file, "does not match the certificate in " + cert_file);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsServerFiles& files) {
  ERR_clear_error();
  auto context = BaseContext(boost::asio::ssl::context::tls_server);
  if (!context.ok()) return context.status();
  SSL_CTX* native = (*context)->native_handle();
  if (auto loaded =
          LoadChainAndKey(native, "tls.cert_file", files.cert_file, "tls.key_file", files.key_file);
      !loaded.ok()) {
    return loaded;
  }
  SSL_CTX_set_alpn_select_cb(native, SelectAlpn, nullptr);
  // Resumption by ticket (stateless) and by session id; the context names this server's
  // sessions so a resumed session keeps its verified client certificate.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof(kSessionContext) - 1);
  if (!files.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(native, files.client_ca_file.c_str(), nullptr) != 1) {
      return FileError("tls.client_ca_file", files.client_ca_file, OpenSslError());
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca_file.c_str());
    if (names == nullptr) {
      return FileError("tls.client_ca_file", files.client_ca_file, "holds no CA certificate");
    }
    SSL_CTX_set_client_CA_list(native, names);
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return context;
}

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const TlsClientFiles& files) {
  ERR_clear_error();
  auto context = BaseContext(boost::asio::ssl::context::tls_client);
  if (!context.ok()) return context.status();
  SSL_CTX* native = (*context)->native_handle();
  if (files.ca_file.empty()) {
    SSL_CTX_set_default_verify_paths(native);
  } else if (SSL_CTX_load_verify_locations(native, files.ca_file.c_str(), nullptr) != 1) {
    return FileError("tls.ca_file", files.ca_file, OpenSslError());
  }
  if (!files.cert_file.empty() || !files.key_file.empty()) {
    if (files.cert_file.empty() || files.key_file.empty()) {
      return absl::InvalidArgumentError("tls: cert_file and key_file go together");
    }
    if (auto loaded = LoadChainAndKey(native, "tls.cert_file", files.cert_file, "tls.key_file",
                                      files.key_file);
        !loaded.ok()) {
      return loaded;
    }
  }
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_alpn_protos(native, kClientAlpn, sizeof(kClientAlpn));
  return context;
}

}  // namespace switchboard::gateway::transport
