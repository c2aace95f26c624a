#include "cors.h"

#include <gtest/gtest.h>

namespace switchboard::gateway::grpcweb {
namespace {

CorsPolicy MakePolicy(std::vector<std::string> origins, bool credentials = false) {
  CorsConfig config;
  config.allow_origins = std::move(origins);
  config.allow_credentials = credentials;
  auto policy = CorsPolicy::Create(config);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *std::move(policy);
}

std::string Get(const Headers& headers, std::string_view name) {
  const std::string* value = FindHeader(headers, name);
  return value ? *value : "<absent>";
}

Headers PreflightRequest(std::string origin, std::string method = "POST",
                         std::string requested = "content-type,x-grpc-web,x-user-agent") {
  return {{":method", "OPTIONS"},
          {":path", "/switchboard.ticket.v1.TicketService/GetEvent"},
          {"origin", std::move(origin)},
          {"access-control-request-method", std::move(method)},
          {"access-control-request-headers", std::move(requested)}};
}

TEST(Cors, ConfigIsValidated) {
  struct Case {
    std::vector<std::string> origins;
    bool credentials;
    std::string error_part;  // empty: valid
  };
  const Case cases[] = {
      {{"https://app.example.com"}, false, ""},
      {{"http://localhost:5173", "https://A.Example.com"}, true, ""},
      {{"http://[::1]:8080"}, false, ""},
      {{"*"}, false, ""},
      {{}, false, ""},
      {{"https://app.example.com/"}, false, "\"https://app.example.com/\": want"},
      {{"https://app.example.com/path"}, false, "without path"},
      {{"app.example.com"}, false, "\"app.example.com\""},
      {{"null"}, false, "\"null\""},
      {{"https://"}, false, "\"https://\""},
      {{"https://host:"}, false, "\"https://host:\""},
      {{"https://host:123456"}, false, "\"https://host:123456\""},
      {{"https://ho st"}, false, "\"https://ho st\""},
      {{"*"}, true, "every site"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error_part);
    CorsConfig config;
    config.allow_origins = c.origins;
    config.allow_credentials = c.credentials;
    auto policy = CorsPolicy::Create(config);
    if (c.error_part.empty()) {
      EXPECT_TRUE(policy.ok()) << policy.status();
    } else {
      ASSERT_FALSE(policy.ok());
      EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(policy.status().message().find(c.error_part), std::string::npos)
          << policy.status().message();
    }
  }
  CorsConfig bad_header;
  bad_header.extra_allow_headers = {"X Bad"};
  EXPECT_FALSE(CorsPolicy::Create(bad_header).ok());
  CorsConfig negative;
  negative.max_age = std::chrono::seconds(-1);
  EXPECT_FALSE(CorsPolicy::Create(negative).ok());
}

TEST(Cors, AllowsOrigins) {
  struct Case {
    std::vector<std::string> origins;
    std::string origin;
    bool allowed;
  };
  const Case cases[] = {
      {{"https://app.example.com"}, "https://app.example.com", true},
      {{"https://app.example.com"}, "https://APP.example.com", true},
      {{"https://App.Example.com"}, "https://app.example.com", true},
      {{"https://app.example.com"}, "http://app.example.com", false},
      {{"https://app.example.com"}, "https://app.example.com:8443", false},
      {{"https://app.example.com"}, "https://evil.example.com", false},
      {{"https://app.example.com"}, "https://app.example.com.evil.com", false},
      {{"https://app.example.com"}, "", false},
      {{}, "https://app.example.com", false},
      {{"*"}, "https://anything.example", true},
      {{"*"}, "null", true},
      {{"*"}, "https://x\r\ninjected: 1", false},  // never echoed into a header
      {{"*"}, "", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.origin);
    EXPECT_EQ(MakePolicy(c.origins).AllowsOrigin(c.origin), c.allowed);
  }
}

TEST(Cors, DetectsPreflight) {
  EXPECT_TRUE(CorsPolicy::IsPreflight(PreflightRequest("https://app.example.com")));
  Headers no_method = PreflightRequest("https://app.example.com");
  no_method.erase(no_method.begin() + 3);  // access-control-request-method
  EXPECT_FALSE(CorsPolicy::IsPreflight(no_method));
  Headers post = PreflightRequest("https://app.example.com");
  post[0].second = "POST";
  EXPECT_FALSE(CorsPolicy::IsPreflight(post));
  EXPECT_FALSE(CorsPolicy::IsPreflight({{":method", "OPTIONS"}}));
  // HTTP/1.1 header names in any case.
  EXPECT_TRUE(CorsPolicy::IsPreflight({{":method", "OPTIONS"},
                                       {"Origin", "https://a.example"},
                                       {"Access-Control-Request-Method", "POST"}}));
}

TEST(Cors, PreflightForAllowedOrigin) {
  const CorsPolicy policy = MakePolicy({"https://app.example.com"});
  const PreflightResponse response = policy.Preflight(
      PreflightRequest("https://app.example.com", "POST",
                       "Content-Type, X-Grpc-Web, x-user-agent, grpc-timeout, x-request-id, "
                       "x-trace-bin, grpc-status, connection, bad header, , authorization"));
  EXPECT_EQ(response.head.status, 204);
  const Headers& h = response.head.headers;
  EXPECT_EQ(Get(h, "access-control-allow-origin"), "https://app.example.com");
  EXPECT_NE(Get(h, "vary").find("origin"), std::string::npos);
  EXPECT_EQ(Get(h, "access-control-allow-methods"), "POST, OPTIONS");
  // Defaults first, then the requested headers that are valid metadata and not reserved.
  EXPECT_EQ(Get(h, "access-control-allow-headers"),
            "content-type, x-grpc-web, x-user-agent, grpc-timeout, grpc-accept-encoding, "
            "authorization, x-request-id, x-trace-bin");
  EXPECT_EQ(Get(h, "access-control-max-age"), "7200");
  EXPECT_EQ(Get(h, "access-control-allow-credentials"), "<absent>");
  EXPECT_TRUE(response.body.empty());
}

TEST(Cors, PreflightWithWildcardCredentialsAndExtras) {
  CorsConfig config;
  config.allow_origins = {"*"};
  config.max_age = std::chrono::seconds(600);
  config.extra_allow_headers = {"GRPC-Encoding"};
  auto policy = CorsPolicy::Create(config);
  ASSERT_TRUE(policy.ok());
  const PreflightResponse any =
      policy->Preflight(PreflightRequest("https://elsewhere.example", "POST", "grpc-encoding"));
  EXPECT_EQ(any.head.status, 204);
  EXPECT_EQ(Get(any.head.headers, "access-control-allow-origin"), "https://elsewhere.example");
  EXPECT_EQ(Get(any.head.headers, "access-control-max-age"), "600");
  EXPECT_NE(Get(any.head.headers, "access-control-allow-headers").find("grpc-encoding"),
            std::string::npos);

  const CorsPolicy credentials = MakePolicy({"https://app.example.com"}, true);
  const PreflightResponse with = credentials.Preflight(PreflightRequest("https://app.example.com"));
  EXPECT_EQ(Get(with.head.headers, "access-control-allow-credentials"), "true");
}

TEST(Cors, PreflightRefusals) {
  const CorsPolicy policy = MakePolicy({"https://app.example.com"});
  struct Case {
    Headers request;
    std::string body_part;
  };
  const Case cases[] = {
      {PreflightRequest("https://evil.example"), "origin \"https://evil.example\" is not allowed"},
      {PreflightRequest("https://app.example.com", "GET"), "\"GET\": gRPC-Web calls are POST"},
      {{{":method", "OPTIONS"}, {"access-control-request-method", "POST"}}, "origin \"\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body_part);
    const PreflightResponse response = policy.Preflight(c.request);
    EXPECT_EQ(response.head.status, 403);
    EXPECT_EQ(Get(response.head.headers, "access-control-allow-origin"), "<absent>");
    EXPECT_NE(response.body.find(c.body_part), std::string::npos) << response.body;
  }
}

TEST(Cors, PreflightBoundsRequestedHeaders) {
  const CorsPolicy policy = MakePolicy({"*"});
  std::string requested;
  for (size_t i = 0; i < kMaxPreflightRequestedHeaders * 3; ++i) {
    requested += "x-h" + std::to_string(i) + ",";
  }
  const PreflightResponse response =
      policy.Preflight(PreflightRequest("https://a.example", "POST", requested));
  const std::string allowed = Get(response.head.headers, "access-control-allow-headers");
  EXPECT_NE(allowed.find("x-h0,"), std::string::npos);
  EXPECT_EQ(allowed.find("x-h" + std::to_string(kMaxPreflightRequestedHeaders) + ","),
            std::string::npos);
}

TEST(Cors, ActualResponseHeaders) {
  CorsConfig config;
  config.allow_origins = {"https://app.example.com"};
  config.extra_expose_headers = {"x-extra"};
  auto policy = CorsPolicy::Create(config);
  ASSERT_TRUE(policy.ok());

  Headers headers = {{"content-type", "application/grpc-web+proto"},
                     {"x-request-id", "7"},
                     {"X-Trace-Bin", "AAEC"},
                     {"cache-control", "no-store"},
                     {"grpc-status", "5"}};
  policy->AddResponseHeaders("https://app.example.com", &headers);
  EXPECT_EQ(Get(headers, "access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(Get(headers, "vary"), "origin");
  EXPECT_EQ(Get(headers, "access-control-expose-headers"),
            "grpc-status, grpc-message, grpc-status-details-bin, x-extra, x-request-id, "
            "x-trace-bin");
  EXPECT_EQ(Get(headers, "access-control-allow-credentials"), "<absent>");

  for (const char* origin : {"https://evil.example", ""}) {
    SCOPED_TRACE(origin);
    Headers untouched = {{"content-type", "application/grpc-web+proto"}};
    policy->AddResponseHeaders(origin, &untouched);
    EXPECT_EQ(untouched.size(), 1u);
  }

  const CorsPolicy wildcard = MakePolicy({"*"});
  Headers any;
  wildcard.AddResponseHeaders("https://x.example", &any);
  EXPECT_EQ(Get(any, "access-control-allow-origin"), "https://x.example");

  const CorsPolicy credentials = MakePolicy({"https://app.example.com"}, true);
  Headers with;
  credentials.AddResponseHeaders("https://app.example.com", &with);
  EXPECT_EQ(Get(with, "access-control-allow-credentials"), "true");
}

}  // namespace
}  // namespace switchboard::gateway::grpcweb
