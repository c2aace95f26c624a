// The CA on its own: names validated, certificates that verify with OpenSSL against the root
// and carry only the SPIFFE URI, the lifetime asked, garbage CSRs refused with the reason, and
// the key and root kept in (and refused from) the data directory.
#include "xds/ca/certificate_authority.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>

#include "testing/temp_dir.h"
#include "xds/ca/ca_test_support.h"
#include "xds/ca/workload_certificate.h"

namespace switchboard::xds::ca {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

// Now, to the second (certificates hold whole seconds).
system_clock::time_point WholeSecondNow() {
  return system_clock::from_time_t(system_clock::to_time_t(system_clock::now()));
}

CaOptions Options(const std::string& dir, system_clock::time_point now) {
  CaOptions options;
  options.dir = dir;
  options.clock = [now] { return now; };
  return options;
}

std::string Csr(const std::string& service = "ticket") { return NewKeyAndCsr(service)->csr_pem; }

TEST(CaNames, ServiceNamesAndTrustDomainsAreValidated) {
  for (const char* good : {"ticket", "a", "fraud-check", "svc2",
                           "abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz"}) {
    EXPECT_TRUE(ValidateServiceName(good).ok()) << good;
  }
  const std::string too_long(64, 'a');
  for (const std::string& bad :
       {std::string(), std::string("Ticket"), std::string("2fa"), std::string("-x"),
        std::string("x-"), std::string("tic ket"), std::string("a/b"), std::string("a.b"),
        std::string("t\xc3\xa9"), too_long}) {
    auto status = ValidateServiceName(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("service_name \""), std::string::npos) << status;
  }
  EXPECT_EQ(ValidateServiceName("Ticket").message(),
            "service_name \"Ticket\": 1..63 lowercase letters, digits and '-', starting with a "
            "letter, not ending with '-'");
  for (const char* good : {"switchboard.local", "example.org", "prod_1-eu"}) {
    EXPECT_TRUE(ValidateTrustDomain(good).ok()) << good;
  }
  for (const std::string& bad : {std::string(), std::string("Example.org"), std::string("a/b"),
                                 std::string("a:1"), std::string(256, 'a')}) {
    EXPECT_EQ(ValidateTrustDomain(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(SpiffeId("switchboard.local", "ticket"), "spiffe://switchboard.local/service/ticket");
}

TEST(CertificateAuthority, IssuesAShortLivedSpiffeCertificateThatVerifies) {
  switchboard::testing::TempDir dir;
  const auto now = WholeSecondNow();
  CaOptions options = Options(dir.path() + "/ca", now);
  options.lifetime = seconds(30);
  options.trust_domain = "example.org";
  auto ca = CertificateAuthority::LoadOrCreate(options);
  ASSERT_TRUE(ca.ok()) << ca.status();
  auto key_and_csr = NewKeyAndCsr("ticket");
  ASSERT_TRUE(key_and_csr.ok()) << key_and_csr.status();
  auto issued = (*ca)->Issue(key_and_csr->csr_pem, "ticket");
  ASSERT_TRUE(issued.ok()) << issued.status();

  EXPECT_EQ(testing::VerifyAgainstRoot(issued->chain_pem, issued->root_pem), "");
  EXPECT_EQ(issued->root_pem, (*ca)->root_pem());
  auto chain = testing::ReadChain(issued->chain_pem);
  ASSERT_EQ(chain.size(), 2u);  // the workload's certificate, then the root
  EXPECT_EQ(CertificateToPem(chain[1].get()), issued->root_pem);
  X509* leaf = chain[0].get();
  EXPECT_EQ(testing::SubjectAltNames(leaf),
            std::vector<std::string>{"URI:spiffe://example.org/service/ticket"});
  EXPECT_EQ(testing::CommonName(leaf), "ticket");
  EXPECT_EQ(NotAfter(leaf), now + seconds(30));
  EXPECT_EQ(issued->not_after, now + seconds(30));
  EXPECT_LE(NotBefore(leaf), now);
  // The certificate is for the workload's key: the private half it kept matches.
  KeyPtr key = KeyFromPem(key_and_csr->key_pem);
  EXPECT_EQ(X509_check_private_key(leaf, key.get()), 1);
  EXPECT_EQ(X509_check_ca(leaf), 0);
  EXPECT_TRUE(X509_get_extended_key_usage(leaf) & XKU_SSL_CLIENT);
  EXPECT_TRUE(X509_get_extended_key_usage(leaf) & XKU_SSL_SERVER);
  // The root is a CA for this trust domain only.
  auto root = CertificateFromPem(issued->root_pem);
  EXPECT_GT(X509_check_ca(root.get()), 0);
  EXPECT_EQ(testing::SubjectAltNames(root.get()),
            std::vector<std::string>{"URI:spiffe://example.org"});

  // Another certificate: another serial.
  auto again = (*ca)->Issue(Csr(), "ticket");
  ASSERT_TRUE(again.ok());
  auto second = testing::ReadChain(again->chain_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(leaf), X509_get0_serialNumber(second[0].get())),
            0);
}

// A CSR asking for another identity (other subject, other SANs) gets the service's only.
std::string CsrAskingFor(const std::string& common_name, const std::string& san) {
  KeyPtr key = std::move(*NewP256Key());
  RequestPtr request(X509_REQ_new());
  X509_NAME* name = X509_REQ_get_subject_name(request.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  STACK_OF(X509_EXTENSION)* extensions = sk_X509_EXTENSION_new_null();
  sk_X509_EXTENSION_push(extensions,
                         X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str()));
  X509_REQ_add_extensions(request.get(), extensions);
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  X509_REQ_set_pubkey(request.get(), key.get());
  X509_REQ_sign(request.get(), key.get(), EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, request.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

TEST(CertificateAuthority, IgnoresTheNamesTheCsrAsksFor) {
  switchboard::testing::TempDir dir;
  auto ca = CertificateAuthority::LoadOrCreate(Options(dir.path(), WholeSecondNow()));
  ASSERT_TRUE(ca.ok()) << ca.status();
  auto issued = (*ca)->Issue(
      CsrAskingFor("gateway", "URI:spiffe://switchboard.local/service/gateway,DNS:evil.example"),
      "fraud");
  ASSERT_TRUE(issued.ok()) << issued.status();
  auto chain = testing::ReadChain(issued->chain_pem);
  EXPECT_EQ(testing::SubjectAltNames(chain[0].get()),
            std::vector<std::string>{"URI:spiffe://switchboard.local/service/fraud"});
  EXPECT_EQ(testing::CommonName(chain[0].get()), "fraud");
}

std::string RsaCsr(int bits) {
  KeyPtr key(EVP_RSA_gen(static_cast<unsigned int>(bits)));
  RequestPtr request(X509_REQ_new());
  X509_REQ_set_pubkey(request.get(), key.get());
  X509_REQ_sign(request.get(), key.get(), EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, request.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

// `pem` with one character of its base64 body changed, `from_end` characters before the end
// marker (the signature is at the end of the DER).
std::string Tampered(std::string pem, size_t from_end) {
  const size_t end = pem.find("-----END");
  size_t at = end - 2 - from_end;
  while (pem[at] == '\n' || pem[at] == '=') --at;
  pem[at] = pem[at] == 'A' ? 'B' : 'A';
  return pem;
}

struct BadCsr {
  const char* name;
  std::string pem;
  std::string message;
};

TEST(CertificateAuthority, RefusesGarbageCsrsNamingWhatIsWrong) {
  switchboard::testing::TempDir dir;
  auto ca = CertificateAuthority::LoadOrCreate(Options(dir.path(), WholeSecondNow()));
  ASSERT_TRUE(ca.ok()) << ca.status();
  const std::string not_pem =
      "csr_pem: not a PEM certificate request (no \"-----BEGIN CERTIFICATE REQUEST-----\")";
  const std::vector<BadCsr> cases = {
      {"empty", "", not_pem},
      {"text", "hello", not_pem},
      {"a certificate", (*ca)->root_pem(), not_pem},
      {"bad base64",
       "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n",
       "csr_pem: the certificate request does not parse"},
      {"truncated DER",
       "-----BEGIN CERTIFICATE REQUEST-----\nMIIBADCB\n-----END CERTIFICATE REQUEST-----\n",
       "csr_pem: the certificate request does not parse"},
      {"signature changed", Tampered(Csr(), 4),
       "csr_pem: the request's signature does not verify with its own public key"},
      {"RSA too small", RsaCsr(1024), "csr_pem: RSA key of 1024 bits (accepted: 2048..8192)"},
  };
  for (const auto& c : cases) {
    auto issued = (*ca)->Issue(c.pem, "ticket");
    ASSERT_FALSE(issued.ok()) << c.name;
    EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(issued.status().message(), c.message) << c.name;
  }
  // An RSA key of an accepted size is signed.
  EXPECT_TRUE((*ca)->Issue(RsaCsr(2048), "ticket").ok());
  EXPECT_EQ((*ca)->Issue(Csr(), "Ticket").status().code(), absl::StatusCode::kInvalidArgument);
}

mode_t Mode(const std::string& path) {
  struct stat info {};
  stat(path.c_str(), &info);
  return info.st_mode & 0777;
}

TEST(CertificateAuthority, KeepsItsKeyAndRootAcrossRestarts) {
  switchboard::testing::TempDir dir;
  const std::string ca_dir = dir.path() + "/ca";
  const auto now = WholeSecondNow();
  std::string root;
  std::string chain;
  {
    auto ca = CertificateAuthority::LoadOrCreate(Options(ca_dir, now));
    ASSERT_TRUE(ca.ok()) << ca.status();
    root = (*ca)->root_pem();
    chain = (*ca)->Issue(Csr(), "ticket")->chain_pem;
  }
  EXPECT_EQ(Mode(CertificateAuthority::KeyPath(ca_dir)), 0600u);
  EXPECT_EQ(Mode(ca_dir), 0700u);
  auto again = CertificateAuthority::LoadOrCreate(Options(ca_dir, now));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->root_pem(), root);
  // Certificates from before the restart still verify, and new ones against the same root.
  EXPECT_EQ(testing::VerifyAgainstRoot(chain, (*again)->root_pem()), "");
  EXPECT_EQ(testing::VerifyAgainstRoot((*again)->Issue(Csr(), "ticket")->chain_pem, root), "");
}

TEST(CertificateAuthority, RefusesADataDirectoryItCannotTrust) {
  const auto now = WholeSecondNow();
  {  // the root without its key
    switchboard::testing::TempDir dir;
    ASSERT_TRUE(CertificateAuthority::LoadOrCreate(Options(dir.path(), now)).ok());
    std::filesystem::remove(CertificateAuthority::KeyPath(dir.path()));
    auto ca = CertificateAuthority::LoadOrCreate(Options(dir.path(), now));
    EXPECT_EQ(ca.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(ca.status().message().find("holds ca.pem but no ca.key"), std::string::npos)
        << ca.status();
  }
  {  // another CA's key
    switchboard::testing::TempDir dir, other;
    ASSERT_TRUE(CertificateAuthority::LoadOrCreate(Options(dir.path(), now)).ok());
    ASSERT_TRUE(CertificateAuthority::LoadOrCreate(Options(other.path(), now)).ok());
    std::filesystem::copy_file(CertificateAuthority::KeyPath(other.path()),
                               CertificateAuthority::KeyPath(dir.path()),
                               std::filesystem::copy_options::overwrite_existing);
    auto ca = CertificateAuthority::LoadOrCreate(Options(dir.path(), now));
    EXPECT_EQ(ca.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(ca.status().message().find("does not belong to"), std::string::npos) << ca.status();
  }
  {  // made for another trust domain
    switchboard::testing::TempDir dir;
    ASSERT_TRUE(CertificateAuthority::LoadOrCreate(Options(dir.path(), now)).ok());
    CaOptions options = Options(dir.path(), now);
    options.trust_domain = "example.org";
    auto ca = CertificateAuthority::LoadOrCreate(options);
    EXPECT_EQ(ca.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(ca.status().message().find(
                  "was made for spiffe://switchboard.local, not for trust domain \"example.org\""),
              std::string::npos)
        << ca.status();
  }
  {  // a lifetime outside the bounds
    switchboard::testing::TempDir dir;
    CaOptions options = Options(dir.path(), now);
    options.lifetime = seconds(0);
    EXPECT_EQ(CertificateAuthority::LoadOrCreate(options).status().message(),
              "certificate lifetime 0s: must be between 1s and 2592000s");
    options.lifetime = CaOptions::kMaxLifetime + seconds(1);
    EXPECT_EQ(CertificateAuthority::LoadOrCreate(options).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace switchboard::xds::ca
