// The local CA of `switchboard up --tls`: made once and kept, the gateway's certificate
// signed by it for the local names, made again when missing, keys private.
#include "cli/local_tls.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "testing/temp_dir.h"

namespace switchboard::cli {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

X509* ReadCertificate(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  X509* certificate = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  return certificate;
}

// Verifies `leaf` against `ca` alone, as a client trusting only that CA does, for `ip`.
bool VerifiesFor(X509* leaf, X509* ca, const std::string& ip) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* context = X509_STORE_CTX_new();
  X509_STORE_CTX_init(context, store, leaf, nullptr);
  X509_VERIFY_PARAM_set1_ip_asc(X509_STORE_CTX_get0_param(context), ip.c_str());
  const bool ok = X509_verify_cert(context) == 1;
  X509_STORE_CTX_free(context);
  X509_STORE_free(store);
  return ok;
}

TEST(LocalTls, MakesACaOnceAndAGatewayCertificateItSigned) {
  testing::TempDir dir;
  const std::string tls = dir.path() + "/tls";
  auto files = EnsureLocalTls(tls, "127.0.0.1");
  ASSERT_TRUE(files.ok()) << files.status();
  X509* ca = ReadCertificate(files->ca_cert);
  X509* leaf = ReadCertificate(files->server_cert);
  ASSERT_NE(ca, nullptr);
  ASSERT_NE(leaf, nullptr);
  EXPECT_TRUE(VerifiesFor(leaf, ca, "127.0.0.1"));
  EXPECT_TRUE(VerifiesFor(leaf, ca, "::1"));
  EXPECT_FALSE(VerifiesFor(leaf, ca, "10.1.2.3"));
  // Keys readable by their owner only, the directory too.
  struct stat info {};
  ASSERT_EQ(stat((tls + "/ca.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((tls + "/gateway.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(tls.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);

  // A second run keeps everything, so a CA the user trusted stays trusted.
  const std::string ca_pem = ReadFile(files->ca_cert);
  const std::string leaf_pem = ReadFile(files->server_cert);
  ASSERT_TRUE(EnsureLocalTls(tls, "127.0.0.1").ok());
  EXPECT_EQ(ReadFile(files->ca_cert), ca_pem);
  EXPECT_EQ(ReadFile(files->server_cert), leaf_pem);

  // A gateway certificate gone is made again, by the same CA.
  std::remove(files->server_cert.c_str());
  ASSERT_TRUE(EnsureLocalTls(tls, "127.0.0.1").ok());
  EXPECT_EQ(ReadFile(files->ca_cert), ca_pem);
  X509* again = ReadCertificate(files->server_cert);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(VerifiesFor(again, ca, "127.0.0.1"));
  X509_free(again);
  X509_free(leaf);
  X509_free(ca);
}

TEST(LocalTls, AnotherHostIsNamedToo) {
  testing::TempDir dir;
  auto files = EnsureLocalTls(dir.path() + "/tls", "10.20.30.40");
  ASSERT_TRUE(files.ok()) << files.status();
  X509* ca = ReadCertificate(files->ca_cert);
  X509* leaf = ReadCertificate(files->server_cert);
  EXPECT_TRUE(VerifiesFor(leaf, ca, "10.20.30.40"));
  EXPECT_TRUE(VerifiesFor(leaf, ca, "127.0.0.1"));
  X509_free(leaf);
  X509_free(ca);
}

}  // namespace
}  // namespace switchboard::cli
