// The network client's address reading (cli/net): every spelling a clerk or
// an installer might type, and the mistakes they make, in plain words.
#include <doctest/doctest.h>

#include "net/ws_client.hpp"

using namespace packline;

TEST_CASE("net: server addresses are read with their scheme, host, port and path") {
  struct row {
    const char* url;
    bool tls;
    const char* host;
    std::uint16_t port;
    const char* target;
  };
  for (const row& r : {row{"ws://127.0.0.1:8080", false, "127.0.0.1", 8080, "/sync"},
                       row{"ws://127.0.0.1:8080/", false, "127.0.0.1", 8080, "/sync"},
                       row{"wss://panel.example.org", true, "panel.example.org", 443, "/sync"},
                       row{"wss://panel.example.org/packline/sync", true, "panel.example.org", 443, "/packline/sync"},
                       row{"http://localhost:9000", false, "localhost", 9000, "/sync"},
                       row{"https://localhost", true, "localhost", 443, "/sync"},
                       row{"ws://panel", false, "panel", 80, "/sync"},
                       row{"ws://[::1]:8443/sync", false, "::1", 8443, "/sync"},
                       row{"wss://[2001:db8::2]", true, "2001:db8::2", 443, "/sync"}}) {
    INFO(r.url);
    auto ep = net::parse_url(r.url);
    REQUIRE(ep.ok());
    CHECK(ep->tls == r.tls);
    CHECK(ep->host == r.host);
    CHECK(ep->port == r.port);
    CHECK(ep->target == r.target);
  }
}

TEST_CASE("net: a mistyped address is refused with what is wrong") {
  struct row {
    const char* url;
    const char* says;
  };
  for (const row& r : {row{"127.0.0.1:8080", "not a server address"}, row{"ftp://host", "not ftp://"},
                       row{"ws://:8080", "no host"}, row{"ws://host:0", "port"}, row{"ws://host:70000", "port"},
                       row{"ws://host:80x", "port"}, row{"ws://host:", "port"}, row{"ws://[::1", "unclosed ["},
                       row{"ws://[::1]x", "not a server address"}}) {
    INFO(r.url);
    auto ep = net::parse_url(r.url);
    REQUIRE_FALSE(ep.ok());
    CHECK(ep.err().message.find(r.says) != std::string::npos);
  }
}

TEST_CASE("net: a server that is not there is an error, not a hang") {
  net::ws_client ws;
  std::string err;
  // Port 1 on loopback: nothing listens there.
  CHECK_FALSE(ws.connect(net::endpoint{false, "127.0.0.1", 1, "/sync"}, {}, &err));
  CHECK_FALSE(err.empty());
  CHECK(net::http_request(net::endpoint{false, "127.0.0.1", 1, "/healthz"}).status == 0);
}
