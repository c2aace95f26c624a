// `switchboard call SERVICE METHOD [JSON]`: reaches every RPC of the system from the shell.
// JSON in, JSON out (one line per streamed message); `-` reads requests from stdin (one per
// line for client-streaming methods). Uploads, downloads and chat have their own modes.
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "cli/call_context.h"
#include "cli/commands.h"
#include "cli/contracts.h"
#include "cli/generic_call.h"
#include "cli/transfer_clients.h"
#include "common/system_config.h"

namespace switchboard::cli {
namespace {

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

int RunCall(CallFlags flags) {
  if (flags.list) {
    ListMethods(std::cout);
    return 0;
  }
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
  if (flags.address.empty()) {
    auto config = flags.config_path.empty() ? common::DefaultSystemConfig()
                                            : common::LoadSystemConfig(flags.config_path);
    if (!config.ok()) {
      std::cerr << "switchboard call: " << config.status().message() << "\n";
      return 2;
    }
    flags.address = config->AddressOf(ShortName(*service));
  }

  const std::string& name = (*method)->name();
  if (name == "UploadFile" && !flags.file.empty()) return RunUpload(flags);
  if (name == "GetFile" && !flags.output.empty()) {
    return RunDownload(flags);
  }
  if (name == "Chat") return RunChat(flags);

  std::vector<std::string> requests;
  for (const auto& text : RequestTexts(flags, (*method)->client_streaming())) {
    auto binary = JsonToBinary((*method)->input_type(), text);
    if (!binary.ok()) {
      std::cerr << "switchboard call: " << binary.status().message() << "\n";
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
      "call", "Call any RPC: switchboard call ticket get-event '{\"id\":\"evt-1\"}'");
  cmd->add_option("service", flags->service, "Service (ticket, stock, upload, chat, ...)");
  cmd->add_option("method", flags->method, "Method, e.g. get-event, watch, upload-file");
  cmd->add_option("request", flags->request, "Request as JSON, or - to read stdin");
  cmd->add_flag("--list", flags->list, "List every service and method");
  cmd->add_option("--address", flags->address, "host:port (default: the service's configured port)");
  cmd->add_option("--config", flags->config_path, "System config YAML, for default addresses")
      ->check(CLI::ExistingFile);
  cmd->add_option("--timeout", flags->timeout, "Deadline for the call, e.g. 500ms or 5s");
  cmd->add_option("-H,--header", flags->headers, "Request metadata \"key: value\" (repeatable)");
  cmd->add_flag("--trace", flags->trace, "Ask for the deadline budget trace and print it");
  cmd->add_flag("--compact", flags->compact, "One JSON object per line, also for unary calls");
  cmd->add_option("--file", flags->file,
                  "upload-file: the file to send; get-file: the file id to fetch");
  cmd->add_option("--name", flags->name, "upload-file: name to store (default: the file's)");
  cmd->add_option("--chunk-size", flags->chunk_size, "upload-file: bytes per chunk (65536)");
  cmd->add_option("--output", flags->output, "get-file: where to write the downloaded file");
  cmd->add_option("--room", flags->room, "chat: the room to join");
  cmd->add_option("--user", flags->user, "chat: your user id");
  cmd->callback([flags, &runner] { runner = [flags] { return RunCall(*flags); }; });
}

}  // namespace switchboard::cli
