// The gateway's TLS listener, on a real `switchboard gateway` process in front of a real ticket
// service: curl over TLS with ALPN h2 and http/1.1, grpc++ with TLS credentials, client
// certificates (mTLS), connections that never finish a handshake, and certificates replaced
// under load and re-read on SIGHUP.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "gateway/testing/gateway_process.h"
#include "gateway/testing/gateway_test_support.h"
#include "services/ticket/ticket_service.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "testing/call_recorder.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// Runs `command` through the shell; its standard output, and its exit status in `status`.
std::string Shell(const std::string& command, int* status = nullptr) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  const int raw = pclose(pipe);
  if (status != nullptr) *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return output;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A CA and certificates it signed, made with the openssl command in a directory of the test's.
class TestPki {
 public:
  explicit TestPki(const std::string& dir) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    Openssl(
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
        "'/CN=Switchboard Test CA' -keyout " +
        dir_ + "/ca.key -out " + dir_ + "/ca.pem");
  }
  // A certificate for `name` signed by the CA: `server` ones name 127.0.0.1 and localhost,
  // client ones carry `uri` as their SAN.
  void Issue(const std::string& name, bool server, const std::string& uri = {}) {
    const std::string base = dir_ + "/" + name;
    Openssl("req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=" + name +
            "/O=Switchboard' -keyout " + base + ".key -out " + base + ".csr");
    std::ofstream(base + ".ext")
        << (server ? "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
                   : "subjectAltName=URI:" + uri + "\nextendedKeyUsage=clientAuth\n");
    Openssl("x509 -req -in " + base + ".csr -CA " + dir_ + "/ca.pem -CAkey " + dir_ +
            "/ca.key -CAcreateserial -days 2 -extfile " + base + ".ext -out " + base + ".pem");
  }
  std::string path(const std::string& file) const { return dir_ + "/" + file; }

 private:
  void Openssl(const std::string& args) {
    int status = 0;
    Shell("openssl " + args + " 2>&1", &status);
    ASSERT_EQ(status, 0) << "openssl " << args;
  }
  std::string dir_;
};

class TlsGateway {
 public:
  // `tls_block` is the YAML map under `tls:` without its listen address (empty: no TLS
  // listener); `backend_tls` the ticket service's `tls:` map (empty: h2c to it); `more_yaml`
  // further top-level lines.
  TlsGateway(const std::string& backend, const std::string& tls_block,
             const std::string& backend_tls = {}, const std::string& more_yaml = {})
      : port_(testing::FreePort()), tls_port_(testing::FreePort()) {
    config_ = dir_.path() + "/gateway.yaml";
    std::ofstream config(config_);
    config << "listen: 127.0.0.1:" << port_ << "\nworkers: " << TestGatewayWorkers() << "\n";
    if (!tls_block.empty()) {
      config << "tls: {listen: 127.0.0.1:" << tls_port_ << ", " << tls_block << "}\n";
    }
    config << "descriptors: [" SB_DESCRIPTOR_SET
           << "]\nservices: {switchboard.ticket.v1.TicketService: {backends: [" << backend << "]"
           << (backend_tls.empty() ? "" : ", tls: {" + backend_tls + "}") << "}}\n"
           << more_yaml;
    config.close();
    process_ = std::make_unique<GatewayProcess>(config_, dir_.path() + "/gateway.log");
  }
  // SIGTERM, then waits up to `limit` for the exit: its wait status, -1 when it was killed.
  int Stop(milliseconds limit) { return process_->Stop(SIGTERM, limit); }
  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  std::string Output() const { return process_->Output(); }
  void Reload() { kill(process_->pid(), SIGHUP); }
  bool Running() { return process_->Running(); }

 private:
  testing::TempDir dir_;
  int port_;
  int tls_port_;
  std::string config_;
  std::unique_ptr<GatewayProcess> process_;
};

// Opens a TCP connection to 127.0.0.1:`port` and sends nothing (-1 when it cannot connect).
int ConnectSilently(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Whether the peer of `fd` closed it within `limit` (a read returning end of file or an error).
bool ClosedByPeerWithin(int fd, milliseconds limit) {
  timeval poll_interval{0, 50 * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &poll_interval, sizeof(poll_interval));
  const auto give_up = Clock::now() + limit;
  char buffer[256];
  while (Clock::now() < give_up) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      return true;
    }
  }
  return false;
}

