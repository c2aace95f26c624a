// `switchboard up --scale` as a user runs it: PostgreSQL and nats-server started by `up` itself
// with their data in the data directory, two replicas each of ticket, booking and notification
// on them. Rows written through one replica are read through the other, a notification
// published on one replica reaches a subscriber on the other, Ctrl-C leaves no process behind,
// and a second run finds the data of the first.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "common/store/pg_connection.h"
#include "switchboard/booking/v1/booking.grpc.pb.h"
#include "switchboard/notification/v1/notification.grpc.pb.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/tcp_proxy.h"
#include "testing/temp_dir.h"

namespace switchboard {
namespace {

using testing::ChildProcess;
using testing::FreePort;
using testing::SwitchboardBinary;

// initdb, PostgreSQL and nats-server, then nine services and their replicas, on a shared
// two-core machine.
constexpr auto kStartWait = std::chrono::seconds(120);
constexpr auto kCallDeadline = std::chrono::seconds(15);
constexpr auto kStopWait = std::chrono::seconds(40);
constexpr auto kGoneWait = std::chrono::seconds(10);
constexpr auto kPoll = std::chrono::milliseconds(50);
constexpr char kEvent[] = "evt-1";
constexpr char kSetsid[] = "/usr/bin/setsid";
constexpr int kReplicas = 2;
constexpr const char* kReplicated[] = {"ticket", "booking", "notification"};
constexpr const char* kSingle[] = {"payment", "fraud", "user", "stock", "chat", "upload"};

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(kPoll);
  }
  return true;
}

bool Gone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

std::string Address(int port) { return "127.0.0.1:" + std::to_string(port); }

template <typename Service>
std::unique_ptr<typename Service::Stub> StubAt(int port) {
  return Service::NewStub(grpc::CreateChannel(Address(port), grpc::InsecureChannelCredentials()));
}

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
}

// One event's seat count as the ticket replica on `port` reads it, by GetEvent and in
// ListEvents; -1 when a call fails or they disagree.
int SeatsAvailable(int port) {
  auto stub = StubAt<ticket::v1::TicketService>(port);
  grpc::ClientContext get_context;
  SetDeadline(get_context);
  ticket::v1::GetEventRequest get;
  get.set_id(kEvent);
  ticket::v1::Event event;
  if (!stub->GetEvent(&get_context, get, &event).ok()) return -1;
  grpc::ClientContext list_context;
  SetDeadline(list_context);
  ticket::v1::ListEventsResponse listed;
  if (!stub->ListEvents(&list_context, ticket::v1::ListEventsRequest(), &listed).ok()) return -1;
  for (const auto& each : listed.events()) {
    if (each.id() == kEvent) {
      return each.seats_available() == event.seats_available() ? event.seats_available() : -1;
    }
  }
  return -1;
}

// The system's ports and config file, in a data directory PostgreSQL's account can reach.
struct ScaledSystem {
  testing::TempDir dir;
  int gateway = FreePort();
  std::map<std::string, int> ports;  // replica 1 of each service; replica 2 on the next port
  std::string config;

  ScaledSystem() {
    // TempDir is private to root; PostgreSQL, run as nobody, walks through it to its data.
    chmod(dir.path().c_str(), 0755);
    config = dir.path() + "/config.yaml";
    std::ofstream out(config);
    out << "gateway_port: " << gateway << "\nservices:\n";
    for (const char* name : kReplicated) {
      ports[name] = testing::FreePortBlock(kReplicas);
      out << "  " << name << ": {port: " << ports[name] << "}\n";
    }
    for (const char* name : kSingle) {
      ports[name] = FreePort();
      out << "  " << name << ": {port: " << ports[name] << "}\n";
    }
  }
  // `up` leading a process group of its own, as a shell runs it in a terminal, so the test can
  // press Ctrl-C: SIGINT to the whole group.
  std::vector<std::string> UpArgs(const std::string& data_dir_name = "var") const {
    std::vector<std::string> args = {kSetsid, SwitchboardBinary(), "up", "--scale"};
    args.insert(args.end(), {"--config", config, "--data-dir", dir.path() + "/" + data_dir_name});
    args.insert(args.end(), {"--replicas", "ticket=2,booking=2,notification=2"});
    args.insert(args.end(), {"--ready-timeout", "60s", "--web", ""});
    return args;
  }
};

// Every child `up` printed in its table (services, postgres, nats-server): name -> pid.
std::map<std::string, pid_t> ChildPids(const std::string& output) {
  std::map<std::string, pid_t> pids;
  const std::regex row(R"((\S+) +127\.0\.0\.1:[0-9]+ +([0-9]+))");
  std::istringstream lines(output);
  std::smatch match;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_match(line, match, row)) pids[match[1].str()] = std::stoi(match[2].str());
  }
  return pids;
}

