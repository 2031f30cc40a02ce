// The server as an attacker meets it: the real packline-server binary on
// 127.0.0.1, driven over raw sockets where a well-behaved client could not
// say what an attacker says (hostile request targets, WebSocket frames whose
// header lies about their length), and real SQLite files damaged on disk.
// Each case names the defence it checks; each fails without that defence.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "packline/wire/codec.hpp"
#include "packline/panel/demo.hpp"
#include "packline/base/limits.hpp"
#include "support/server_fixture.hpp"
#include "support/server_process.hpp"
#include "support/sync_client.hpp"

using namespace packline;
using namespace packline::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A plain TCP connection to 127.0.0.1 with blocking reads bounded by a timeout.
struct raw_socket {
  int fd = -1;
  // rcvbuf > 0: a small receive window, so what the peer sends stays queued on its side.
  explicit raw_socket(std::uint16_t port, int rcvbuf = 0) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      fd = -1;
    }
    timeval tv{5, 0};
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~raw_socket() {
    if (fd >= 0) ::close(fd);
  }
  bool write_all(const void* p, std::size_t n) {
    auto* c = static_cast<const char*>(p);
    while (n > 0) {
      auto w = ::send(fd, c, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      c += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }
  bool write_all(const std::string& s) { return write_all(s.data(), s.size()); }
  // Everything until the peer closes or `max` bytes or the timeout.
  std::string read_some(std::size_t max = 1 << 20) {
    std::string out;
    char buf[16384];
    while (out.size() < max) {
      auto r = ::recv(fd, buf, sizeof buf, 0);
      if (r <= 0) break;
      out.append(buf, static_cast<std::size_t>(r));
    }
    return out;
  }
  bool read_exact(std::uint8_t* p, std::size_t n) {
    while (n > 0) {
      auto r = ::recv(fd, p, n, 0);
      if (r <= 0) return false;
      p += r;
      n -= static_cast<std::size_t>(r);
    }
    return true;
  }
};

// Reads what the server sends until it ends the connection (true) or sends
// nothing for a second (false).
bool ends(raw_socket& s) {
  timeval tv{1, 0};
  setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[65536];
  for (;;) {
    auto r = ::recv(s.fd, buf, sizeof buf, 0);
    if (r == 0) return true;
    if (r < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

// One HTTP/1.1 request with `target` written exactly as given (no client
// library normalises it); returns the status code (0: no answer) and the body.
std::pair<int, std::string> raw_get(std::uint16_t port, const std::string& target) {
  raw_socket s(port);
  if (s.fd < 0) return {0, "no connection"};
  s.write_all("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  std::string r = s.read_some();
  if (r.rfind("HTTP/1.1 ", 0) != 0) return {0, r};
  int status = std::atoi(r.c_str() + 9);
  auto at = r.find("\r\n\r\n");
  return {status, at == std::string::npos ? std::string() : r.substr(at + 4)};
}

// A WebSocket opened by hand (RFC 6455 client handshake), to send frames a
// library would refuse to build.
struct raw_ws {
  raw_socket s;
  bool ok = false;
  explicit raw_ws(std::uint16_t port, int rcvbuf = 0) : s(port, rcvbuf) {
    if (s.fd < 0) return;
    s.write_all("GET /sync HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && ::recv(s.fd, &c, 1, 0) == 1) head += c;
    ok = head.rfind("HTTP/1.1 101", 0) == 0;
  }
  // A binary frame's header (masked with key 0, as clients must mask)
  // declaring `len` payload bytes.
  bool header(std::uint64_t len) {
    std::string h;
    h += static_cast<char>(0x82);
    if (len < 126) {
      h += static_cast<char>(0x80 | len);
    } else if (len < 65536) {
      h += static_cast<char>(0x80 | 126);
      h += static_cast<char>(len >> 8);
      h += static_cast<char>(len & 0xff);
    } else {
      h += static_cast<char>(0x80 | 127);
      for (int i = 7; i >= 0; --i) h += static_cast<char>((len >> (8 * i)) & 0xff);
    }
    h += std::string(4, '\0');  // mask key 0: the payload goes as it is
    return s.write_all(h);
  }
  // A header declaring `len` bytes, then only the first `send` of them.
  bool frame(std::uint64_t len, std::size_t send, std::uint8_t fill = 0xc0) {
    return header(len) && s.write_all(std::string(send, static_cast<char>(fill)));
  }
  bool send(const bytes& payload) { return header(payload.size()) && s.write_all(payload.data(), payload.size()); }
  // hello, challenge, auth, welcome as `key`'s device.
  bool handshake(const crypto::signing_key& key, const bytes& space) {
    if (!ok || !send(codec::encode(proto::hello{limits::protocol_version, key.public_key(), space}))) return false;
    auto [op, data] = next();
    auto m = codec::decode(data);
    if (!m || !std::holds_alternative<proto::challenge>(*m)) return false;
    auto& ch = std::get<proto::challenge>(*m);
    if (!send(codec::encode(proto::auth{key.sign(proto::auth_transcript(ch.nonce, ch.space))}))) return false;
    auto [op2, data2] = next();
    auto w = codec::decode(data2);
    return w && std::holds_alternative<proto::welcome>(*w);
  }
  // The next server frame: its opcode and payload (opcode -1 when none came).
  std::pair<int, bytes> next() {
    std::uint8_t h[2];
    if (!s.read_exact(h, 2)) return {-1, {}};
    std::uint64_t len = h[1] & 0x7f;
    if (len == 126 || len == 127) {
      std::uint8_t e[8];
      int n = len == 126 ? 2 : 8;
      if (!s.read_exact(e, static_cast<std::size_t>(n))) return {-1, {}};
      len = 0;
      for (int i = 0; i < n; ++i) len = (len << 8) | e[i];
    }
    bytes p(len);
    if (len && !s.read_exact(p.data(), len)) return {-1, {}};
    return {h[0] & 0x0f, p};
  }
};

// Reads frames until an error frame; its code (0: none came).
std::uint32_t error_code_of(raw_ws& ws) {
  for (int i = 0; i < 8; ++i) {
    auto [op, data] = ws.next();
    if (op < 0 || op == 8) return 0;  // gone, or a close frame with no error before it
    auto m = codec::decode(data);
    if (m && std::holds_alternative<proto::error>(*m)) return std::get<proto::error>(*m).code;
  }
  return 0;
}



void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}


}  // namespace

TEST_CASE("server hardening: hostile request targets never read a file outside the webapp") {
  temp_dir web;
  write_file(web.sub("index.html"), "<!doctype html><title>app shell</title>");
  write_file(web.sub("assets/app-1.js"), "console.log(1)");
  temp_dir outside;
  const std::string secret = "SECRET-OUTSIDE-THE-WEBAPP";
  write_file(outside.sub("secret.txt"), secret);
  write_file(outside.sub("tls-key.pem"), "-----BEGIN PRIVATE KEY-----\n" + secret);
  // Symlinks inside the webapp that lead out of it, to a file and a folder.
  fs::create_symlink(outside.sub("secret.txt"), web.sub("leak.txt"));
  fs::create_symlink(outside.sub("secret.txt"), web.sub("leak"));
  fs::create_symlink(outside.path(), web.sub("assets/out"));

  server_fixture f({"--webapp", web.path()});
  // Something of the server's own data folder to aim at, with its real path.
  REQUIRE(push_changes(f.port(), space_of(1), 1, 10, secret));
  const std::string db = fs::canonical(f.tmp.sub("data/server.db")).string();
  const std::string sec = fs::canonical(outside.sub("secret.txt")).string();
  const std::string key = fs::canonical(outside.sub("tls-key.pem")).string();
  auto pct = [](const std::string& p) {  // every '/' as %2F
    std::string o;
    for (char c : p) o += c == '/' ? std::string("%2F") : std::string(1, c);
    return o;
  };
  const std::vector<std::string> hostile = {
      // A second slash, then an absolute path: the path replaces the root.
      "/" + db, "/" + sec, "/" + key, "//etc/passwd", "///etc/passwd",
      // Encoded slashes and backslashes.
      "/" + pct(db), "/%2F" + sec.substr(1), pct(key), "/%2f%2fetc%2fpasswd", "/assets%2F..%2F..%2F" + sec.substr(1),
      "/%5C" + sec.substr(1), "/assets\\..\\..\\leak.txt", "/assets/%5c..%5c..%5csecret.txt",
      // Dot segments, plain and encoded in any case.
      "/../../../../../../../etc/passwd", "/assets/../../" + sec.substr(1), "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/%2E%2E/%2E%2E/etc/passwd", "/.%2e/.%2E/etc/passwd", "/assets/./../index.html", "/./index.html",
      "/assets/%2e/app-1.js", "/..", "/.",
      // NUL and control characters, an over-long path.
      "/index.html%00.js", "/leak.txt%00", "/%0aindex.html", "/" + std::string(5000, 'a') + ".js",
      // Symlinks that leave the folder.
      "/leak.txt", "/leak", "/assets/out/secret.txt", "/assets/out/tls-key.pem", "/assets/out/",
      // Hidden files, query and fragment tricks.
      "/.env", "/assets/.hidden", "/" + db + "?x=1", "/" + db + "#frag",
  };
  for (const auto& t : hostile) {
    auto [status, body] = raw_get(f.port(), t);
    INFO("target: " << t.substr(0, 120));
    CHECK(status == 404);
    CHECK(body.find(secret) == std::string::npos);
    CHECK(body.find("SQLite format") == std::string::npos);
    CHECK(body.find("root:") == std::string::npos);
  }
  // The app itself is still served, and client-side routes get its shell.
  CHECK(raw_get(f.port(), "/").first == 200);
  CHECK(raw_get(f.port(), "/assets/app-1.js").first == 200);
  CHECK(raw_get(f.port(), "/meetings/abc").second.find("app shell") != std::string::npos);
  CHECK(raw_get(f.port(), "/a%20b").first == 200);  // a route with an encoded space
}

TEST_CASE("server hardening: every response carries the security headers") {
  temp_dir web;
  write_file(web.sub("index.html"), "<!doctype html>");
  server_fixture f({"--webapp", web.path()});
  for (const char* t : {"/", "/index.html", "/healthz", "/readyz", "/metrics", "/missing.js", "//etc/passwd"}) {
    auto r = http_get("127.0.0.1", f.port(), t);
    INFO("target: " << t);
    CHECK(r.status != 0);
    const auto& csp = r.headers["content-security-policy"];
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(csp.find("'wasm-unsafe-eval'") != std::string::npos);
    CHECK(csp.find("default-src 'self'") != std::string::npos);
    CHECK(r.headers["x-content-type-options"] == "nosniff");
    CHECK(r.headers["referrer-policy"] == "same-origin");
  }
}

TEST_CASE("server hardening: before auth a frame over 64 KiB is refused with too_large") {
  server_fixture f;
  raw_ws ws(f.port());
  REQUIRE(ws.ok);
  // 100 KiB, under the authenticated limit but far over what hello needs.
  REQUIRE(ws.frame(100 * 1024, 100 * 1024));
  CHECK(error_code_of(ws) == static_cast<std::uint32_t>(errc::too_large));
}

TEST_CASE("server hardening: a frame whose header declares more than the limit gets error{too_large}, then the close") {
  server_fixture f;
  raw_ws ws(f.port());
  REQUIRE(ws.ok);
  // The header claims 1 TiB; only a little follows. No 1009 without a word.
  REQUIRE(ws.frame(1ull << 40, 70 * 1024));
  CHECK(error_code_of(ws) == static_cast<std::uint32_t>(errc::too_large));
  // Authenticated, the limit is max_frame_bytes; a header over it is told too.
  raw_device d;
  REQUIRE(d.connect(f.port()));
  REQUIRE(d.handshake(space_of(2)));
  bytes big(limits::max_frame_bytes + 10, 0x01);
  d.ws().send(big);
  CHECK(expect_error(d) == static_cast<std::uint32_t>(errc::too_large));
  CHECK(http_get("127.0.0.1", f.port(), "/healthz").status == 200);
}

TEST_CASE("server hardening: a frame of a million nils costs its bytes, not a tree a hundred times larger") {
  server_fixture f;
  raw_device d;
  REQUIRE(d.connect(f.port()));
  REQUIRE(d.handshake(space_of(3)));
  // One array32 of (1 MiB - 5) nils: a valid msgpack frame at the size limit.
  bytes frame(limits::max_frame_bytes, 0xc0);
  std::uint32_t n = static_cast<std::uint32_t>(frame.size() - 5);
  frame[0] = 0xdd;
  frame[1] = static_cast<std::uint8_t>(n >> 24);
  frame[2] = static_cast<std::uint8_t>(n >> 16);
  frame[3] = static_cast<std::uint8_t>(n >> 8);
  frame[4] = static_cast<std::uint8_t>(n);
  auto t0 = std::chrono::steady_clock::now();
  d.ws().send(frame);
  CHECK(expect_error(d) == static_cast<std::uint32_t>(errc::too_large));
  INFO("answered in " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s");
  CHECK(http_get("127.0.0.1", f.port(), "/healthz").status == 200);
}

TEST_CASE("server hardening: an open space refuses a change claiming a key epoch it does not have") {
  server_fixture f;
  raw_device d;
  REQUIRE(d.connect(f.port()));
  REQUIRE(d.handshake(space_of(4)));
  auto e = d.make_envelope(space_of(4), 1, "sealed?");
  e.epoch = 1;
  crypto::sign_envelope(e, d.key());
  d.send(proto::push{{d.encode(e)}});
  CHECK(expect_error(d) == proto::error_forbidden);
  // Nothing was stored.
  CHECK(pull_all(f.port(), space_of(4)) == 0);
}

TEST_CASE("server hardening: a space's membership is read from its history once, not at every auth") {
  server_fixture f;
  REQUIRE(push_changes(f.port(), space_of(5), 40, 100));
  for (int i = 0; i < 5; ++i) {
    raw_device d;
    REQUIRE(d.connect(f.port()));
    REQUIRE(d.handshake(space_of(5)));
  }
  auto m = http_get("127.0.0.1", f.port(), "/metrics").body;
  // The pushing session loaded it; five more sessions did not.
  CHECK(metric(m, "packline_keyring_loads_total") == 1);
}

TEST_CASE("server hardening: outbound memory is capped server-wide; the busiest non-readers are shed, others sync") {
  server_fixture f({"--max-outbound-mb", "2"});
  const bytes space = space_of(6);
  // 6 MiB of history: each pull answer is a full 1 MiB frame.
  REQUIRE(push_changes(f.port(), space, 48, 128 * 1024));
  // Stalled readers: each asks for pages and never reads an answer (a small
  // receive window, so the answers wait in the server, not in the kernel).
  std::vector<std::unique_ptr<raw_ws>> stalled;
  for (int i = 0; i < 16; ++i) {
    auto& w = *stalled.emplace_back(std::make_unique<raw_ws>(f.port(), 4096));
    REQUIRE(w.handshake(crypto::signing_key::generate(), space));
    for (int k = 0; k < 4; ++k) w.send(codec::encode(proto::pull{0, limits::max_pull_changes}));
  }
  std::this_thread::sleep_for(1500ms);
  auto m = http_get("127.0.0.1", f.port(), "/metrics").body;
  CHECK(metric(m, "packline_sessions_shed_total") > 0);
  CHECK(metric(m, "packline_outbound_queue_bytes") <= 2u << 20);
  // A member who reads keeps syncing: a push is acked and the history pulled.
  CHECK(push_changes(f.port(), space_of(7), 3, 100));
  CHECK(pull_all(f.port(), space_of(7)) == 3);
  // Shed sessions are cut, not left holding their frames: as many stalled
  // readers find their connection ended as were shed (a reconnecting client
  // pulls from its cursor); the others get their answers and stay open.
  std::size_t ended = 0;
  for (auto& w : stalled) ended += ends(w->s);
  m = http_get("127.0.0.1", f.port(), "/metrics").body;
  CHECK(ended == metric(m, "packline_sessions_shed_total"));
}

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_all(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

}  // namespace

TEST_CASE("server hardening: an envelope altered on disk is never served; its space is unavailable, others are not") {
  server_fixture f;
  REQUIRE(push_changes(f.port(), space_of(8), 20, 200, "DAMAGE-ME-"));
  REQUIRE(push_changes(f.port(), space_of(9), 5, 200, "INTACT-"));
  REQUIRE(f.srv->terminate() == 0);
  std::string db = read_all(f.tmp.sub("data/server.db"));
  auto at = db.find("DAMAGE-ME-7:");
  REQUIRE(at != std::string::npos);
  db[at + 20] ^= 0x01;  // one bit of the body, inside a valid b-tree cell
  write_all(f.tmp.sub("data/server.db"), db);
  f.start();

  CHECK(http_get("127.0.0.1", f.port(), "/readyz").status == 200);
  // The damaged change is an error, never its bytes: the first session of the
  // space reads its history (membership) and is refused; nothing is sent.
  auto refused = [&] {
    raw_device d;
    if (!d.connect(f.port()) || !d.send(proto::hello{limits::protocol_version, d.id(), space_of(8)})) return 0u;
    auto c = d.next();
    if (!get<proto::challenge>(c)) return 0u;
    auto& ch = *get<proto::challenge>(c);
    d.send(proto::auth{d.key().sign(proto::auth_transcript(ch.nonce, ch.space))});
    return expect_error(d);
  };
  CHECK(refused() == proto::error_unavailable);
  CHECK(f.log().find("fails its digest") != std::string::npos);
  auto ready = http_get("127.0.0.1", f.port(), "/readyz");
  CHECK(ready.status == 503);
  CHECK(http_get("127.0.0.1", f.port(), "/healthz").status == 200);
  // Later sessions of that space are refused at once; other spaces serve on.
  CHECK(refused() == proto::error_unavailable);
  CHECK(pull_all(f.port(), space_of(9)) == 5);
  CHECK(metric(http_get("127.0.0.1", f.port(), "/metrics").body, "packline_spaces_unavailable") == 1);
}

TEST_CASE("server hardening: b-tree damage or a truncated store stops the start, naming the file") {
  for (const char* how : {"btree", "truncated"}) {
    INFO("damage: " << how);
    server_fixture f;
    REQUIRE(push_changes(f.port(), space_of(10), 200, 300));
    REQUIRE(f.srv->terminate() == 0);
    const std::string path = f.tmp.sub("data/server.db");
    std::string db = read_all(path);
    REQUIRE(db.size() > 16 * 4096);
    if (std::string(how) == "btree") {
      // Scribble over the header of every page after the first.
      for (std::size_t p = 4096; p + 12 < db.size(); p += 4096) std::memset(&db[p], 0x7f, 12);
    } else {
      db.resize(db.size() / 2);
    }
    write_all(path, db);
    CHECK_FALSE(f.srv->start());
    CHECK(f.log().find(fs::canonical(path).string()) != std::string::npos);
    CHECK(f.log().find("damaged") != std::string::npos);
  }
}

TEST_CASE("server hardening: a torn WAL tail after a crash loses nothing that was acked") {
  server_fixture f;
  REQUIRE(push_changes(f.port(), space_of(11), 30, 500));
  f.srv->kill_hard();
  const std::string wal = f.tmp.sub("data/server.db-wal");
  REQUIRE(fs::exists(wal));
  // A frame that was being written when the power went: half a page of garbage.
  std::ofstream(wal, std::ios::binary | std::ios::app) << std::string(2100, '\x5a');
  f.start();
  CHECK(http_get("127.0.0.1", f.port(), "/readyz").status == 200);
  CHECK(pull_all(f.port(), space_of(11)) == 30);
}
