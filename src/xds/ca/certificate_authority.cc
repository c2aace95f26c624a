#include "xds/ca/certificate_authority.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <vector>

#include "absl/strings/str_cat.h"

namespace switchboard::xds::ca {
namespace {

using std::chrono::system_clock;

constexpr std::chrono::hours kRootLifetime{24 * 365 * 10};
// notBefore is set this far back, so a peer whose clock is a little behind the control
// plane's does not reject a certificate that was just issued.
constexpr std::chrono::seconds kClockSkewAllowance{60};
constexpr size_t kSerialBytes = 16;
constexpr size_t kMaxTrustDomainLength = 255;
constexpr size_t kMaxServiceNameLength = 63;
// CA files are a few hundred bytes; anything far larger is not ours.
constexpr size_t kMaxCaFileBytes = 64 * 1024;
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
constexpr char kRootCommonName[] = "Switchboard mesh CA";

absl::Status AddExtension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) return OpenSslError(absl::StrCat("certificate extension ", value));
  X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
  return absl::OkStatus();
}

void AddNameEntry(X509_NAME* name, const char* field, const std::string& value) {
  X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
}

void SetRandomSerial(X509* certificate) {
  unsigned char serial[kSerialBytes];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;  // a positive serial number
  BIGNUM* number = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate));
  BN_free(number);
}

void SetValidity(X509* certificate, system_clock::time_point not_before,
                 system_clock::time_point not_after) {
  ASN1_TIME_set(X509_getm_notBefore(certificate), system_clock::to_time_t(not_before));
  ASN1_TIME_set(X509_getm_notAfter(certificate), system_clock::to_time_t(not_after));
}

absl::StatusOr<CertificatePtr> MakeRoot(EVP_PKEY* key, const CaOptions& options) {
  CertificatePtr root(X509_new());
  X509_set_version(root.get(), X509_VERSION_3);
  SetRandomSerial(root.get());
  const auto now = options.clock();
  SetValidity(root.get(), now - kClockSkewAllowance, now + kRootLifetime);
  X509_set_pubkey(root.get(), key);
  X509_NAME* name = X509_get_subject_name(root.get());
  AddNameEntry(name, "O", options.trust_domain);
  AddNameEntry(name, "CN", kRootCommonName);
  X509_set_issuer_name(root.get(), name);
  const std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
      {NID_key_usage, "critical,keyCertSign,cRLSign"},
      {NID_subject_key_identifier, "hash"},
      {NID_subject_alt_name, "URI:spiffe://" + options.trust_domain}};
  for (const auto& [nid, value] : extensions) {
    if (auto s = AddExtension(root.get(), root.get(), nid, value); !s.ok()) return s;
  }
  if (X509_sign(root.get(), key, EVP_sha256()) == 0) return OpenSslError("signing the mesh root");
  return root;
}

// The URI SANs of `certificate`.
std::vector<std::string> UriNames(X509* certificate) {
  std::vector<std::string> uris;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return uris;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
  }
  GENERAL_NAMES_free(names);
  return uris;
}

absl::Status CheckWorkloadKey(EVP_PKEY* key) {
  const int type = EVP_PKEY_get_base_id(key);
  if (type == EVP_PKEY_EC) {
    char curve[64] = "";
    size_t length = 0;
    EVP_PKEY_get_group_name(key, curve, sizeof(curve), &length);
    const std::string name(curve, length);
    if (name != "prime256v1" && name != "secp384r1") {
      return absl::InvalidArgumentError(
          absl::StrCat("csr_pem: EC key on curve \"", name, "\" (accepted: P-256, P-384)"));
    }
    return absl::OkStatus();
  }
  if (type == EVP_PKEY_RSA) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      return absl::InvalidArgumentError(absl::StrCat(
          "csr_pem: RSA key of ", bits, " bits (accepted: ", kMinRsaBits, "..", kMaxRsaBits, ")"));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("csr_pem: key type ", OBJ_nid2sn(type), " (accepted: EC P-256 or P-384, RSA)"));
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

