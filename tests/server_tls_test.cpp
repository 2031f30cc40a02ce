// TLS (--tls-cert/--tls-key) against the real binary, through the CLI's
// network client: a self-signed certificate made here with the openssl CLI,
// HTTPS for /healthz and a WSS sync handshake, an untrusted or misnamed
// certificate refused, plain HTTP refused, and a missing key file a clear
// start-up error. Tablets on the internet only ever see this path.
#include <doctest/doctest.h>

#include <filesystem>

#include <cstdlib>

#include "packline/wire/codec.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/base/limits.hpp"
#include "support/server_process.hpp"
#include "support/sync_client.hpp"

using namespace packline;
using namespace packline::test;

namespace {

net::http_response https_get(std::uint16_t port, const std::string& target, const std::string& ca,
                             const std::string& host = "127.0.0.1") {
  return net::http_request(net::endpoint{true, host, port, target}, "GET", net::tls_options{ca});
}

// A self-signed certificate (and its key) for the names in `san`.
bool make_cert(const std::string& cert, const std::string& key, const std::string& san) {
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                    "-subj /CN=localhost -addext subjectAltName=" + san + " -keyout " + key + " -out " + cert +
                    " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace

TEST_CASE("server tls: HTTPS and WSS with a self-signed certificate; plain HTTP is refused") {
  REQUIRE(crypto::init().ok());
  temp_dir tmp;
  std::string cert = tmp.sub("cert.pem"), key = tmp.sub("key.pem");
  REQUIRE_MESSAGE(make_cert(cert, key, "IP:127.0.0.1,DNS:localhost"), "openssl CLI failed");

  server_process srv(tmp.sub("data"), tmp.sub("server.log"), {"--tls-cert", cert, "--tls-key", key});
  REQUIRE_MESSAGE(srv.start(), srv.error());
  INFO(srv.log());
  CHECK(srv.log().find("tls=true") != std::string::npos);

  auto h = https_get(srv.port(), "/healthz", cert);
  CHECK(h.status == 200);
  CHECK(h.body == "ok");
  CHECK(https_get(srv.port(), "/metrics", cert).body.find("packline_connections") != std::string::npos);
  // The file given to --tls-key is never served, however the target spells it.
  const std::string real_key = std::filesystem::canonical(key).string();
  std::string enc;
  for (char c : real_key) enc += c == '/' ? std::string("%2F") : std::string(1, c);
  for (const std::string& t : {"/" + real_key, "/" + enc, enc, "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e" + real_key,
                               "//" + real_key.substr(1)}) {
    auto r = https_get(srv.port(), t, cert);
    INFO("target: " << t);
    CHECK(r.status == 404);
    CHECK(r.body.find("PRIVATE KEY") == std::string::npos);
  }

  // A sync handshake over wss://, by address and by name.
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    auto device = crypto::signing_key::generate();
    ws_client ws;
    std::string err;
    auto ep = net::parse_url("wss://" + host + ":" + std::to_string(srv.port()));
    REQUIRE(ep.ok());
    REQUIRE_MESSAGE(ws.connect(*ep, net::tls_options{cert}, &err), err);
    REQUIRE(ws.send(codec::encode(proto::hello{limits::protocol_version, device.public_key(), {}})));
    auto ev = ws.receive(std::chrono::seconds(10));
    REQUIRE(ev.k == ws_event::kind::frame);
    auto m = codec::decode(ev.data);
    REQUIRE(m.ok());
    CHECK(std::holds_alternative<proto::challenge>(*m));
  }
  CHECK(https_get(srv.port(), "/healthz", cert, "localhost").status == 200);

  // Plain HTTP on the TLS port gets no answer.
  CHECK(http_get("127.0.0.1", srv.port(), "/healthz").status == 0);
  // A client that does not trust the certificate fails the handshake.
  std::string other = tmp.sub("other.pem");
  REQUIRE(make_cert(other, tmp.sub("other.key"), "DNS:other"));
  CHECK(https_get(srv.port(), "/healthz", other).status == 0);
  ws_client ws;
  CHECK_FALSE(ws.connect(net::endpoint{true, "127.0.0.1", srv.port(), "/sync"}, net::tls_options{other}));
  CHECK(srv.terminate() == 0);
}

TEST_CASE("server tls: a certificate that does not name the server is refused, though its CA is trusted") {
  temp_dir tmp;
  std::string cert = tmp.sub("cert.pem"), key = tmp.sub("key.pem");
  REQUIRE(make_cert(cert, key, "DNS:panel.example.org"));
  server_process srv(tmp.sub("data"), tmp.sub("server.log"), {"--tls-cert", cert, "--tls-key", key});
  REQUIRE_MESSAGE(srv.start(), srv.error());
  auto r = https_get(srv.port(), "/healthz", cert);
  CHECK(r.status == 0);
  INFO(r.body);
  ws_client ws;
  std::string err;
  CHECK_FALSE(ws.connect(net::endpoint{true, "127.0.0.1", srv.port(), "/sync"}, net::tls_options{cert}, &err));
  CHECK(srv.terminate() == 0);
}

TEST_CASE("server tls: a missing key file stops start-up with a clear log line") {
  temp_dir tmp;
  server_process srv(tmp.sub("data"), tmp.sub("server.log"),
                     {"--tls-cert", tmp.sub("nope.pem"), "--tls-key", tmp.sub("nope.key")});
  CHECK_FALSE(srv.start());
  CHECK(srv.log().find("cannot load TLS certificate or key") != std::string::npos);
}