// The host:port `up` printed for its child `name`, "" when there is none.
std::string PrintedAddress(const std::string& output, const std::string& name) {
  std::smatch match;
  if (!std::regex_search(output, match, std::regex("\n" + name + R"( +(127\.0\.0\.1:[0-9]+) )"))) {
    return "";
  }
  return match[1].str();
}

// The seat count of kEvent as the PostgreSQL that `up` started holds it; -1 when unreadable.
int64_t SeatsInPostgres(const std::string& address) {
  auto conn = common::store::PgConnection::Connect(
      "postgres://switchboard@" + address + "/switchboard", "scale test");
  if (!conn.ok()) return -1;
  auto rows = (*conn)->Execute(std::string("SELECT seats_available FROM events WHERE id = '") +
                               kEvent + "'");
  if (!rows.ok() || rows->Rows() != 1) return -1;
  return rows->Int(0, 0);
}

bool Healthy(ChildProcess& up) {
  WaitFor([&] { return up.Output().find("healthy") != std::string::npos || !up.Running(); },
          kStartWait);
  return up.Output().find("healthy") != std::string::npos;
}

TEST(ScaleUp, ReplicasShareRowsAndStreamsAndCtrlCStopsEveryChild) {
  ScaledSystem system;
  int seats_after = 0;
  {
    ChildProcess up(system.UpArgs(), system.dir.path() + "/up.log");
    ASSERT_TRUE(Healthy(up)) << up.Output();
    const std::map<std::string, pid_t> pids = ChildPids(up.Output());
    ASSERT_EQ(pids.count("postgres"), 1u) << up.Output();
    ASSERT_EQ(pids.count("nats-server"), 1u) << up.Output();
    ASSERT_EQ(pids.count("ticket-2"), 1u) << up.Output();

    // A booking through the gateway: booking reaches ticket, payment and fraud.
    auto booking = StubAt<booking::v1::BookingService>(system.gateway);
    grpc::ClientContext booking_context;
    SetDeadline(booking_context);
    booking::v1::CreateBookingRequest book;
    book.set_event_id(kEvent);
    book.set_user_id("alice");
    book.set_seats(1);
    booking::v1::Booking booked;
    const grpc::Status booked_status = booking->CreateBooking(&booking_context, book, &booked);
    ASSERT_TRUE(booked_status.ok()) << booked_status.error_message() << "\n" << up.Output();

    // Seats reserved on ticket replica 1 are gone on replica 2: one table in PostgreSQL.
    const int first = system.ports.at("ticket");
    const int second = first + 1;
    const int before = SeatsAvailable(second);
    ASSERT_GT(before, 1) << up.Output();
    EXPECT_EQ(SeatsAvailable(first), before);
    auto ticket = StubAt<ticket::v1::TicketService>(first);
    grpc::ClientContext reserve_context;
    SetDeadline(reserve_context);
    ticket::v1::ReserveSeatsRequest reserve;
    reserve.set_event_id(kEvent);
    reserve.set_seats(2);
    reserve.set_reservation_id("scale-test-reservation");
    ticket::v1::Reservation reservation;
    const grpc::Status reserved = ticket->ReserveSeats(&reserve_context, reserve, &reservation);
    ASSERT_TRUE(reserved.ok()) << reserved.error_message();
    seats_after = before - 2;
    EXPECT_EQ(SeatsAvailable(second), seats_after) << up.Output();
    // ... and the table is the PostgreSQL's that `up` started, not a file the replicas share.
    EXPECT_EQ(SeatsInPostgres(PrintedAddress(up.Output(), "postgres")), seats_after) << up.Output();

    // A notification published on replica 1 reaches a subscriber of replica 2 (NATS).
    const int notify_first = system.ports.at("notification");
    auto subscriber_stub = StubAt<notification::v1::NotificationService>(notify_first + 1);
    grpc::ClientContext subscribe_context;
    SetDeadline(subscribe_context);
    notification::v1::SubscribeRequest subscribe;
    subscribe.set_user_id("bob");
    auto stream = subscriber_stub->Subscribe(&subscribe_context, subscribe);
    stream->WaitForInitialMetadata();  // sent once the subscription is registered
    auto publisher = StubAt<notification::v1::NotificationService>(notify_first);
    grpc::ClientContext notify_context;
    SetDeadline(notify_context);
    notification::v1::NotifyRequest notify;
    notify.set_user_id("bob");
    notify.set_title("across replicas");
    notification::v1::NotifyResponse notified;
    const grpc::Status notify_status = publisher->Notify(&notify_context, notify, &notified);
    ASSERT_TRUE(notify_status.ok()) << notify_status.error_message();
    notification::v1::Notification received;
    ASSERT_TRUE(stream->Read(&received)) << up.Output();
    EXPECT_EQ(received.title(), "across replicas");
    subscribe_context.TryCancel();
    stream->Finish();

    // Ctrl-C: `up` exits cleanly and takes every child with it, the services before the
    // servers they use (no service saw its bus go away).
    ASSERT_EQ(kill(-up.pid(), SIGINT), 0);
    const int status = up.Stop(0, kStopWait);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status << "\n"
                                                               << up.Output();
    EXPECT_EQ(up.Output().find("disconnected"), std::string::npos) << up.Output();
    for (const auto& [name, pid] : pids) {
      EXPECT_TRUE(WaitFor([pid = pid] { return Gone(pid); }, kGoneWait))
          << name << " (pid " << pid << ") still runs after Ctrl-C\n"
          << up.Output();
    }
  }

  // A second `up --scale` on the same data directory: no new initdb, the rows are still there.
  const std::string initdb_log = system.dir.path() + "/var/postgres/initdb.log";
  const auto initdb_time = std::filesystem::last_write_time(initdb_log);
  ChildProcess again(system.UpArgs(), system.dir.path() + "/again.log");
  ASSERT_TRUE(Healthy(again)) << again.Output();
  EXPECT_EQ(std::filesystem::last_write_time(initdb_log), initdb_time);
  EXPECT_EQ(SeatsAvailable(system.ports.at("ticket") + 1), seats_after) << again.Output();
  ASSERT_EQ(kill(-again.pid(), SIGINT), 0);
  const int status = again.Stop(0, kStopWait);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << again.Output();
}

