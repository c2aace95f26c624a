// The jwks_uri accepted as an https URL: host, port and target split, everything else refused
// with the URL named.
#include <gtest/gtest.h>

#include "gateway/auth/https_fetch.h"

namespace switchboard::gateway::auth {
namespace {

struct GoodUrl {
  const char* url;
  const char* host;
  uint16_t port;
  const char* target;
};

TEST(HttpsUrlTest, SplitsHostPortAndTarget) {
  const GoodUrl cases[] = {
      {"https://issuer.example.com/.well-known/jwks.json", "issuer.example.com", 443,
       "/.well-known/jwks.json"},
      {"https://127.0.0.1:8443/keys?v=2", "127.0.0.1", 8443, "/keys?v=2"},
      {"https://[::1]:9000/jwks", "::1", 9000, "/jwks"},
      {"HTTPS://idp.example", "idp.example", 443, "/"},
      {"https://idp.example?x=1", "idp.example", 443, "/?x=1"},
  };
  for (const auto& c : cases) {
    auto url = ParseHttpsUrl(c.url);
    ASSERT_TRUE(url.ok()) << c.url << ": " << url.status();
    EXPECT_EQ(url->host, c.host) << c.url;
    EXPECT_EQ(url->port, c.port) << c.url;
    EXPECT_EQ(url->target, c.target) << c.url;
    EXPECT_EQ(url->text, c.url);
  }
}

TEST(HttpsUrlTest, RefusesWhatIsNotAPlainHttpsUrl) {
  const std::pair<const char*, const char*> cases[] = {
      {"http://127.0.0.1/jwks", "only https"},
      {"ftp://x/", "only https"},
      {"https://", "no host"},
      {"https://:443/", "no host"},
      {"https://user:pw@idp.example/", "user information"},
      {"https://idp.example/#frag", "fragment"},
      {"https://idp.example:0/", "port \"0\""},
      {"https://idp.example:70000/", "port \"70000\""},
      {"https://idp.example:+1/", "port \"+1\""},
      {"https://[::1/", "without its ]"},
      {"https://[nothost]/", "not an IPv6 address"},
      {"https://idp.example/a b", "percent-encoded"},
  };
  for (const auto& [text, why] : cases) {
    auto url = ParseHttpsUrl(text);
    ASSERT_FALSE(url.ok()) << text;
    EXPECT_NE(url.status().message().find(why), std::string::npos)
        << text << ": " << url.status().message();
  }
  EXPECT_FALSE(ParseHttpsUrl("https://idp.example/" + std::string(kMaxUrlBytes, 'a')).ok());
}

}  // namespace
}  // namespace switchboard::gateway::auth