// Waits until `output()` holds `text`, at most `limit`.
template <class Output>
bool WaitForText(Output output, const std::string& text, milliseconds limit) {
  const auto give_up = Clock::now() + limit;
  while (output().find(text) == std::string::npos) {
    if (Clock::now() > give_up) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

std::string Https(int port, const std::string& path) {
  return "https://127.0.0.1:" + std::to_string(port) + path;
}

std::shared_ptr<grpc::Channel> TlsChannel(int port, const std::string& ca_pem,
                                          const std::string& cert_pem = {},
                                          const std::string& key_pem = {}) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca_pem;
  options.pem_cert_chain = cert_pem;
  options.pem_private_key = key_pem;
  grpc::ChannelArguments arguments;
  arguments.SetSslTargetNameOverride("localhost");
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::SslCredentials(options), arguments);
}

grpc::Status GetEvent(ticket::v1::TicketService::Stub& stub,
                      const std::vector<std::pair<std::string, std::string>>& metadata = {}) {
  grpc::ClientContext context;
  for (const auto& [name, value] : metadata) context.AddMetadata(name, value);
  context.set_deadline(std::chrono::system_clock::now() + seconds(5));
  ticket::v1::GetEventRequest request;
  request.set_id("evt-1");
  ticket::v1::Event event;
  return stub.GetEvent(&context, request, &event);
}

// Connects to 127.0.0.1:`port`, sends `bytes`, and returns how long until the gateway closed
// the connection (or `limit` when it did not).
milliseconds TimeUntilClosed(int port, const std::string& bytes, milliseconds limit) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const auto start = Clock::now();
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return milliseconds(0);
  }
  if (!bytes.empty()) send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  timeval poll_interval{0, 50 * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &poll_interval, sizeof(poll_interval));
  char buffer[4096];
  while (Clock::now() - start < limit) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) break;
  }
  close(fd);
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_.Issue("gateway", true);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
  }
  std::string ServerFiles() const {
    return "cert_file: " + pki_.path("gateway.pem") + ", key_file: " + pki_.path("gateway.key");
  }
  testing::TempDir dir_;
  TestPki pki_{dir_.path()};
  testing::TestServer backend_{ticket::MakeTicketService};
};

