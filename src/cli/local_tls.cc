#include "cli/local_tls.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"

namespace switchboard::cli {
namespace {

constexpr int kCaDays = 3650;
constexpr int kServerDays = 825;  // the longest validity Apple's platforms accept
constexpr int kRenewWithinDays = 7;

struct Free {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  void operator()(X509* certificate) const { X509_free(certificate); }
  void operator()(FILE* file) const { std::fclose(file); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Certificate = std::unique_ptr<X509, Free>;
using File = std::unique_ptr<FILE, Free>;

absl::Status OpenSslError(const std::string& what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  char text[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  return absl::InternalError(absl::StrCat(what, ": ", text));
}

absl::Status WritePem(const std::filesystem::path& path, mode_t mode,
                      const std::function<int(FILE*)>& write) {
  const std::string temporary = path.string() + ".new";
  File file(std::fopen(temporary.c_str(), "w"));
  if (!file) return absl::UnavailableError(absl::StrCat("cannot write ", temporary));
  chmod(temporary.c_str(), mode);
  if (write(file.get()) != 1) return OpenSslError(absl::StrCat("writing ", path.string()));
  file.reset();
  // Renamed into place, so a reader never sees half a file.
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) return absl::UnavailableError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

// The key (readable by its owner only) and the certificates after one another in one file.
absl::Status WriteKeyAndChain(const std::filesystem::path& key_path, EVP_PKEY* key,
                              const std::filesystem::path& chain_path,
                              const std::vector<X509*>& chain) {
  if (auto s = WritePem(key_path, 0600,
                        [&](FILE* f) {
                          return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr,
                                                      nullptr);
                        });
      !s.ok()) {
    return s;
  }
  return WritePem(chain_path, 0644, [&](FILE* f) {
    for (X509* certificate : chain) {
      if (PEM_write_X509(f, certificate) != 1) return 0;
    }
    return 1;
  });
}

bool IsIpAddress(const std::string& host) {
  in6_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

Key ReadKey(const std::filesystem::path& path) {
  File file(std::fopen(path.c_str(), "r"));
  if (!file) return nullptr;
  return Key(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr));
}

Certificate ReadCertificate(const std::filesystem::path& path) {
  File file(std::fopen(path.c_str(), "r"));
  if (!file) return nullptr;
  return Certificate(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
}

// Valid for at least kRenewWithinDays more, and made for `key`.
bool StillGood(X509* certificate, EVP_PKEY* key) {
  if (certificate == nullptr || key == nullptr) return false;
  if (X509_check_private_key(certificate, key) != 1) return false;
  const time_t renew_at = time(nullptr) + static_cast<time_t>(kRenewWithinDays) * 24 * 3600;
  return X509_cmp_time(X509_get0_notAfter(certificate), const_cast<time_t*>(&renew_at)) > 0;
}

absl::Status AddExtension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) return OpenSslError(absl::StrCat("extension ", value));
  X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
  return absl::OkStatus();
}

// A certificate for `key`'s public half named `common_name`, signed by `issuer_key` (itself
// when `issuer` is null), with `extensions` (nid, value).
absl::StatusOr<Certificate> Sign(EVP_PKEY* key, const std::string& common_name, int days,
                                 X509* issuer, EVP_PKEY* issuer_key,
                                 const std::vector<std::pair<int, std::string>>& extensions) {
  Certificate certificate(X509_new());
  X509_set_version(certificate.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;  // a positive serial number
  BIGNUM* number = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate.get()));
  BN_free(number);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);  // clocks a little behind
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), static_cast<long>(days) * 24 * 3600);
  X509_set_pubkey(certificate.get(), key);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Switchboard local"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* signer = issuer != nullptr ? issuer : certificate.get();
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(signer));
  for (const auto& [nid, value] : extensions) {
    if (auto s = AddExtension(certificate.get(), signer, nid, value); !s.ok()) return s;
  }
  if (X509_sign(certificate.get(), issuer_key, EVP_sha256()) == 0) {
    return OpenSslError("signing " + common_name);
  }
  return certificate;
}

absl::StatusOr<Key> NewKey() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("making a P-256 key");
  return key;
}

}  // namespace

absl::StatusOr<LocalTlsFiles> EnsureLocalTls(const std::filesystem::path& dir,
                                             const std::string& host) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::UnavailableError(absl::StrCat("cannot make ", dir.string()));
  chmod(dir.c_str(), 0700);
  const auto ca_cert = dir / "ca.pem";
  const auto ca_key_path = dir / "ca.key";
  const auto server_cert = dir / "gateway.pem";
  const auto server_key_path = dir / "gateway.key";

  Key ca_key = ReadKey(ca_key_path);
  Certificate ca = ReadCertificate(ca_cert);
  bool new_ca = false;
  if (!StillGood(ca.get(), ca_key.get())) {
    auto key = NewKey();
    if (!key.ok()) return key.status();
    ca_key = std::move(*key);
    auto made = Sign(ca_key.get(), "Switchboard local CA", kCaDays, nullptr, ca_key.get(),
                     {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                      {NID_key_usage, "critical,keyCertSign,cRLSign"},
                      {NID_subject_key_identifier, "hash"}});
    if (!made.ok()) return made.status();
    ca = std::move(*made);
    if (auto s = WriteKeyAndChain(ca_key_path, ca_key.get(), ca_cert, {ca.get()}); !s.ok()) {
      return s;
    }
    new_ca = true;
  }

  Key server_key = ReadKey(server_key_path);
  Certificate server = ReadCertificate(server_cert);
  const bool issued_by_ca = server && X509_check_issued(ca.get(), server.get()) == X509_V_OK;
  if (new_ca || !issued_by_ca || !StillGood(server.get(), server_key.get())) {
    auto key = NewKey();
    if (!key.ok()) return key.status();
    server_key = std::move(*key);
    std::string names = "IP:127.0.0.1,IP:::1,DNS:localhost";
    if (host != "127.0.0.1" && host != "::1" && host != "localhost" && !host.empty()) {
      names += absl::StrCat(",", IsIpAddress(host) ? "IP:" : "DNS:", host);
    }
    auto made = Sign(server_key.get(), "Switchboard gateway", kServerDays, ca.get(), ca_key.get(),
                     {{NID_basic_constraints, "critical,CA:FALSE"},
                      {NID_key_usage, "critical,digitalSignature"},
                      {NID_ext_key_usage, "serverAuth"},
                      {NID_subject_alt_name, names}});
    if (!made.ok()) return made.status();
    server = std::move(*made);
    // The chain a client needs: the gateway's certificate, then the CA's.
    if (auto s = WriteKeyAndChain(server_key_path, server_key.get(), server_cert,
                                  {server.get(), ca.get()});
        !s.ok()) {
      return s;
    }
  }
  return LocalTlsFiles{ca_cert.string(), server_cert.string(), server_key_path.string()};
}

}  // namespace switchboard::cli
