// TLS (--tls-cert/--tls-key) against the real binary: a self-signed
// certificate made here with the openssl CLI, HTTPS for /healthz and a WSS
// sync handshake, plain HTTP refused, and a missing key file a clear start-up
// error. Tablets on the internet only ever see this path.
#include <doctest/doctest.h>

#include <filesystem>

#include <cstdlib>

#include "packline/codec.hpp"
#include "packline/crypto.hpp"
#include "packline/limits.hpp"
#include "support/server_process.hpp"
#include "support/tls_client.hpp"
#include "support/ws_client.hpp"

using namespace packline;
using namespace packline::test;

TEST_CASE("server tls: HTTPS and WSS with a self-signed certificate; plain HTTP is refused") {
  REQUIRE(crypto::init().ok());
  temp_dir tmp;
  std::string cert = tmp.sub("cert.pem"), key = tmp.sub("key.pem");
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                    "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost "
                    "-keyout " + key + " -out " + cert + " >/dev/null 2>&1";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "openssl CLI failed: " << cmd);

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

  auto device = crypto::signing_key::generate();
  std::string err;
  bytes answer = wss_exchange(srv.port(), codec::encode(proto::hello{limits::protocol_version, device.public_key(), {}}),
                              cert, &err);
  REQUIRE_MESSAGE(!answer.empty(), err);
  auto m = codec::decode(answer);
  REQUIRE(m.ok());
  CHECK(std::holds_alternative<proto::challenge>(*m));

  // Plain HTTP on the TLS port gets no answer.
  CHECK(http_get("127.0.0.1", srv.port(), "/healthz").status == 0);
  // A client that does not trust the certificate fails the handshake.
  std::string other = tmp.sub("other.pem");
  REQUIRE(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                       "-subj /CN=other -keyout " + tmp.sub("other.key") + " -out " + other + " >/dev/null 2>&1").c_str()) == 0);
  CHECK(https_get(srv.port(), "/healthz", other).status == 0);
  CHECK(srv.terminate() == 0);
}

TEST_CASE("server tls: a missing key file stops start-up with a clear log line") {
  temp_dir tmp;
  server_process srv(tmp.sub("data"), tmp.sub("server.log"),
                     {"--tls-cert", tmp.sub("nope.pem"), "--tls-key", tmp.sub("nope.key")});
  CHECK_FALSE(srv.start());
  CHECK(srv.log().find("cannot load TLS certificate or key") != std::string::npos);
}