TEST(ScaleUp, ErrorsNameWhatIsWrong) {
  ScaledSystem system;
  // A port taken by someone else.
  const int taken = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(taken, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(taken, 1), 0);
  socklen_t size = sizeof(addr);
  getsockname(taken, reinterpret_cast<sockaddr*>(&addr), &size);
  const int port = ntohs(addr.sin_port);
  std::vector<std::string> args = system.UpArgs();
  args.insert(args.end(), {"--nats-port", std::to_string(port)});
  ChildProcess busy(args, system.dir.path() + "/busy.log");
  const int busy_status = busy.Stop(0, kStopWait);
  close(taken);
  EXPECT_TRUE(WIFEXITED(busy_status) && WEXITSTATUS(busy_status) == 1) << busy.Output();
  EXPECT_NE(busy.Output().find("cannot listen on " + Address(port) + " for nats-server"),
            std::string::npos)
      << busy.Output();

  // A server that exits while starting: its last log lines. Here a cluster directory that is
  // not a whole cluster (nothing but a version file, so no postgresql.conf).
  const std::string cluster = system.dir.path() + "/broken/postgres/data";
  std::filesystem::create_directories(cluster);
  std::ofstream(cluster + "/PG_VERSION") << "15\n";
  ChildProcess broken(system.UpArgs("broken"), system.dir.path() + "/broken.log");
  const int broken_status = broken.Stop(0, kStopWait);
  EXPECT_TRUE(WIFEXITED(broken_status) && WEXITSTATUS(broken_status) == 1) << broken.Output();
  EXPECT_NE(broken.Output().find("postgres exited with code 2 while starting; last lines of " +
                                 system.dir.path() + "/broken/postgres/postgres.log:"),
            std::string::npos)
      << broken.Output();
  EXPECT_NE(broken.Output().find("could not access the server configuration file"),
            std::string::npos)
      << broken.Output();

  // URLs that do not parse, named by their flag.
  ChildProcess bad_store(
      {SwitchboardBinary(), "up", "--store", "mysql://x", "--data-dir", system.dir.path() + "/var"},
      system.dir.path() + "/store.log");
  EXPECT_EQ(bad_store.Stop(0, kStopWait), 2 << 8) << bad_store.Output();
  EXPECT_NE(bad_store.Output().find("--store: the store URL does not start with postgres://"),
            std::string::npos)
      << bad_store.Output();
  ChildProcess bad_bus(
      {SwitchboardBinary(), "up", "--bus", "http://x:1", "--data-dir", system.dir.path() + "/var"},
      system.dir.path() + "/bus.log");
  EXPECT_EQ(bad_bus.Stop(0, kStopWait), 2 << 8) << bad_bus.Output();
  EXPECT_NE(bad_bus.Output().find("--bus: \"http://x:1\" does not start with nats://"),
            std::string::npos)
      << bad_bus.Output();
}

}  // namespace
}  // namespace switchboard