absl::Status ValidateTrustDomain(const std::string& trust_domain) {
  bool ok = !trust_domain.empty() && trust_domain.size() <= kMaxTrustDomainLength;
  for (char c : trust_domain) ok = ok && (IsLowerAlnum(c) || c == '.' || c == '-' || c == '_');
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("trust domain \"", trust_domain.substr(0, kMaxTrustDomainLength),
                   "\": 1..255 of lowercase letters, digits, '.', '-' and '_'"));
}

absl::Status ValidateServiceName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxServiceNameLength && name[0] >= 'a' &&
            name[0] <= 'z' && name.back() != '-';
  for (char c : name) ok = ok && (IsLowerAlnum(c) || c == '-');
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "service_name \"", name.substr(0, kMaxServiceNameLength),
      name.size() > kMaxServiceNameLength ? "...\"" : "\"",
      ": 1..63 lowercase letters, digits and '-', starting with a letter, not ending with '-'"));
}

std::string SpiffeId(const std::string& trust_domain, const std::string& name) {
  return absl::StrCat("spiffe://", trust_domain, "/service/", name);
}

CertificateAuthority::CertificateAuthority(CaOptions options, KeyPtr key, CertificatePtr root)
    : options_(std::move(options)),
      key_(std::move(key)),
      root_(std::move(root)),
      root_pem_(CertificateToPem(root_.get())) {}

absl::StatusOr<std::unique_ptr<CertificateAuthority>> CertificateAuthority::LoadOrCreate(
    const CaOptions& options) {
  if (auto s = ValidateTrustDomain(options.trust_domain); !s.ok()) return s;
  if (options.lifetime < CaOptions::kMinLifetime || options.lifetime > CaOptions::kMaxLifetime) {
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate lifetime ", options.lifetime.count(), "s: must be between ",
        CaOptions::kMinLifetime.count(), "s and ", CaOptions::kMaxLifetime.count(), "s"));
  }
  if (!options.clock) return absl::InvalidArgumentError("certificate authority: no clock");
  std::error_code error;
  std::filesystem::create_directories(options.dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot make ", options.dir.string(), ": ", error.message()));
  }
  chmod(options.dir.c_str(), 0700);
  const auto key_path = KeyPath(options.dir);
  const auto root_path = RootPath(options.dir);
  const bool has_key = std::filesystem::exists(key_path);
  const bool has_root = std::filesystem::exists(root_path);

  if (!has_key && !has_root) {
    auto key = NewP256Key();
    if (!key.ok()) return key.status();
    auto root = MakeRoot(key->get(), options);
    if (!root.ok()) return root.status();
    // The key first: a crash between the two leaves a key without a root, which is refused
    // below rather than half-trusted.
    if (auto s = WriteFileAtomically(key_path, KeyToPem(key->get()), 0600); !s.ok()) return s;
    if (auto s = WriteFileAtomically(root_path, CertificateToPem(root->get()), 0644); !s.ok()) {
      return s;
    }
    return std::unique_ptr<CertificateAuthority>(
        new CertificateAuthority(options, std::move(*key), std::move(*root)));
  }
  if (!has_key || !has_root) {
    return absl::FailedPreconditionError(absl::StrCat(
        options.dir.string(), " holds ", has_key ? "ca.key but no ca.pem" : "ca.pem but no ca.key",
        ": restore the missing file, or remove both to make a new CA (every workload then needs "
        "new certificates)"));
  }
  auto key_pem = ReadSmallFile(key_path, kMaxCaFileBytes);
  if (!key_pem.ok()) return key_pem.status();
  auto root_text = ReadSmallFile(root_path, kMaxCaFileBytes);
  if (!root_text.ok()) return root_text.status();
  KeyPtr key = KeyFromPem(*key_pem);
  if (!key) return absl::FailedPreconditionError(key_path.string() + " is not a PEM private key");
  CertificatePtr root = CertificateFromPem(*root_text);
  if (!root) return absl::FailedPreconditionError(root_path.string() + " is not a PEM certificate");
  if (X509_check_private_key(root.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(
        absl::StrCat(root_path.string(), " does not belong to ", key_path.string()));
  }
  if (NotAfter(root.get()) <= options.clock()) {
    return absl::FailedPreconditionError(absl::StrCat(root_path.string(), " has expired"));
  }
  const std::string expected = "spiffe://" + options.trust_domain;
  const auto uris = UriNames(root.get());
  if (uris.size() != 1 || uris[0] != expected) {
    return absl::FailedPreconditionError(absl::StrCat(
        root_path.string(), " was made for ", uris.empty() ? "no trust domain" : uris[0],
        ", not for trust domain \"", options.trust_domain, "\""));
  }
  return std::unique_ptr<CertificateAuthority>(
      new CertificateAuthority(options, std::move(key), std::move(root)));
}