TEST_F(TlsTest, CurlGetsRestOverHttp2AndHttp11ByAlpn) {
  TlsGateway gateway(backend_.address(), ServerFiles());
  ASSERT_NE(gateway.Output().find("tls_address=127.0.0.1:" + std::to_string(gateway.tls_port())),
            std::string::npos)
      << gateway.Output();
  for (const std::string& version : {"--http2", "--http1.1"}) {
    int status = 0;
    const std::string output = Shell("curl -sS --max-time 10 --cacert " + pki_.path("ca.pem") +
                                         " " + version + " -w '\\n%{http_code} %{http_version}' " +
                                         Https(gateway.tls_port(), "/events/evt-1"),
                                     &status);
    ASSERT_EQ(status, 0) << version << ": " << output;
    EXPECT_NE(output.find("\"id\":\"evt-1\""), std::string::npos) << output;
    const std::string expected = version == "--http2" ? "200 2" : "200 1.1";
    EXPECT_EQ(output.substr(output.rfind('\n') + 1), expected) << output;
  }
  // The plaintext port serves as before.
  int status = 0;
  const std::string plain = Shell(
      "curl -sS --max-time 10 http://127.0.0.1:" + std::to_string(gateway.port()) + "/events/evt-1",
      &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(plain.find("\"id\":\"evt-1\""), std::string::npos) << plain;
}

TEST_F(TlsTest, NativeGrpcOverTlsWithGrpcCredentials) {
  TlsGateway gateway(backend_.address(), ServerFiles());
  auto stub = ticket::v1::TicketService::NewStub(
      TlsChannel(gateway.tls_port(), ReadFile(pki_.path("ca.pem"))));
  for (int i = 0; i < 20; ++i) {
    const grpc::Status status = GetEvent(*stub);
    ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  }
  // A client that trusts another CA fails the handshake, and is told so by its own library.
  TestPki other(dir_.path() + "/other");
  auto stranger = ticket::v1::TicketService::NewStub(
      TlsChannel(gateway.tls_port(), ReadFile(dir_.path() + "/other/ca.pem")));
  EXPECT_EQ(GetEvent(*stranger).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, PlaintextAndStalledHandshakesAreClosedWithALogLineAndCostOthersNothing) {
  TlsGateway gateway(backend_.address(), ServerFiles() + ", handshake_timeout: 300ms");
  auto stub = ticket::v1::TicketService::NewStub(
      TlsChannel(gateway.tls_port(), ReadFile(pki_.path("ca.pem"))));
  ASSERT_TRUE(GetEvent(*stub).ok());
  // HTTP/1.1 in plaintext to the TLS port: not a TLS record, closed at once.
  const milliseconds plaintext = TimeUntilClosed(
      gateway.tls_port(), "GET /events/evt-1 HTTP/1.1\r\nHost: x\r\n\r\n", seconds(5));
  EXPECT_LT(plaintext, milliseconds(1000));
  // Ten connections that never say anything: each closed once the handshake time is up, while
  // a well-behaved client goes on being served.
  std::vector<std::thread> stalled;
  std::vector<milliseconds> closed_after(10);
  for (size_t i = 0; i < closed_after.size(); ++i) {
    stalled.emplace_back(
        [&, i] { closed_after[i] = TimeUntilClosed(gateway.tls_port(), "", seconds(5)); });
  }
  int served = 0;
  const auto until = Clock::now() + milliseconds(400);
  while (Clock::now() < until) {
    ASSERT_TRUE(GetEvent(*stub).ok());
    ++served;
  }
  for (auto& thread : stalled) thread.join();
  EXPECT_GT(served, 0);
  for (const milliseconds waited : closed_after) {
    EXPECT_GE(waited, milliseconds(250));
    EXPECT_LT(waited, milliseconds(2000));
  }
  EXPECT_TRUE(
      WaitForText([&] { return gateway.Output(); }, "not finished within 300 ms", seconds(2)))
      << gateway.Output();
  EXPECT_NE(gateway.Output().find("gateway tls: handshake with 127.0.0.1:"), std::string::npos);
  EXPECT_TRUE(gateway.Running());
}

TEST_F(TlsTest, HandshakesInProgressAreClosedAtOnceByAShutdown) {
  // Neither the handshake time nor the drain's grace may hold a stop: a connection that has
  // not finished its handshake carries no call to finish.
  constexpr auto kHandshakeTimeout = seconds(30);
  constexpr auto kShutdownGrace = seconds(20);
  constexpr auto kWellBefore = seconds(5);
  TlsGateway gateway(
      backend_.address(),
      ServerFiles() + ", handshake_timeout: " + std::to_string(kHandshakeTimeout.count()) + "s", {},
      "limits: {shutdown_grace: " + std::to_string(kShutdownGrace.count()) + "s}\n");
  auto stub = ticket::v1::TicketService::NewStub(
      TlsChannel(gateway.tls_port(), ReadFile(pki_.path("ca.pem"))));
  ASSERT_TRUE(GetEvent(*stub).ok()) << gateway.Output();
  constexpr int kSilentClients = 3;
  std::vector<int> silent;
  for (int i = 0; i < kSilentClients; ++i) silent.push_back(ConnectSilently(gateway.tls_port()));
  for (const int fd : silent) ASSERT_GE(fd, 0);
  // Accepted and dealt to a worker: the gateway has them in their handshake.
  std::this_thread::sleep_for(milliseconds(300));
  const auto stopping = Clock::now();
  const int status = gateway.Stop(kWellBefore);
  const auto stopped_after = Clock::now() - stopping;
  EXPECT_NE(status, -1) << "not stopped within " << kWellBefore.count()
                        << " s: " << gateway.Output();
  EXPECT_LT(stopped_after, kWellBefore);
  for (const int fd : silent) {
    EXPECT_TRUE(ClosedByPeerWithin(fd, milliseconds(100)));
    close(fd);
  }
  const std::string output = gateway.Output();
  size_t lines = 0;
  for (size_t at = output.find("closed: the gateway is shutting down"); at != std::string::npos;
       at = output.find("closed: the gateway is shutting down", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, static_cast<size_t>(kSilentClients)) << output;
}

TEST_F(TlsTest, MutualTlsRequiresACertificateFromTheClientCa) {
  pki_.Issue("booking", false, "spiffe://switchboard/service/booking");
  TlsGateway gateway(backend_.address(),
                     ServerFiles() + ", client_ca_file: " + pki_.path("ca.pem"));
  const std::string url = Https(gateway.tls_port(), "/events/evt-1");
  int status = 0;
  Shell("curl -sS --max-time 10 --cacert " + pki_.path("ca.pem") + " " + url + " 2>&1", &status);
  EXPECT_NE(status, 0) << "a client without a certificate was let in";
  const std::string output =
      Shell("curl -sS --max-time 10 --cacert " + pki_.path("ca.pem") + " --cert " +
                pki_.path("booking.pem") + " --key " + pki_.path("booking.key") + " " + url,
            &status);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("\"id\":\"evt-1\""), std::string::npos) << output;
  // A certificate from another CA is refused like none.
  TestPki other(dir_.path() + "/other");
  other.Issue("intruder", false, "spiffe://elsewhere/service/intruder");
  Shell("curl -sS --max-time 10 --cacert " + pki_.path("ca.pem") + " --cert " + dir_.path() +
            "/other/intruder.pem --key " + dir_.path() + "/other/intruder.key " + url + " 2>&1",
        &status);
  EXPECT_NE(status, 0) << "a client certificate from an unknown CA was accepted";
  auto stub = ticket::v1::TicketService::NewStub(
      TlsChannel(gateway.tls_port(), ReadFile(pki_.path("ca.pem")),
                 ReadFile(pki_.path("booking.pem")), ReadFile(pki_.path("booking.key"))));
  EXPECT_TRUE(GetEvent(*stub).ok());
}

TEST_F(TlsTest, CertificateReplacedAndReloadedOnSighupWithoutAFailedCall) {
  TlsGateway gateway(backend_.address(), ServerFiles());
  auto serial_seen = [&] {
    return Shell(
        "echo | openssl s_client -connect 127.0.0.1:" + std::to_string(gateway.tls_port()) +
        " -servername localhost 2>/dev/null | openssl x509 -noout -serial");
  };
  const std::string before = serial_seen();
  ASSERT_NE(before.find("serial="), std::string::npos) << before;
  // Calls on one connection all through the reload.
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  std::atomic<int> ok{0};
  std::thread load([&] {
    auto stub = ticket::v1::TicketService::NewStub(
        TlsChannel(gateway.tls_port(), ReadFile(pki_.path("ca.pem"))));
    while (!stop.load()) {
      if (GetEvent(*stub).ok()) {
        ++ok;
      } else {
        ++failed;
      }
    }
  });
  std::this_thread::sleep_for(milliseconds(200));
  // A broken key file first: the running certificate stays, one line says why.
  std::ofstream(pki_.path("gateway.key"), std::ios::trunc) << "not a key\n";
  gateway.Reload();
  EXPECT_TRUE(
      WaitForText([&] { return gateway.Output(); }, "TLS files kept as they were", seconds(5)))
      << gateway.Output();
  EXPECT_EQ(serial_seen(), before);
  // Then a new certificate and key under the same names.
  pki_.Issue("gateway", true);
  gateway.Reload();
  const auto give_up = Clock::now() + seconds(5);
  std::string after = serial_seen();
  while (after == before && Clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(50));
    after = serial_seen();
  }
  EXPECT_NE(after, before) << "the new certificate was not served after SIGHUP";
  std::this_thread::sleep_for(milliseconds(200));
  stop = true;
  load.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(ok.load(), 0);
}

TEST_F(TlsTest, ClientCertificateIdentityReachesTheBackendAndForgedCopiesNever) {
  pki_.Issue("booking", false, "spiffe://switchboard/service/booking");
  testing::CallRecorder recorder;
  testing::TestServer backend{ticket::MakeTicketService, "{}", recorder.Options()};
  TlsGateway gateway(backend.address(), ServerFiles() + ", client_ca_file: " + pki_.path("ca.pem"));
  const std::vector<std::pair<std::string, std::string>> forged = {
      {"x-client-cert-subject", "CN=admin"}, {"x-client-cert-uri", "spiffe://switchboard/admin"}};
  const std::string method = "/switchboard.ticket.v1.TicketService/GetEvent";
  // Native gRPC over mTLS, with forged copies beside the real certificate.
  auto stub = ticket::v1::TicketService::NewStub(
      TlsChannel(gateway.tls_port(), ReadFile(pki_.path("ca.pem")),
                 ReadFile(pki_.path("booking.pem")), ReadFile(pki_.path("booking.key"))));
  ASSERT_TRUE(GetEvent(*stub, forged).ok());
  // REST over mTLS (HTTP/1.1 and HTTP/2), forged headers too.
  for (const std::string& version : {"--http1.1", "--http2"}) {
    int status = 0;
    const std::string body = Shell(
        "curl -sS --max-time 10 " + version + " --cacert " + pki_.path("ca.pem") + " --cert " +
            pki_.path("booking.pem") + " --key " + pki_.path("booking.key") +
            " -H 'x-client-cert-subject: CN=admin' -H 'x-client-cert-uri: spiffe://x/admin' " +
            Https(gateway.tls_port(), "/events/evt-1"),
        &status);
    ASSERT_EQ(status, 0) << body;
  }
  // The plaintext port has no client certificate: forged copies are dropped, nothing added.
  auto plain = ticket::v1::TicketService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(gateway.port()), grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(GetEvent(*plain, forged).ok());

  const auto calls = recorder.WaitForFinished(method, 4, seconds(5));
  ASSERT_EQ(calls.size(), 4u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(calls[i].Metadata("x-client-cert-subject"),
              std::vector<std::string>{"O=Switchboard,CN=booking"})
        << "call " << i;
    EXPECT_EQ(calls[i].Metadata("x-client-cert-uri"),
              std::vector<std::string>{"spiffe://switchboard/service/booking"})
        << "call " << i;
  }
  EXPECT_TRUE(calls[3].Metadata("x-client-cert-subject").empty());
  EXPECT_TRUE(calls[3].Metadata("x-client-cert-uri").empty());
}

// A ticket service behind grpc++'s own TLS, requiring a client certificate from the test CA.
class TlsTicketBackend {
 public:
  TlsTicketBackend(const TestPki& pki, const std::string& data_dir) {
    common::ServiceOptions options;
    options.name = "ticket";
    options.data_dir = data_dir;
    auto service = ticket::MakeTicketService(options);
    EXPECT_TRUE(service.ok()) << service.status();
    service_ = std::move(*service);
    grpc::SslServerCredentialsOptions tls(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = ReadFile(pki.path("ca.pem"));
    tls.pem_key_cert_pairs.push_back(
        {ReadFile(pki.path("backend.key")), ReadFile(pki.path("backend.pem"))});
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port_);
    for (grpc::Service* grpc_service : service_->GrpcServices())
      builder.RegisterService(grpc_service);
    server_ = builder.BuildAndStart();
  }
  ~TlsTicketBackend() { server_->Shutdown(std::chrono::system_clock::now() + seconds(2)); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::unique_ptr<common::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(TlsTest, BackendOverMutualTlsWithItsNameChecked) {
  pki_.Issue("backend", true);
  pki_.Issue("gateway-client", false, "spiffe://switchboard/gateway");
  TlsTicketBackend backend(pki_, dir_.path() + "/ticket-data");
  const std::string ca = "ca_file: " + pki_.path("ca.pem");
  const std::string client = ", cert_file: " + pki_.path("gateway-client.pem") +
                             ", key_file: " + pki_.path("gateway-client.key");
  auto call_through = [&](const TlsGateway& gateway) {
    auto stub = ticket::v1::TicketService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(gateway.port()), grpc::InsecureChannelCredentials()));
    return GetEvent(*stub);
  };
  {
    TlsGateway gateway(backend.address(), "", ca + client + ", server_name: localhost");
    const grpc::Status status = call_through(gateway);
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message() << "\n"
                             << gateway.Output();
  }
  {
    // Without its client certificate the gateway is refused by the backend.
    TlsGateway gateway(backend.address(), "", ca + ", server_name: localhost");
    EXPECT_EQ(call_through(gateway).error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  {
    // A name the backend's certificate does not carry.
    TlsGateway gateway(backend.address(), "", ca + client + ", server_name: elsewhere.example");
    const grpc::Status status = call_through(gateway);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_NE(status.error_message().find("TLS handshake"), std::string::npos)
        << status.error_message();
  }
}

}  // namespace
}  // namespace switchboard::gateway
