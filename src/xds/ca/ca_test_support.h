// What the CA's tests check issued certificates with: OpenSSL's own chain verification against
// the root, and the names, validity and key usage read back from the certificate.
#pragma once

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "xds/ca/openssl_pem.h"

namespace switchboard::xds::ca::testing {

// Every certificate in `pem`, in order.
inline std::vector<CertificatePtr> ReadChain(const std::string& pem) {
  std::vector<CertificatePtr> chain;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    chain.emplace_back(certificate);
  }
  BIO_free(bio);
  ERR_clear_error();
  return chain;
}

// "" when the first certificate of `chain_pem` verifies against `root_pem` as a TLS client
// and server certificate at the current time; otherwise OpenSSL's reason.
inline std::string VerifyAgainstRoot(const std::string& chain_pem, const std::string& root_pem) {
  auto chain = ReadChain(chain_pem);
  auto roots = ReadChain(root_pem);
  if (chain.empty() || roots.size() != 1) return "no certificate to verify";
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, roots[0].get());
  std::string result;
  for (int purpose : {X509_PURPOSE_SSL_CLIENT, X509_PURPOSE_SSL_SERVER}) {
    X509_STORE_CTX* context = X509_STORE_CTX_new();
    X509_STORE_CTX_init(context, store, chain[0].get(), nullptr);
    X509_STORE_CTX_set_purpose(context, purpose);
    if (X509_verify_cert(context) != 1 && result.empty()) {
      result = X509_verify_cert_error_string(X509_STORE_CTX_get_error(context));
    }
    X509_STORE_CTX_free(context);
  }
  X509_STORE_free(store);
  ERR_clear_error();
  return result;
}

// The SANs of `certificate` as "URI:...", "DNS:...", "IP" or "other".
inline std::vector<std::string> SubjectAltNames(X509* certificate) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_URI || name->type == GEN_DNS) {
      const ASN1_IA5STRING* text = name->d.ia5;
      out.push_back(std::string(name->type == GEN_URI ? "URI:" : "DNS:") +
                    std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                                static_cast<size_t>(ASN1_STRING_length(text))));
    } else {
      out.push_back(name->type == GEN_IPADD ? "IP" : "other");
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

inline std::string CommonName(X509* certificate) {
  char text[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, text, sizeof(text));
  return text;
}

}  // namespace switchboard::xds::ca::testing