absl::StatusOr<IssuedCertificate> CertificateAuthority::Issue(
    const std::string& csr_pem, const std::string& service_name) const {
  if (auto s = ValidateServiceName(service_name); !s.ok()) return s;
  if (csr_pem.find("-----BEGIN CERTIFICATE REQUEST-----") == std::string::npos) {
    return absl::InvalidArgumentError(
        "csr_pem: not a PEM certificate request (no \"-----BEGIN CERTIFICATE REQUEST-----\")");
  }
  BIO* bio = BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size()));
  RequestPtr request(PEM_read_bio_X509_REQ(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  ERR_clear_error();
  if (!request) {
    return absl::InvalidArgumentError("csr_pem: the certificate request does not parse");
  }
  KeyPtr public_key(X509_REQ_get_pubkey(request.get()));
  if (!public_key) {
    ERR_clear_error();
    return absl::InvalidArgumentError("csr_pem: no usable public key in the request");
  }
  if (auto s = CheckWorkloadKey(public_key.get()); !s.ok()) return s;
  // The signature proves the caller holds the private key of what it asks us to certify.
  if (X509_REQ_verify(request.get(), public_key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "csr_pem: the request's signature does not verify with its own public key");
  }

  CertificatePtr certificate(X509_new());
  X509_set_version(certificate.get(), X509_VERSION_3);
  SetRandomSerial(certificate.get());
  const auto now = options_.clock();
  const auto not_after = now + options_.lifetime;
  SetValidity(certificate.get(), now - kClockSkewAllowance, not_after);
  X509_set_pubkey(certificate.get(), public_key.get());
  X509_NAME* name = X509_get_subject_name(certificate.get());
  AddNameEntry(name, "O", options_.trust_domain);
  AddNameEntry(name, "CN", service_name);
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(root_.get()));
  // Usable as both ends of mTLS between sidecars; the SPIFFE URI is its only name.
  const std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
      {NID_ext_key_usage, "serverAuth,clientAuth"},
      {NID_authority_key_identifier, "keyid:always"},
      {NID_subject_alt_name, "URI:" + SpiffeId(options_.trust_domain, service_name)}};
  for (const auto& [nid, value] : extensions) {
    if (auto s = AddExtension(certificate.get(), root_.get(), nid, value); !s.ok()) return s;
  }
  if (X509_sign(certificate.get(), key_.get(), EVP_sha256()) == 0) {
    return OpenSslError("signing a certificate for " + service_name);
  }
  IssuedCertificate issued;
  issued.chain_pem = CertificateToPem(certificate.get()) + root_pem_;
  issued.root_pem = root_pem_;
  issued.not_after = system_clock::from_time_t(system_clock::to_time_t(not_after));
  return issued;
}

}  // namespace switchboard::xds::ca
