// `switchboard call SERVICE METHOD [JSON]`: reaches every RPC of the system from the shell.
// JSON in, JSON out (one line per streamed message); `-` reads requests from stdin (one per
// line for client-streaming methods). Uploads, downloads and chat have their own modes.
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/call_context.h"
#include "cli/commands.h"
#include "cli/contracts.h"
#include "cli/describe.h"
#include "cli/generic_call.h"
#include "cli/transfer_clients.h"
#include "common/system_config.h"
#include "grpc/health/v1/health.pb.h"
#include "switchboard/upload/v1/upload.pb.h"

namespace switchboard::cli {
namespace {

// `switchboard call describe SERVICE METHOD`: in the service's place, as no service has the name.
constexpr char kDescribe[] = "describe";

void ListMethods(std::ostream& out) {
  for (const auto* service : AllServices()) {
    out << ShortName(service) << "  (" << service->full_name() << ")\n";
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      const char* shape = method->client_streaming()
                              ? (method->server_streaming() ? "bidi streaming" : "client streaming")
                              : (method->server_streaming() ? "server streaming" : "unary");
      out << "  " << method->name() << "(" << method->input_type()->name() << ") -> "
          << method->output_type()->name() << "  [" << shape << "]\n";
    }
  }
}

// The JSON requests to send: the argument, or stdin when it is "-".
std::vector<std::string> RequestTexts(const CallFlags& flags, bool client_streaming) {
  if (flags.request != "-") return {flags.request};
  std::vector<std::string> texts;
  if (!client_streaming) {
    texts.emplace_back(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return texts;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) texts.push_back(line);
  }
  return texts;
}

// `up` leaves its effective configuration in its data directory; without --config, `call`
// finds a system started with the default data directory from there, replicas included.
absl::StatusOr<common::SystemConfig> CallConfig(const CallFlags& flags) {
  if (!flags.config_path.empty()) return common::LoadSystemConfig(flags.config_path);
  const std::string written =
      (std::filesystem::path(common::DefaultSystemConfig().data_dir) / kEffectiveConfigName)
          .string();
  std::error_code ec;
  if (std::filesystem::is_regular_file(written, ec)) return common::LoadSystemConfig(written);
  return common::DefaultSystemConfig();
}

// The grpc++ target reaching every replica of `name`: its one address, or the list of all of
// them in a random order (each `call` is a new process, so the first pick varies too).
std::string ServiceTarget(const common::SystemConfig& config, const std::string& name) {
  std::vector<std::string> addresses = config.ReplicaAddresses(name);
  if (addresses.size() <= 1) return config.AddressOf(name);
  std::shuffle(addresses.begin(), addresses.end(), std::mt19937(std::random_device()()));
  const bool v6 = config.host.find(':') != std::string::npos;
  std::string target = v6 ? "ipv6:" : "ipv4:";
  for (size_t i = 0; i < addresses.size(); ++i) {
    const auto colon = addresses[i].rfind(':');
    absl::StrAppend(&target, i > 0 ? "," : "",
                    v6 ? absl::StrCat("[", addresses[i].substr(0, colon), "]",
                                      addresses[i].substr(colon))
                       : addresses[i]);
  }
  return target;
}

// Which process a call of `service` goes to without --address: the service's own, or, for
// grpc.health.v1 (which every service serves), the one --on names, else the one whose gRPC
// name the request's `service` field holds, else the first service `up` starts.
absl::StatusOr<std::string> TargetService(const CallFlags& flags,
                                          const google::protobuf::ServiceDescriptor* service,
                                          std::string* note) {
  const std::string name = ShortName(service);
  std::vector<std::string> known;
  for (const auto& [known_name, port] : common::KnownServices()) known.push_back(known_name);
  if (common::IsKnownService(name)) {
    if (!flags.on.empty() && flags.on != name) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--on ", flags.on, ": --on chooses the process for health calls; ", name,
          " calls go to ", name, " (give --address to reach another)"));
    }
    return name;
  }
  if (!flags.on.empty()) {
    if (!common::IsKnownService(flags.on)) {
      return absl::InvalidArgumentError(absl::StrCat("--on: unknown service \"", flags.on,
                                                     "\" (known: ", absl::StrJoin(known, ", "),
                                                     ")"));
    }
    return flags.on;
  }
  grpc::health::v1::HealthCheckRequest request;
  if (flags.request != "-" &&
      google::protobuf::util::JsonStringToMessage(flags.request, &request).ok() &&
      !request.service().empty()) {
    for (const auto* candidate : AllServices()) {
      if (candidate->full_name() == request.service()) return ShortName(candidate);
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "no process serves \"", request.service(), "\": name one with --on SERVICE (",
        absl::StrJoin(known, ", "), ") or give --address HOST:PORT"));
  }
  const std::string first = common::KnownServices().front().first;
  *note = absl::StrCat(ShortName(service), ": asking the ", first,
                       " process (--on SERVICE asks another, --address HOST:PORT any server)");
  return first;
}

int RunDescribe(const CallFlags& flags) {
  // `call describe SERVICE [METHOD]`: the positionals moved one to the left.
  const std::string& service_name = flags.method;
  const std::string method_name = flags.request == CallFlags().request ? "" : flags.request;
  if (service_name.empty()) {
    std::cerr << "switchboard call describe: name a service and a method, e.g. "
                 "`switchboard call describe user create` (see --list)\n";
    return 2;
  }
  auto service = FindService(service_name);
  if (!service.ok()) {
    std::cerr << "switchboard call describe: " << service.status().message() << "\n";
    return 2;
  }
  if (method_name.empty()) {
    for (int i = 0; i < (*service)->method_count(); ++i) {
      std::cout << DescribeMethod((*service)->method(i)) << "\n";
    }
    return 0;
  }
  auto method = FindMethod(*service, method_name);
  if (!method.ok()) {
    std::cerr << "switchboard call describe: " << method.status().message() << "\n";
    return 2;
  }
  std::cout << DescribeMethod(*method);
  return 0;
}

int RunCall(CallFlags flags) {
  if (flags.list) {
    ListMethods(std::cout);
    return 0;
  }
  if (flags.service == kDescribe) return RunDescribe(flags);
  if (flags.service.empty()) {
    std::cerr << "switchboard call: name a service and a method (see --list)\n";
    return 2;
  }
  auto service = FindService(flags.service);
  if (!service.ok()) {
    std::cerr << "switchboard call: " << service.status().message() << "\n";
    return 2;
  }
  if (flags.method.empty() && ShortName(*service) == "chat") flags.method = "chat";
  auto method = FindMethod(*service, flags.method);
  if (!method.ok()) {
    std::cerr << "switchboard call: " << method.status().message() << "\n";
    return 2;
  }
  const std::string& name = (*method)->name();
  if (flags.address.empty()) {
    auto config = CallConfig(flags);
    if (!config.ok()) {
      std::cerr << "switchboard call: " << config.status().message() << "\n";
      return 2;
    }
    std::string note;
    auto target = TargetService(flags, *service, &note);
    if (!target.ok()) {
      std::cerr << "switchboard call: " << target.status().message() << "\n";
      return 2;
    }
    if (!note.empty()) std::cerr << note << "\n";
    // A chat room lives in one chat process: every `call chat` of a room must meet there.
    flags.address = name == "Chat" ? config->AddressOf(*target) : ServiceTarget(*config, *target);
  }

  if (name == "UploadFile" && !flags.file.empty()) return RunUpload(flags);
  if (name == "GetFile" && (!flags.output.empty() || !flags.file.empty())) {
    if (flags.file.empty()) {
      // The JSON form with --output: the id comes from the request.
      upload::v1::GetFileRequest request;
      if (flags.request == "-") {
        std::cerr << "switchboard call upload get-file: give the file id with --file ID\n";
        return 2;
      }
      auto parsed = JsonToBinary(request.GetDescriptor(), flags.request);
      if (!parsed.ok() || !request.ParseFromString(*parsed)) {
        std::cerr << "switchboard call upload get-file: " << parsed.status().message() << "\n";
        return 2;
      }
      flags.file = request.file_id();
    }
    return RunDownload(flags);
  }
  if (name == "Chat") return RunChat(flags);

  std::vector<std::string> requests;
  for (const auto& text : RequestTexts(flags, (*method)->client_streaming())) {
    auto binary = JsonToBinary((*method)->input_type(), text);
    if (!binary.ok()) {
      std::cerr << "switchboard call: " << binary.status().message() << "\n"
                << "(switchboard call describe " << ShortName(*service) << " "
                << flags.method << " shows its fields and an example)\n";
      return 2;
    }
    requests.push_back(std::move(*binary));
  }
  grpc::ClientContext context;
  if (auto error = PrepareContext(flags, &context)) {
    std::cerr << "switchboard call: " << *error << "\n";
    return 2;
  }
  CancelOnSignal cancel(&context);
  const bool pretty = !flags.compact && !(*method)->server_streaming();
  grpc::Status status =
      CallGeneric(OpenChannel(flags.address), *method, requests, &context, pretty, std::cout);
  return ReportOutcome(flags, context, status, cancel.signalled());
}

}  // namespace

void AddCallCommand(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<CallFlags>();
  CLI::App* cmd = app.add_subcommand(
      "call",
      "Call any RPC: switchboard call ticket get-event '{\"id\":\"evt-1\"}'; what a method "
      "takes: switchboard call describe SERVICE METHOD");
  cmd->add_option("service", flags->service, "Service (ticket, stock, upload, chat, ...)");
  cmd->add_option("method", flags->method, "Method, e.g. get-event, watch, upload-file");
  cmd->add_option("request", flags->request, "Request as JSON, or - to read stdin");
  cmd->add_flag("--list", flags->list, "List every service and method");
  cmd->add_option("--address", flags->address,
                  "host:port (default: the service's configured port, all its replicas)");
  cmd->add_option("--config", flags->config_path,
                  "System config YAML, for default addresses (default: ./var/switchboard.yaml "
                  "that `up` writes, else the built-in ports)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--on", flags->on,
                  "health: the service whose process to ask (default: the one the request's "
                  "`service` names, else ticket)");
  cmd->add_option("--timeout", flags->timeout, "Deadline for the call, e.g. 500ms or 5s");
  cmd->add_option("-H,--header", flags->headers, "Request metadata \"key: value\" (repeatable)");
  cmd->add_flag("--trace", flags->trace, "Ask for the deadline budget trace and print it");
  cmd->add_flag("--compact", flags->compact, "One JSON object per line, also for unary calls");
  cmd->add_option("--file", flags->file,
                  "upload-file: the file to send; get-file: the file id to fetch");
  cmd->add_option("--name", flags->name, "upload-file: name to store (default: the file's)");
  cmd->add_option("--chunk-size", flags->chunk_size, "upload-file: bytes per chunk (65536)");
  cmd->add_option("--output", flags->output,
                  "get-file: where to write the downloaded file (default or -: stdout)");
  cmd->add_option("--room", flags->room, "chat: the room to join");
  cmd->add_option("--user", flags->user, "chat: your user id");
  cmd->callback([flags, &runner] { runner = [flags] { return RunCall(*flags); }; });
}

}  // namespace switchboard::cli
