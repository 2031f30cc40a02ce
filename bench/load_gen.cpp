// Load generator of `bench/run server`: starts a server
// (packline-server, then the plain Beast echo server as the ceiling) on
// 127.0.0.1 and measures (a) idle connections and the server's RSS, (b) fan-out
// of small changes in spaces of members, (c) cold catch-up of a big space,
// (d) a new device joining a big space, usable after a full pull or after the
// newest snapshot plus the tail (client-core's sync_session on a replica), in
// an open panel and (join_secured) in a secured one: an invited tablet, a
// sealed snapshot opened after the keyring records.
// Prints one JSON line per figure: {"suite":"server","case","impl","metric",
// "value","unit"}. One io_context thread drives every connection; every loop is
// bounded in count and time, and a watchdog alarm ends the process regardless.
// Loopback only: the servers are children bound to 127.0.0.1.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdarg>
#include <ctime>
#include <fcntl.h>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "packline/wire/codec.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/base/limits.hpp"
#include "packline/replica/replica.hpp"
#include "packline/sync/sync.hpp"

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace packline;
using clk = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------- options

struct options {
  std::string server_bin;
  std::string echo_bin;
  std::string before_bin;  // optional: an older packline-server, impl "packline-before"
  std::string tmp = "/tmp/packline-bench/server";
  std::set<std::string> cases{"idle", "fanout", "catchup", "join", "join_secured", "hostile", "auth_big", "stalled"};
  std::set<std::string> impls{"packline", "beast-echo"};
  int idle_conns = 10000;
  int spaces = 200;
  int members = 12;
  double push_rate = 5000;  // pushes per second offered (each reaches members-1 others)
  double seconds = 8;       // measured window of the fan-out case
  int catchup_changes = 50000;  // also the size of the join case's space
  int payload_bytes = 64;
  std::vector<std::string> server_args;
};

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        clk::now().time_since_epoch())
                                        .count());
}

void emit(const std::string& c, const std::string& impl, const std::string& metric, double v,
          const std::string& unit) {
  std::printf("{\"suite\":\"server\",\"case\":\"%s\",\"impl\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"}\n",
              c.c_str(), impl.c_str(), metric.c_str(), v, unit.c_str());
  std::fflush(stdout);
}

void note(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::fputs("load_gen: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  va_end(ap);
}

// packline-server itself, or an older build of it measured in the same run
// ("packline-before", --before-bin) to show what a change bought.
bool is_packline(const std::string& impl) { return impl.rfind("packline", 0) == 0; }

// ---------------------------------------------------------------- child process

struct child {
  pid_t pid = -1;
  std::uint16_t port = 0;
  std::string log;

  bool start(const std::string& bin, std::vector<std::string> args, std::uint16_t p, const std::string& log_path) {
    port = p;
    log = log_path;
    args.push_back("--port");
    args.push_back(std::to_string(p));
    pid = fork();
    if (pid == 0) {
      int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) { dup2(fd, 2); dup2(fd, 1); }
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(bin.c_str()));
      for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    // Wait until it accepts connections (bounded).
    for (int i = 0; i < 200; ++i) {
      net::io_context ioc;
      tcp::socket s(ioc);
      beast::error_code ec;
      s.connect({net::ip::make_address("127.0.0.1"), port}, ec);
      if (!ec) return true;
      int st = 0;
      if (waitpid(pid, &st, WNOHANG) == pid) { pid = -1; return false; }
      usleep(50 * 1000);
    }
    return false;
  }

  double rss_mib() const {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return -1;
  }

  void stop() {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      int st = 0;
      if (waitpid(pid, &st, WNOHANG) == pid) { pid = -1; return; }
      usleep(50 * 1000);
    }
    ::kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    pid = -1;
  }
  ~child() { stop(); }
};

std::uint16_t free_port() {
  net::io_context ioc;
  tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// ---------------------------------------------------------------- connection

// One WebSocket client connection: connect, handshake, a read loop, and a
// write queue with one write in flight.
class conn : public std::enable_shared_from_this<conn> {
 public:
  std::function<void(conn&)> on_open;
  std::function<void(conn&, const std::uint8_t*, std::size_t)> on_frame;
  std::function<void(conn&, const std::string&)> on_fail;
  bool open = false;
  bool failed = false;

  // A reader that stops: after the frame in hand, no more reads are started.
  bool stop_reading = false;
  // > 0: the socket's receive buffer (a small window keeps a stalled
  // reader's bytes in the server's queue, not in the kernel's buffers).
  int rcvbuf = 0;

  explicit conn(net::io_context& ioc) : ws_(ioc) {}

  void start(std::uint16_t port, std::string target) {
    target_ = std::move(target);
    if (rcvbuf > 0) {
      beast::error_code ec;
      auto& sock = beast::get_lowest_layer(ws_).socket();
      sock.open(tcp::v4(), ec);
      sock.set_option(net::socket_base::receive_buffer_size(rcvbuf), ec);
    }
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
    beast::get_lowest_layer(ws_).async_connect(
        tcp::endpoint{net::ip::make_address("127.0.0.1"), port},
        [self = shared_from_this(), port](beast::error_code ec) {
          if (ec) return self->fail("connect: " + ec.message());
          beast::get_lowest_layer(self->ws_).expires_never();
          // Whole frames are written at once; Nagle would only add delayed-ACK stalls.
          beast::error_code nd;
          beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true), nd);
          self->ws_.set_option(websocket::stream_base::timeout{std::chrono::seconds(30), websocket::stream_base::none(), false});
          self->ws_.read_message_max(64u << 20);
          self->ws_.binary(true);
          self->ws_.auto_fragment(false);
          self->ws_.async_handshake("127.0.0.1:" + std::to_string(port), self->target_,
                                    [self](beast::error_code ec2) {
                                      if (ec2) return self->fail("handshake: " + ec2.message());
                                      self->open = true;
                                      if (self->on_open) self->on_open(*self);
                                      self->do_read();
                                    });
        });
  }

  void send(std::shared_ptr<const bytes> f) {
    if (!open) return;
    q_.push_back(std::move(f));
    if (q_.size() == 1) do_write();
  }
  void send(bytes f) { send(std::make_shared<const bytes>(std::move(f))); }

  void drop() {
    open = false;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  void fail(const std::string& why) {
    bool was = failed;
    failed = true;
    open = false;
    if (!was && on_fail) on_fail(*this, why);
  }
  void do_read() {
    ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("read: " + ec.message());
      auto d = self->buf_.cdata();
      if (self->on_frame) self->on_frame(*self, static_cast<const std::uint8_t*>(d.data()), d.size());
      self->buf_.consume(self->buf_.size());
      if (self->open && !self->stop_reading) self->do_read();
    });
  }
  void do_write() {
    ws_.async_write(net::buffer(*q_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("write: " + ec.message());
      self->q_.pop_front();
      if (!self->q_.empty()) self->do_write();
    });
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buf_;
  std::deque<std::shared_ptr<const bytes>> q_;
  std::string target_;
};

// Runs the io_context until pred() or the deadline.
template <class Pred>
bool run_until(net::io_context& ioc, Pred pred, double seconds) {
  auto end = clk::now() + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(seconds));
  while (!pred()) {
    if (clk::now() >= end) return false;
    if (ioc.stopped()) ioc.restart();
    ioc.run_one_for(std::chrono::milliseconds(20));
  }
  return true;
}

void run_for(net::io_context& ioc, double seconds) {
  run_until(ioc, [] { return false; }, seconds);
}

// A blocking HTTP/1.1 GET on a fresh connection: status and body ("" on failure).
std::pair<int, std::string> http_get(std::uint16_t port, const std::string& target) {
  net::io_context ioc;
  tcp::socket s(ioc);
  beast::error_code ec;
  s.connect({net::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return {0, ""};
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  net::write(s, net::buffer(req), ec);
  std::string out;
  char buf[8192];
  for (;;) {
    std::size_t n = s.read_some(net::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  if (out.rfind("HTTP/1.1 ", 0) != 0) return {0, ""};
  auto at = out.find("\r\n\r\n");
  return {std::atoi(out.c_str() + 9), at == std::string::npos ? "" : out.substr(at + 4)};
}

double metric_value(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

// ---------------------------------------------------------------- packline device

// What a measured change carries in its payload: when it was sent and by whom.
struct stamp {
  std::uint64_t sent_ns = 0;
  std::uint32_t sender = 0;
};

bytes make_payload(const stamp& s, int size) {
  bytes p(static_cast<std::size_t>(std::max(size, 12)), 0x5a);
  std::memcpy(p.data(), &s.sent_ns, 8);
  std::memcpy(p.data() + 8, &s.sender, 4);
  return p;
}

std::optional<stamp> read_stamp(const std::uint8_t* p, std::size_t n) {
  if (n < 12) return std::nullopt;
  stamp s;
  std::memcpy(&s.sent_ns, p, 8);
  std::memcpy(&s.sender, p + 8, 4);
  return s;
}

// A minimal msgpack reader for the hot path: live frames are read without
// building the codec's tree (the generator shares the two cores with the
// server; decoding every envelope fully would measure the generator).
struct mp {
  const std::uint8_t* p;
  const std::uint8_t* end;
  bool ok = true;
  std::uint8_t byte() {
    if (p >= end) { ok = false; return 0; }
    return *p++;
  }
  std::uint64_t be(int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | byte();
    return v;
  }
  std::uint64_t uint() {
    std::uint8_t b = byte();
    if (b <= 0x7f) return b;
    if (b == 0xcc) return be(1);
    if (b == 0xcd) return be(2);
    if (b == 0xce) return be(4);
    if (b == 0xcf) return be(8);
    ok = false;
    return 0;
  }
  std::uint32_t array() {
    std::uint8_t b = byte();
    if ((b & 0xf0) == 0x90) return b & 0x0f;
    if (b == 0xdc) return static_cast<std::uint32_t>(be(2));
    if (b == 0xdd) return static_cast<std::uint32_t>(be(4));
    ok = false;
    return 0;
  }
  std::pair<const std::uint8_t*, std::size_t> bin() {
    std::uint8_t b = byte();
    std::size_t n = b == 0xc4 ? be(1) : b == 0xc5 ? be(2) : b == 0xc6 ? be(4) : (ok = false, 0);
    if (!ok || static_cast<std::size_t>(end - p) < n) { ok = false; return {nullptr, 0}; }
    auto r = std::make_pair(p, n);
    p += n;
    return r;
  }
};

// The payload of an encoded envelope [1, space, actor, seq, epoch, payload, sig].
std::optional<std::pair<const std::uint8_t*, std::size_t>> envelope_payload(const std::uint8_t* d, std::size_t n) {
  mp r{d, d + n};
  if (r.array() != 7 || r.uint() != 1) return std::nullopt;
  r.bin();
  r.bin();
  r.uint();
  r.uint();
  auto pl = r.bin();
  if (!r.ok) return std::nullopt;
  return pl;
}

// Receives changes (live, changes) and counts deliveries of others' changes.
struct recorder {
  bool measuring = false;
  std::uint64_t delivered = 0;
  std::uint64_t received_items = 0;
  std::vector<std::uint32_t> latency_us;
  void got(std::uint32_t self, const stamp& s) {
    ++received_items;
    if (!measuring || s.sender == self) return;
    ++delivered;
    std::uint64_t now = now_ns();
    latency_us.push_back(static_cast<std::uint32_t>(now > s.sent_ns ? (now - s.sent_ns) / 1000 : 0));
  }
};

// A device speaking the sync protocol directly (frame by frame).
struct device {
  std::uint32_t index = 0;
  crypto::signing_key key;
  bytes space;
  std::shared_ptr<conn> c;
  recorder* rec = nullptr;
  bool decode_items = true;
  bool ready = false;
  bool push_in_flight = false;
  bool pull_in_flight = false;
  std::uint64_t seq = 0;
  std::uint64_t cursor = 0;
  std::uint64_t server_cursor = 0;
  std::uint64_t acked = 0;
  std::uint64_t items_seen = 0;
  bool caught_up = false;  // a changes frame said more = false
  std::string error;
  // Payload of each pushed change; a stamp (the fan-out measure) when unset.
  std::function<bytes()> payload;

  void connect(net::io_context& ioc, std::uint16_t port) {
    c = std::make_shared<conn>(ioc);
    c->on_open = [this](conn& cn) {
      cn.send(codec::encode(proto::hello{limits::protocol_version, key.public_key(), space}));
    };
    c->on_frame = [this](conn& cn, const std::uint8_t* d, std::size_t n) { frame(cn, d, n); };
    c->on_fail = [this](conn&, const std::string& why) { if (error.empty()) error = why; };
    c->start(port, "/sync");
  }

  void pull() {
    if (pull_in_flight || !ready) return;
    pull_in_flight = true;
    c->send(codec::encode(proto::pull{cursor, limits::max_pull_changes}));
  }

  void items(const std::vector<proto::stored_change>& list) {
    for (const auto& it : list) {
      if (it.server_seq <= cursor) continue;
      cursor = it.server_seq;
      ++items_seen;
      if (rec && decode_items) {
        if (auto pl = envelope_payload(it.envelope.data(), it.envelope.size()))
          if (auto st = read_stamp(pl->first, pl->second)) rec->got(index, *st);
      }
    }
  }

  // live frames, the bulk of the fan-out case, without the full decoder.
  bool fast_live(const std::uint8_t* d, std::size_t n) {
    mp r{d, d + n};
    if (r.array() != 3 || r.uint() != static_cast<std::uint64_t>(proto::msg_type::live)) return false;
    std::uint64_t prev = r.uint();
    std::uint32_t count = r.array();
    if (!r.ok) return false;
    if (prev > cursor) {
      pull();  // a gap: catch up by pulling
      return true;
    }
    for (std::uint32_t i = 0; i < count && r.ok; ++i) {
      if (r.array() != 2) return false;
      std::uint64_t seq = r.uint();
      auto env = r.bin();
      if (!r.ok) return false;
      if (seq <= cursor) continue;
      cursor = seq;
      ++items_seen;
      if (rec && decode_items) {
        if (auto pl = envelope_payload(env.first, env.second))
          if (auto st = read_stamp(pl->first, pl->second)) rec->got(index, *st);
      }
    }
    return r.ok;
  }

  void frame(conn& cn, const std::uint8_t* d, std::size_t n) {
    if (ready && fast_live(d, n)) return;
    auto m = codec::decode(d, n);
    if (!m) { error = "bad frame: " + m.err().message; return; }
    std::visit(
        [&](auto& msg) {
          using T = std::decay_t<decltype(msg)>;
          if constexpr (std::is_same_v<T, proto::challenge>) {
            cn.send(codec::encode(proto::auth{key.sign(proto::auth_transcript(msg.nonce, msg.space))}));
          } else if constexpr (std::is_same_v<T, proto::welcome>) {
            ready = true;
            space = msg.space;
            server_cursor = msg.cursor;
          } else if constexpr (std::is_same_v<T, proto::ack>) {
            push_in_flight = false;
            acked += msg.entries.size();
          } else if constexpr (std::is_same_v<T, proto::notify>) {
            server_cursor = std::max(server_cursor, msg.cursor);
            if (server_cursor > cursor) pull();
          } else if constexpr (std::is_same_v<T, proto::changes>) {
            pull_in_flight = false;
            items(msg.items);
            cursor = std::max(cursor, msg.next);
            if (!msg.more) caught_up = true;
            if (msg.more || server_cursor > cursor) pull();
          } else if constexpr (std::is_same_v<T, proto::live>) {
            if (msg.prev > cursor) {
              server_cursor = std::max(server_cursor, msg.items.empty() ? msg.prev : msg.items.back().server_seq);
              pull();
            } else {
              items(msg.items);
            }
          } else if constexpr (std::is_same_v<T, proto::error>) {
            error = "server error " + std::to_string(msg.code) + ": " + msg.text;
          }
        },
        *m);
  }

  bytes envelope_frame(std::uint64_t n, int payload_bytes) {
    proto::push p;
    for (std::uint64_t i = 0; i < n; ++i) {
      envelope e;
      e.space = space;
      e.actor = key.public_key();
      e.seq = ++seq;
      e.epoch = 0;
      e.payload = payload ? payload() : make_payload(stamp{now_ns(), index}, payload_bytes);
      crypto::sign_envelope(e, key);
      p.envelopes.push_back(codec::encode_envelope(e));
    }
    return codec::encode(p);
  }

  void push(int payload_bytes, std::uint64_t n = 1) {
    push_in_flight = true;
    c->send(envelope_frame(n, payload_bytes));
  }
};

// ---------------------------------------------------------------- (a) idle connections

void case_idle(const options& o, const std::string& impl, const std::string& bin, std::vector<std::string> args) {
  const std::string cname = "idle_" + std::to_string(o.idle_conns);
  child srv;
  std::uint16_t port = free_port();
  if (!srv.start(bin, args, port, o.tmp + "/" + impl + "-idle.log")) {
    note("%s did not start (see %s)", impl.c_str(), srv.log.c_str());
    return;
  }
  run_for(*std::make_unique<net::io_context>(), 0.3);
  double rss0 = srv.rss_mib();
  net::io_context ioc{1};
  std::vector<std::unique_ptr<device>> devs;
  std::vector<std::shared_ptr<conn>> raw;
  int opened = 0, failed = 0;
  std::string first_error;
  auto t0 = clk::now();
  // At most `window` handshakes at a time: a connect storm beyond the listen
  // backlog only measures SYN retries.
  const int window = 256;
  int started = 0;
  auto ready_count = [&] {
    int n = 0;
    if (is_packline(impl)) {
      for (auto& d : devs) n += d->ready ? 1 : 0;
    } else {
      for (auto& c : raw) n += c->open ? 1 : 0;
    }
    return n;
  };
  bytes space = crypto::random_bytes(16);
  while (started < o.idle_conns && clk::now() - t0 < std::chrono::seconds(120)) {
    int ready = ready_count();
    int fails = 0;
    for (auto& d : devs) fails += d->error.empty() ? 0 : 1;
    for (auto& c : raw) fails += c->failed ? 1 : 0;
    while (started < o.idle_conns && started - ready - fails < window) {
      if (is_packline(impl)) {
        auto d = std::make_unique<device>();
        d->index = static_cast<std::uint32_t>(started);
        d->key = crypto::signing_key::generate();
        d->space = space;
        d->connect(ioc, port);
        devs.push_back(std::move(d));
      } else {
        auto c = std::make_shared<conn>(ioc);
        c->start(port, "/echo");
        raw.push_back(c);
      }
      ++started;
    }
    ioc.run_for(std::chrono::milliseconds(5));
  }
  run_until(ioc, [&] {
    int fails = 0;
    for (auto& d : devs) fails += d->error.empty() ? 0 : 1;
    for (auto& c : raw) fails += c->failed ? 1 : 0;
    return ready_count() + fails >= o.idle_conns;
  }, 60);
  double secs = std::chrono::duration<double>(clk::now() - t0).count();
  run_for(ioc, 2.0);  // settle: the server's allocator has done its work
  opened = ready_count();
  for (auto& d : devs)
    if (!d->error.empty()) { ++failed; if (first_error.empty()) first_error = d->error; }
  for (auto& c : raw) failed += c->failed ? 1 : 0;
  double rss = srv.rss_mib();
  if (!first_error.empty()) note("%s idle: first error: %s", impl.c_str(), first_error.c_str());
  emit(cname, impl, "connections_held", opened, "count");
  emit(cname, impl, "connect_seconds", secs, "s");
  emit(cname, impl, "server_rss", rss, "MiB");
  emit(cname, impl, "server_rss_per_connection", opened > 0 ? (rss - rss0) * 1024.0 / opened : 0, "KiB");
  for (auto& d : devs) d->c->drop();
  for (auto& c : raw) c->drop();
  run_for(ioc, 0.2);
  srv.stop();
}

// ---------------------------------------------------------------- (b) fan-out

struct latency_summary {
  double p50 = 0, p99 = 0, max = 0;
};
latency_summary summarize(std::vector<std::uint32_t>& v) {
  latency_summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.p50 = v[v.size() / 2] / 1000.0;
  s.p99 = v[std::min(v.size() - 1, v.size() * 99 / 100)] / 1000.0;
  s.max = v.back() / 1000.0;
  return s;
}

void case_fanout(const options& o, const std::string& impl, const std::string& bin, std::vector<std::string> args) {
  const std::string cname = "fanout_" + std::to_string(o.spaces) + "x" + std::to_string(o.members);
  child srv;
  std::uint16_t port = free_port();
  if (!srv.start(bin, args, port, o.tmp + "/" + impl + "-fanout.log")) {
    note("%s did not start (see %s)", impl.c_str(), srv.log.c_str());
    return;
  }
  net::io_context ioc{1};
  recorder rec;
  const int n = o.spaces * o.members;
  std::vector<std::unique_ptr<device>> devs;        // packline
  std::vector<std::shared_ptr<conn>> raw;            // echo
  std::vector<std::uint32_t> raw_index;
  auto t0 = clk::now();
  if (is_packline(impl)) {
    for (int s = 0; s < o.spaces; ++s) {
      bytes space = crypto::random_bytes(16);
      for (int m = 0; m < o.members; ++m) {
        auto d = std::make_unique<device>();
        d->index = static_cast<std::uint32_t>(devs.size());
        d->key = crypto::signing_key::generate();
        d->space = space;
        d->rec = &rec;
        devs.push_back(std::move(d));
      }
    }
    // Connect in windows, then let every device catch up once (a v2 session
    // is live after its first pull answer says more = false).
    for (std::size_t i = 0; i < devs.size(); ++i) {
      devs[i]->connect(ioc, port);
      if (i % 200 == 199) run_until(ioc, [&] { std::size_t r = 0; for (std::size_t k = 0; k <= i; ++k) r += devs[k]->ready || !devs[k]->error.empty(); return r == i + 1; }, 30);
    }
    run_until(ioc, [&] { for (auto& d : devs) if (!d->ready && d->error.empty()) return false; return true; }, 60);
    for (auto& d : devs) d->pull();
    run_until(ioc, [&] { for (auto& d : devs) if (d->ready && !d->caught_up && d->error.empty()) return false; return true; }, 60);
  } else {
    for (int s = 0; s < o.spaces; ++s)
      for (int m = 0; m < o.members; ++m) {
        auto c = std::make_shared<conn>(ioc);
        std::uint32_t idx = static_cast<std::uint32_t>(raw.size());
        c->on_frame = [&rec, idx](conn&, const std::uint8_t* d, std::size_t len) {
          if (auto st = read_stamp(d, len)) rec.got(idx, *st);
        };
        c->start(port, "/room/" + std::to_string(s));
        raw.push_back(c);
        if (raw.size() % 200 == 0) run_until(ioc, [&] { for (auto& r : raw) if (!r->open && !r->failed) return false; return true; }, 30);
      }
    run_until(ioc, [&] { for (auto& r : raw) if (!r->open && !r->failed) return false; return true; }, 60);
  }
  double setup = std::chrono::duration<double>(clk::now() - t0).count();
  int live = 0;
  std::string first_error;
  for (auto& d : devs) { live += d->ready; if (!d->error.empty() && first_error.empty()) first_error = d->error; }
  for (auto& c : raw) live += c->open;
  if (!first_error.empty()) note("fanout: first error: %s", first_error.c_str());
  note("%s fanout: %d/%d connected in %.1f s", impl.c_str(), live, n, setup);

  // Open-loop schedule: push_rate pushes per second, round robin over the
  // devices; a device whose previous push is not acked yet is skipped (and
  // counted), so an overloaded server shows as missed pushes, not a backlog.
  const double warmup = 2.0;
  std::uint64_t due = 0, sent = 0, skipped = 0;
  std::size_t rr = 0;
  auto start = clk::now();
  auto measure_from = start + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(warmup));
  auto measure_to = measure_from + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(o.seconds));
  std::uint64_t sent_in_window = 0;
  bytes pad(static_cast<std::size_t>(std::max(o.payload_bytes, 12) + 136), 0x5a);  // ~ an envelope's size
  while (clk::now() < measure_to) {
    auto now = clk::now();
    rec.measuring = now >= measure_from;
    double el = std::chrono::duration<double>(now - start).count();
    std::uint64_t target = static_cast<std::uint64_t>(el * o.push_rate);
    while (due < target) {
      ++due;
      std::size_t tries = 0;
      bool ok = false;
      while (tries++ < static_cast<std::size_t>(n)) {
        std::size_t i = rr++ % static_cast<std::size_t>(n);
        if (is_packline(impl)) {
          auto& d = *devs[i];
          if (!d.ready || d.push_in_flight) continue;
          d.push(o.payload_bytes);
        } else {
          if (!raw[i]->open) continue;
          stamp st{now_ns(), static_cast<std::uint32_t>(i)};
          std::memcpy(pad.data(), &st.sent_ns, 8);
          std::memcpy(pad.data() + 8, &st.sender, 4);
          raw[i]->send(pad);
        }
        ok = true;
        break;
      }
      if (ok) { ++sent; if (rec.measuring) ++sent_in_window; } else ++skipped;
    }
    ioc.run_for(std::chrono::microseconds(500));
  }
  rec.measuring = false;
  double rss = srv.rss_mib();
  run_for(ioc, 1.0);  // drain (not measured)
  auto lat = summarize(rec.latency_us);
  emit(cname, impl, "pushes_offered_per_s", o.push_rate, "1/s");
  emit(cname, impl, "pushes_sent_per_s", sent_in_window / o.seconds, "1/s");
  emit(cname, impl, "pushes_skipped", static_cast<double>(skipped), "count");
  emit(cname, impl, "delivered_per_s", rec.delivered / o.seconds, "1/s");
  emit(cname, impl, "latency_p50", lat.p50, "ms");
  emit(cname, impl, "latency_p99", lat.p99, "ms");
  emit(cname, impl, "latency_max", lat.max, "ms");
  emit(cname, impl, "server_rss", rss, "MiB");
  first_error.clear();
  for (auto& d : devs) if (!d->error.empty() && first_error.empty()) first_error = d->error;
  if (!first_error.empty()) note("fanout: first error after run: %s", first_error.c_str());
  for (auto& d : devs) d->c->drop();
  for (auto& c : raw) c->drop();
  run_for(ioc, 0.2);
  srv.stop();
}

// ---------------------------------------------------------------- (c) cold catch-up

void case_catchup(const options& o, const std::string& impl, const std::string& bin, std::vector<std::string> args) {
  const std::string cname = "catchup_" + std::to_string(o.catchup_changes);
  child srv;
  std::uint16_t port = free_port();
  if (!srv.start(bin, args, port, o.tmp + "/" + impl + "-catchup.log")) {
    note("%s did not start (see %s)", impl.c_str(), srv.log.c_str());
    return;
  }
  net::io_context ioc{1};
  if (is_packline(impl)) {
    // Fill the space: one device pushes full batches (not measured).
    device w;
    w.key = crypto::signing_key::generate();
    w.space = crypto::random_bytes(16);
    w.connect(ioc, port);
    if (!run_until(ioc, [&] { return w.ready || !w.error.empty(); }, 10)) { note("catchup: writer not ready"); return; }
    auto tf = clk::now();
    std::uint64_t total = static_cast<std::uint64_t>(o.catchup_changes);
    while (w.acked < total && w.error.empty() && clk::now() - tf < std::chrono::seconds(120)) {
      std::uint64_t n = std::min<std::uint64_t>(limits::max_push_envelopes, total - w.seq);
      w.push(o.payload_bytes, n);
      run_until(ioc, [&] { return !w.push_in_flight || !w.error.empty(); }, 30);
    }
    note("catchup: stored %llu changes in %.1f s%s%s", static_cast<unsigned long long>(w.acked),
         std::chrono::duration<double>(clk::now() - tf).count(), w.error.empty() ? "" : "; error: ", w.error.c_str());
    // Restart the server so the catch-up reads a store it did not just write
    // (SQLite's page cache is cold; the OS cache stays warm).
    w.c->drop();
    run_for(ioc, 0.1);
    srv.stop();
    if (!srv.start(bin, args, port, o.tmp + "/" + impl + "-catchup2.log")) { note("catchup: restart failed"); return; }
    // A new device: connect, authenticate, pull everything; timed from the connect.
    device r;
    r.key = crypto::signing_key::generate();
    r.space = w.space;
    r.decode_items = false;
    auto t0 = clk::now();
    r.connect(ioc, port);
    run_until(ioc, [&] { return r.ready || !r.error.empty(); }, 10);
    r.pull();
    run_until(ioc, [&] { return (r.caught_up && r.cursor >= w.acked) || !r.error.empty(); }, 60);
    double secs = std::chrono::duration<double>(clk::now() - t0).count();
    if (!r.error.empty()) note("catchup: reader error: %s", r.error.c_str());
    emit(cname, impl, "changes_received", static_cast<double>(r.items_seen), "count");
    emit(cname, impl, "seconds", secs, "s");
    emit(cname, impl, "changes_per_s", r.items_seen / secs, "1/s");
    r.c->drop();
  } else {
    // Ceiling: the same bytes as the packline pages, as echo round trips of
    // page-sized frames (one in flight, like one pull in flight).
    std::size_t env_size = static_cast<std::size_t>(std::max(o.payload_bytes, 12)) + 136;
    std::size_t per_page = limits::max_pull_changes;
    std::size_t pages = (static_cast<std::size_t>(o.catchup_changes) + per_page - 1) / per_page;
    auto c = std::make_shared<conn>(ioc);
    std::size_t got = 0;
    c->on_frame = [&](conn&, const std::uint8_t*, std::size_t) { ++got; };
    auto t0 = clk::now();
    c->start(port, "/echo");
    run_until(ioc, [&] { return c->open || c->failed; }, 10);
    auto page = std::make_shared<const bytes>(bytes(per_page * (env_size + 12), 0x33));
    auto small = std::make_shared<const bytes>(bytes(16, 0x11));
    for (std::size_t i = 0; i < pages && !c->failed; ++i) {
      // The request is small and the answer page-sized, as in a pull: the
      // echo server answers a page for a page, so count half its bytes.
      c->send(page);
      std::size_t want = i + 1;
      run_until(ioc, [&] { return got >= want || c->failed; }, 10);
    }
    (void)small;
    double secs = std::chrono::duration<double>(clk::now() - t0).count();
    emit(cname, impl, "changes_received", static_cast<double>(std::min(got * per_page, static_cast<std::size_t>(o.catchup_changes))), "count");
    emit(cname, impl, "seconds", secs, "s");
    emit(cname, impl, "changes_per_s", o.catchup_changes / secs, "1/s");
    c->drop();
  }
  run_for(ioc, 0.2);
  srv.stop();
}

// ---------------------------------------------------------------- (d) a new device joins a big space

// A real device: client-core's replica and sync_session over one conn. The
// session decides everything (snapshot or pull, upload); this only moves frames.
struct core_device {
  std::unique_ptr<replica> rep;
  std::unique_ptr<sync_session> s;
  std::shared_ptr<conn> c;
  std::string error;
  std::size_t snapshot_frames = 0;
  std::uint64_t snapshot_total = 0;
  // The full-pull baseline where a snapshot exists: the device is told
  // (welcome) that there is none, so it pulls the whole history.
  bool hide_snapshot = false;

  explicit core_device(const bytes& space) {
    auto r = replica::create(crypto::random_bytes(32));
    if (!r || !r.value()->set_space(space)) {
      error = "no replica";
      return;
    }
    rep = std::move(*r);
    s = std::make_unique<sync_session>(*rep);
  }
  explicit core_device(std::unique_ptr<replica> r) : rep(std::move(r)), s(std::make_unique<sync_session>(*rep)) {}
  void flush() { for (auto& f : s->flush()) c->send(std::move(f)); }
  void connect(net::io_context& ioc, std::uint16_t port) {
    c = std::make_shared<conn>(ioc);
    c->on_open = [this](conn& cn) { for (auto& f : s->on_open()) cn.send(std::move(f)); };
    c->on_frame = [this](conn& cn, const std::uint8_t* d, std::size_t n) {
      bytes frame(d, d + n);
      if (hide_snapshot && n > 1 && d[1] == static_cast<std::uint8_t>(proto::msg_type::welcome))
        if (auto m = codec::decode(frame); m && std::holds_alternative<proto::welcome>(*m)) {
          auto w = std::get<proto::welcome>(*m);
          if (w.snapshot) w.snapshot = 0;
          frame = codec::encode(w);
        }
      auto out = s->on_frame(frame, static_cast<std::uint64_t>(std::time(nullptr)) * 1000);
      if (!out) { error = out.err().message; cn.drop(); return; }
      if (auto p = s->snapshot_progress(); p && p->total) snapshot_total = p->total;
      if (n > 1 && d[1] == static_cast<std::uint8_t>(proto::msg_type::snapshot)) {
        ++snapshot_frames;
        if (auto m = codec::decode(frame); m && std::holds_alternative<proto::snapshot>(*m))
          snapshot_total = std::max(snapshot_total, std::get<proto::snapshot>(*m).total);  // also a one-chunk blob
      }
      for (auto& f : *out) cn.send(std::move(f));
      for (auto& r : s->take_rejections()) if (error.empty()) error = r;
    };
    c->on_fail = [this](conn&, const std::string& why) { if (error.empty()) error = why; };
    c->start(port, "/sync");
  }
  bool usable(std::uint64_t cursor) { return s->state() == sync_state::synced && rep->cursor() >= cursor; }
};

// A change body as a member's tablet writes it: one field of one of a few
// thousand rows (questions edited over a year), so the state is smaller than
// the history, as in a real panel.
bytes question_edit(std::uint64_t i, std::uint64_t rows) {
  change_body b;
  b.hlc = hlc_timestamp{static_cast<std::uint64_t>(std::time(nullptr)) * 1000 - 1000, static_cast<std::uint32_t>(i)};
  bytes row(16, 0);
  std::uint64_t r = i % rows;
  std::memcpy(row.data(), &r, sizeof r);
  std::string body = "Question " + std::to_string(r) + ", revision " + std::to_string(i / rows) +
                     ": what is the Commissioner doing about the rise in recorded crime this quarter?";
  b.ops.push_back(op{op_kind::set, "question", row, i % 2 ? "target" : "status",
                     i % 2 ? value(body) : value(std::string("draft"))});
  return codec::encode_body(b);
}

void case_join(const options& o, const std::string& impl, const std::string& bin, std::vector<std::string> args) {
  if (impl != "packline") return;  // measures client-core against this server only
  const std::string cname = "join_" + std::to_string(o.catchup_changes);
  child srv;
  std::uint16_t port = free_port();
  if (!srv.start(bin, args, port, o.tmp + "/" + impl + "-join.log")) {
    note("%s did not start (see %s)", impl.c_str(), srv.log.c_str());
    return;
  }
  net::io_context ioc{1};
  // Fill the space: one device pushes real change bodies (not measured).
  device w;
  w.key = crypto::signing_key::generate();
  w.space = crypto::random_bytes(16);
  const std::uint64_t total = static_cast<std::uint64_t>(o.catchup_changes);
  const std::uint64_t rows = std::max<std::uint64_t>(1, total / 10);
  w.payload = [&w, rows] { return question_edit(w.seq, rows); };
  w.connect(ioc, port);
  if (!run_until(ioc, [&] { return w.ready || !w.error.empty(); }, 10)) { note("join: writer not ready"); return; }
  auto fill = [&](std::uint64_t upto) {
    auto tf = clk::now();
    while (w.acked < upto && w.error.empty() && clk::now() - tf < std::chrono::seconds(120)) {
      w.push(0, std::min<std::uint64_t>(limits::max_push_envelopes, upto - w.seq));
      run_until(ioc, [&] { return !w.push_in_flight || !w.error.empty(); }, 30);
    }
    note("join: stored %llu changes in %.1f s%s%s", static_cast<unsigned long long>(w.acked),
         std::chrono::duration<double>(clk::now() - tf).count(), w.error.empty() ? "" : "; error: ", w.error.c_str());
  };
  fill(total);

  // Connect until usable: every change applied, the session synced. Timed from the connect.
  auto join = [&](core_device& d, const char* how) {
    auto t0 = clk::now();
    d.connect(ioc, port);
    run_until(ioc, [&] { return d.usable(w.acked) || !d.error.empty() || d.c->failed; }, 120);
    double secs = std::chrono::duration<double>(clk::now() - t0).count();
    if (!d.error.empty()) note("join (%s): %s", how, d.error.c_str());
    emit(cname, how, "seconds_to_usable", secs, "s");
    emit(cname, how, "changes_per_s", static_cast<double>(d.rep->cursor()) / secs, "1/s");
    return secs;
  };
  // First device: no snapshot on the server yet, so the whole history.
  core_device full(w.space);
  double full_s = join(full, "full_pull");
  // Caught up past snapshot_every_changes: it uploads its snapshot (timed).
  auto tu = clk::now();
  std::string want = std::to_string(full.rep->cursor());
  run_until(ioc, [&] { return full.rep->setting("sync.snapshot_cursor") == want || !full.error.empty(); }, 60);
  emit(cname, "full_pull", "snapshot_upload_seconds", std::chrono::duration<double>(clk::now() - tu).count(), "s");
  // Building the image is part of the caught-up device's last frame (the
  // session offers the upload there): its cost on its own.
  auto tb = clk::now();
  auto image = full.rep->snapshot();
  emit(cname, "full_pull", "snapshot_build_seconds", std::chrono::duration<double>(clk::now() - tb).count(), "s");
  emit(cname, "full_pull", "snapshot_image_bytes", image ? static_cast<double>(image->size()) : -1, "B");
  // The worst tail after a snapshot: one change short of the next upload.
  fill(total + limits::snapshot_every_changes - 1);
  // Second device: the snapshot, then the tail (so it ends with more changes
  // than the full-pull device had to apply).
  core_device snap(w.space);
  double snap_s = join(snap, "snapshot");
  emit(cname, "snapshot", "snapshot_bytes", static_cast<double>(snap.snapshot_total), "B");
  emit(cname, "snapshot", "snapshot_frames", static_cast<double>(snap.snapshot_frames), "count");
  emit(cname, "snapshot", "speedup_vs_full_pull", full_s / snap_s, "x");
  run_until(ioc, [&] { return full.usable(w.acked) || !full.error.empty(); }, 60);  // full gets the tail live
  if (snap.rep->digest() != full.rep->digest()) note("join: the two devices disagree");
  w.c->drop();
  full.c->drop();
  snap.c->drop();
  run_for(ioc, 0.2);
  srv.stop();
}

// A secured panel: the clerk's device founds it and makes `total` edits of
// `total / 10` meetings (sealed changes, committed offline, then pushed by
// its session, which uploads the sealed snapshot once caught up). Then two invited
// tablets join: one told there is no snapshot (the whole history, sealed), one
// that starts from the snapshot after the keyring records.
void case_join_secured(const options& o, const std::string& impl, const std::string& bin, std::vector<std::string> args) {
  if (impl != "packline") return;
  const std::string cname = "join_secured_" + std::to_string(o.catchup_changes);
  child srv;
  std::uint16_t port = free_port();
  if (!srv.start(bin, args, port, o.tmp + "/" + impl + "-join-secured.log")) {
    note("%s did not start (see %s)", impl.c_str(), srv.log.c_str());
    return;
  }
  net::io_context ioc{1};
  auto now_ms = [] { return static_cast<std::uint64_t>(std::time(nullptr)) * 1000; };
  auto r = replica::create(crypto::random_bytes(32));
  if (!r) return note("join_secured: no replica");
  bytes space = crypto::random_bytes(16);
  if (!r.value()->found_space(space, crypto::random_bytes(16), "clerk", now_ms())) return note("join_secured: found failed");
  core_device clerk(std::move(*r));
  const std::uint64_t total = static_cast<std::uint64_t>(o.catchup_changes);
  const std::uint64_t rows = std::max<std::uint64_t>(1, total / 10);
  auto tf = clk::now();
  std::vector<bytes> ids;
  for (std::uint64_t i = 0; i < rows; ++i) ids.push_back(new_row_id());
  for (std::uint64_t i = 0; i < total; ++i) {
    // Edits shaped like the open case's (question_edit), on meetings: the
    // clerk does not draft questions (a panel rule every replica checks).
    std::uint64_t row = i % rows;
    std::string text = "Meeting " + std::to_string(row) + ", revision " + std::to_string(i / rows) +
                       ": what is the Commissioner doing about the rise in recorded crime this quarter?";
    auto c = clerk.rep->commit({op{op_kind::set, "meeting", ids[row], i % 2 ? "title" : "status",
                                   i % 2 ? value(text) : value(std::string("scheduled")), {}, {}}}, now_ms());
    if (!c) return note("join_secured: commit: %s", c.err().message.c_str());
  }
  double commit_s = std::chrono::duration<double>(clk::now() - tf).count();
  clerk.connect(ioc, port);
  // synced implies nothing pending (state() counts pending changes last, so
  // polling it stays cheap while pushes are in flight).
  run_until(ioc, [&] { return clerk.s->state() == sync_state::synced || !clerk.error.empty(); }, 300);
  std::string snap_at = std::to_string(clerk.rep->cursor());
  run_until(ioc, [&] { return clerk.rep->setting("sync.snapshot_cursor") == snap_at || !clerk.error.empty(); }, 120);
  note("join_secured: %llu sealed changes committed in %.1f s, stored and snapshotted in %.1f s%s%s",
       static_cast<unsigned long long>(clerk.rep->cursor()), commit_s,
       std::chrono::duration<double>(clk::now() - tf).count() - commit_s, clerk.error.empty() ? "" : "; error: ",
       clerk.error.c_str());
  if (clerk.rep->setting("sync.snapshot_cursor") != snap_at) return note("join_secured: the clerk did not upload its snapshot");

  const std::uint64_t snapshot_cursor = clerk.rep->cursor();
  auto join = [&](bool hide, const char* how) {
    if (!hide) {
      // The worst tail after a snapshot, as in the open case: with the invite
      // below, one change short of the next upload.
      std::uint64_t upto = snapshot_cursor + limits::snapshot_every_changes - 2;
      for (std::uint64_t i = 0; clerk.rep->cursor() + i < upto; ++i)
        if (!clerk.rep->commit({op{op_kind::set, "meeting", ids[i % rows], "status", std::string("held"), {}, {}}}, now_ms()))
          note("join_secured: tail commit failed");
      clerk.flush();
      run_until(ioc, [&] { return clerk.s->state() == sync_state::synced || !clerk.error.empty(); }, 120);
    }
    auto code = clerk.rep->create_invite(crypto::random_bytes(16), "member", now_ms());
    if (!code) { note("join_secured: invite: %s", code.err().message.c_str()); return std::make_pair(-1.0, std::uint64_t{0}); }
    clerk.flush();
    run_until(ioc, [&] { return clerk.s->state() == sync_state::synced || !clerk.error.empty(); }, 30);
    auto rr = replica::create(crypto::random_bytes(32));
    auto d = std::make_unique<core_device>(std::move(*rr));
    if (!d->rep->redeem_invite(*code, now_ms())) { note("join_secured: redeem failed"); return std::make_pair(-1.0, std::uint64_t{0}); }
    d->hide_snapshot = hide;
    std::uint64_t target = clerk.rep->cursor();
    auto t0 = clk::now();
    d->connect(ioc, port);
    run_until(ioc, [&] { return d->usable(target) || !d->error.empty() || d->c->failed; }, 300);
    double secs = std::chrono::duration<double>(clk::now() - t0).count();
    if (!d->error.empty()) note("join_secured (%s): %s", how, d->error.c_str());
    emit(cname, how, "seconds_to_usable", secs, "s");
    emit(cname, how, "changes_per_s", static_cast<double>(d->rep->cursor()) / secs, "1/s");
    if (!hide) {
      emit(cname, how, "snapshot_bytes", static_cast<double>(d->snapshot_total), "B");
      emit(cname, how, "tail_changes", static_cast<double>(d->rep->cursor() - snapshot_cursor), "count");
    }
    run_until(ioc, [&] { return (clerk.s->state() == sync_state::synced && d->usable(clerk.rep->cursor())) || !d->error.empty(); }, 30);
    if (d->rep->digest() != clerk.rep->digest()) note("join_secured (%s): the device and the clerk disagree", how);
    std::uint64_t used = d->rep->setting("sync.snapshot_cursor").empty() ? 0 : std::stoull(d->rep->setting("sync.snapshot_cursor"));
    d->c->drop();
    return std::make_pair(secs, used);
  };
  auto [full_s, full_used] = join(true, "full_pull");
  auto [snap_s, snap_used] = join(false, "snapshot");
  if (full_used != 0) note("join_secured: the full-pull device used a snapshot");
  if (snap_used != snapshot_cursor) note("join_secured: the snapshot device did not use the first snapshot");
  if (full_s > 0 && snap_s > 0) emit(cname, "snapshot", "speedup_vs_full_pull", full_s / snap_s, "x");
  clerk.c->drop();
  run_for(ioc, 0.2);
  srv.stop();
}

// ---------------------------------------------------------------- (e) hardening

// Fills `space` with `n` changes of `payload` bytes through one device (not measured).
bool fill_space(net::io_context& ioc, std::uint16_t port, const bytes& space, std::uint64_t n, int payload) {
  device w;
  w.key = crypto::signing_key::generate();
  w.space = space;
  w.connect(ioc, port);
  if (!run_until(ioc, [&] { return w.ready || !w.error.empty(); }, 10)) return false;
  auto tf = clk::now();
  while (w.acked < n && w.error.empty() && clk::now() - tf < std::chrono::seconds(180)) {
    // As many as fit one frame (an envelope is its payload plus ~200 bytes).
    std::uint64_t fit = (limits::max_frame_bytes - 1024) / (static_cast<std::uint64_t>(payload) + 200);
    w.push(payload, std::min<std::uint64_t>({limits::max_push_envelopes, fit, n - w.seq}));
    run_until(ioc, [&] { return !w.push_in_flight || !w.error.empty(); }, 30);
  }
  w.c->drop();
  run_for(ioc, 0.05);
  return w.acked >= n;
}

// A member who pushes one small change at a time and times each ack, and a
// prober that times /healthz, while `load` runs (hostile or stalled clients).
struct member_probe {
  std::vector<std::uint32_t> ack_us, health_us;
  void run(net::io_context& ioc, std::uint16_t port, double seconds, const std::function<void()>& load,
           const std::function<bool()>& done = nullptr) {
    device m;
    m.key = crypto::signing_key::generate();
    m.space = crypto::random_bytes(16);
    m.connect(ioc, port);
    run_until(ioc, [&] { return m.ready || !m.error.empty(); }, 10);
    auto end = clk::now() + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(seconds));
    auto next_health = clk::now();
    while (clk::now() < end && m.error.empty() && !(done && done())) {
      if (load) load();
      if (!m.push_in_flight) {
        auto t0 = now_ns();
        m.push(64);
        run_until(ioc, [&] { return !m.push_in_flight || !m.error.empty(); }, 5);
        ack_us.push_back(static_cast<std::uint32_t>((now_ns() - t0) / 1000));
      }
      if (clk::now() >= next_health) {
        auto t0 = now_ns();
        http_get(port, "/healthz");
        health_us.push_back(static_cast<std::uint32_t>((now_ns() - t0) / 1000));
        next_health = clk::now() + std::chrono::milliseconds(20);
      }
      run_for(ioc, 0.01);
    }
    if (!m.error.empty()) note("member: %s", m.error.c_str());
    m.c->drop();
    run_for(ioc, 0.1);  // its handlers end before `m` does
  }
};

// Four hostile clients send the worst frames they can in a loop (two before
// auth: 64 KiB + 1 of nils, the most a stranger may send; two after auth: a
// 1 MiB array of nils, the tree the decoder used to build), while a member syncs.
void case_hostile(const options& o, const std::string& impl, const std::string& bin, std::vector<std::string> args) {
  if (!is_packline(impl)) return;
  child srv;
  std::uint16_t port = free_port();
  if (!srv.start(bin, args, port, o.tmp + "/" + impl + "-hostile.log")) {
    note("%s did not start (see %s)", impl.c_str(), srv.log.c_str());
    return;
  }
  net::io_context ioc{1};
  auto nils = [](std::size_t size) {
    bytes f(size, 0xc0);
    auto n = static_cast<std::uint32_t>(size - 5);
    f[0] = 0xdd;
    for (int i = 0; i < 4; ++i) f[1 + i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
    return std::make_shared<const bytes>(std::move(f));
  };
  auto pre = nils(limits::max_preauth_frame_bytes + 1), post = nils(limits::max_frame_bytes);
  std::vector<std::unique_ptr<device>> bad(4);
  std::vector<std::unique_ptr<device>> done;  // their connections may still run a handler
  std::uint64_t sent = 0;
  auto respawn = [&] {
    for (std::size_t i = 0; i < bad.size(); ++i) {
      auto& d = bad[i];
      bool after_auth = i >= 2;
      if (d && d->error.empty() && !d->c->failed) {
        if (after_auth && d->ready && !d->push_in_flight) {
          d->push_in_flight = true;  // the frame is out until the server answers it
          d->c->send(post);
          ++sent;
        }
        continue;
      }
      if (d) {
        d->c->drop();
        done.push_back(std::move(d));
      }
      d = std::make_unique<device>();
      d->key = crypto::signing_key::generate();
      d->space = crypto::random_bytes(16);
      if (after_auth) {
        d->connect(ioc, port);
      } else {
        d->c = std::make_shared<conn>(ioc);
        d->c->on_open = [&pre, &sent](conn& cn) { cn.send(pre); ++sent; };
        d->c->on_fail = [dp = d.get()](conn&, const std::string& why) { dp->error = why; };
        d->c->on_frame = [dp = d.get()](conn&, const std::uint8_t*, std::size_t) { dp->error = "answered"; };
        d->c->start(port, "/sync");
      }
    }
  };
  member_probe quiet, loud;
  quiet.run(ioc, port, o.seconds / 2, nullptr);
  loud.run(ioc, port, o.seconds / 2, respawn);
  for (auto& d : bad) if (d && d->c) d->c->drop();
  auto q_ack = summarize(quiet.ack_us), q_h = summarize(quiet.health_us);
  auto l_ack = summarize(loud.ack_us), l_h = summarize(loud.health_us);
  emit("hostile_4", "quiet", "member_ack_p99", q_ack.p99, "ms");
  emit("hostile_4", "quiet", "healthz_p99", q_h.p99, "ms");
  emit("hostile_4", "hostile", "member_ack_p99", l_ack.p99, "ms");
  emit("hostile_4", "hostile", "healthz_p99", l_h.p99, "ms");
  emit("hostile_4", "hostile", "hostile_frames_sent", static_cast<double>(sent), "count");
  emit("hostile_4", "hostile", "server_rss", srv.rss_mib(), "MiB");
  run_for(ioc, 0.2);
  srv.stop();
}

// Auth in a space of catchup_changes changes against auth in an empty space,
// after a restart (the first session of a space reads its membership once).
void case_auth_big(const options& o, const std::string& impl, const std::string& bin, std::vector<std::string> args) {
  if (!is_packline(impl)) return;
  const std::string cname = "auth_" + std::to_string(o.catchup_changes);
  child srv;
  std::uint16_t port = free_port();
  if (!srv.start(bin, args, port, o.tmp + "/" + impl + "-auth.log")) {
    note("%s did not start (see %s)", impl.c_str(), srv.log.c_str());
    return;
  }
  net::io_context ioc{1};
  bytes big = crypto::random_bytes(16), empty = crypto::random_bytes(16);
  if (!fill_space(ioc, port, big, static_cast<std::uint64_t>(o.catchup_changes), o.payload_bytes)) {
    note("auth: fill failed");
    return;
  }
  srv.stop();
  if (!srv.start(bin, args, port, o.tmp + "/" + impl + "-auth2.log")) { note("auth: restart failed"); return; }
  auto auth_ms = [&](const bytes& space) {
    device d;
    d.key = crypto::signing_key::generate();
    d.space = space;
    auto t0 = now_ns();
    d.connect(ioc, port);
    run_until(ioc, [&] { return d.ready || !d.error.empty(); }, 30);
    double ms = (now_ns() - t0) / 1e6;
    d.c->drop();
    run_for(ioc, 0.01);
    return ms;
  };
  double first_big = auth_ms(big);
  std::vector<double> e, b;
  for (int i = 0; i < 30; ++i) {
    e.push_back(auth_ms(empty));
    b.push_back(auth_ms(big));
  }
  std::sort(e.begin(), e.end());
  std::sort(b.begin(), b.end());
  emit(cname, impl, "auth_empty_space_median", e[e.size() / 2], "ms");
  emit(cname, impl, "auth_big_space_median", b[b.size() / 2], "ms");
  emit(cname, impl, "auth_big_space_first_after_start", first_big, "ms");
  emit(cname, impl, "big_over_empty", b[b.size() / 2] / e[e.size() / 2], "x");
  srv.stop();
}

// idle_conns sessions each send pulls and never read, in a space whose
// pages are full frames; the server's RSS, what it shed, and a member who
// keeps syncing meanwhile. Then RSS once they are gone.
void case_stalled(const options& o, const std::string& impl, const std::string& bin, std::vector<std::string> args) {
  if (!is_packline(impl)) return;
  const std::string cname = "stalled_" + std::to_string(o.idle_conns);
  child srv;
  std::uint16_t port = free_port();
  if (!srv.start(bin, args, port, o.tmp + "/" + impl + "-stalled.log")) {
    note("%s did not start (see %s)", impl.c_str(), srv.log.c_str());
    return;
  }
  net::io_context ioc{1};
  bytes space = crypto::random_bytes(16);
  // 4 MiB of history in changes of 4 KiB: every pull answer is a 1 MiB frame.
  if (!fill_space(ioc, port, space, 1024, 4096)) { note("stalled: fill failed"); return; }
  double rss0 = srv.rss_mib();
  std::vector<std::unique_ptr<device>> devs;
  int started = 0;
  double peak = 0;
  auto t0 = clk::now();
  auto add_some = [&] {
    int ready = 0, failed = 0;
    for (auto& d : devs) ready += d->ready, failed += !d->error.empty();
    while (started < o.idle_conns && started - ready - failed < 256) {
      auto d = std::make_unique<device>();
      d->key = crypto::signing_key::generate();
      d->space = space;
      d->c = std::make_shared<conn>(ioc);
      d->c->rcvbuf = 4096;
      auto* dp = d.get();
      d->c->on_open = [dp](conn& cn) {
        cn.send(codec::encode(proto::hello{limits::protocol_version, dp->key.public_key(), dp->space}));
      };
      d->c->on_frame = [dp](conn& cn, const std::uint8_t* f, std::size_t n) {
        auto m = codec::decode(f, n);
        if (!m) return;
        if (auto* ch = std::get_if<proto::challenge>(&*m)) {
          cn.send(codec::encode(proto::auth{dp->key.sign(proto::auth_transcript(ch->nonce, ch->space))}));
        } else if (std::get_if<proto::welcome>(&*m)) {
          dp->ready = true;
          cn.stop_reading = true;  // from here on it never reads
          for (int k = 0; k < 4; ++k) cn.send(codec::encode(proto::pull{0, limits::max_pull_changes}));
        }
      };
      d->c->on_fail = [dp](conn&, const std::string& why) { if (dp->error.empty()) dp->error = why; };
      d->c->start(port, "/sync");
      devs.push_back(std::move(d));
      ++started;
    }
    peak = std::max(peak, srv.rss_mib());
  };
  member_probe probe;
  // Until every stalled session has come and been answered (or refused),
  // then `seconds` more; 120 s at most.
  std::optional<clk::time_point> all_in;
  probe.run(ioc, port, 120, [&] {
    if (started < o.idle_conns) add_some();
    else peak = std::max(peak, srv.rss_mib());
  }, [&] {
    if (started < o.idle_conns) return false;
    if (!all_in) all_in = clk::now();
    return clk::now() - *all_in > std::chrono::duration<double>(o.seconds);
  });
  int ready = 0;
  for (auto& d : devs) ready += d->ready;
  auto m = http_get(port, "/metrics").second;
  auto ack = summarize(probe.ack_us);
  emit(cname, impl, "stalled_sessions_authenticated", ready, "count");
  emit(cname, impl, "seconds_to_open", std::chrono::duration<double>(clk::now() - t0).count(), "s");
  emit(cname, impl, "server_rss_before", rss0, "MiB");
  emit(cname, impl, "server_rss_peak", peak, "MiB");
  emit(cname, impl, "sessions_shed", metric_value(m, "packline_sessions_shed_total"), "count");
  emit(cname, impl, "outbound_queue_bytes", metric_value(m, "packline_outbound_queue_bytes"), "B");
  emit(cname, impl, "member_acks", static_cast<double>(probe.ack_us.size()), "count");
  emit(cname, impl, "member_ack_p99", ack.p99, "ms");
  for (auto& d : devs) d->c->drop();
  run_for(ioc, 3.0);
  emit(cname, impl, "server_rss_after_close", srv.rss_mib(), "MiB");
  srv.stop();
}

std::string usage() {
  return "usage: load_gen --server-bin PATH --echo-bin PATH [--tmp DIR] [--cases idle,fanout,catchup,join,join_secured,hostile,auth_big,stalled]\n"
         "                [--impls packline,beast-echo] [--idle-conns N] [--spaces N] [--members N]\n"
         "                [--push-rate N] [--seconds S] [--catchup-changes N] [--server-arg ARG]...\n"
         "                [--before-bin PATH (an older packline-server, measured as packline-before)]\n";
}

std::set<std::string> split(const std::string& s) {
  std::set<std::string> out;
  std::stringstream ss(s);
  std::string t;
  while (std::getline(ss, t, ',')) if (!t.empty()) out.insert(t);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) { std::fputs(usage().c_str(), stderr); std::exit(2); }
      return argv[++i];
    };
    if (a == "--server-bin") o.server_bin = val();
    else if (a == "--echo-bin") o.echo_bin = val();
    else if (a == "--before-bin") { o.before_bin = val(); o.impls.insert("packline-before"); }
    else if (a == "--tmp") o.tmp = val();
    else if (a == "--cases") o.cases = split(val());
    else if (a == "--impls") o.impls = split(val());
    else if (a == "--idle-conns") o.idle_conns = std::stoi(val());
    else if (a == "--spaces") o.spaces = std::stoi(val());
    else if (a == "--members") o.members = std::stoi(val());
    else if (a == "--push-rate") o.push_rate = std::stod(val());
    else if (a == "--seconds") o.seconds = std::stod(val());
    else if (a == "--catchup-changes") o.catchup_changes = std::stoi(val());
    else if (a == "--server-arg") o.server_args.push_back(val());
    else { std::fputs(usage().c_str(), stderr); return 2; }
  }
  // Bounds: everything here is loopback and finite; this is the backstop.
  o.idle_conns = std::clamp(o.idle_conns, 1, 12000);
  o.spaces = std::clamp(o.spaces, 1, 1000);
  o.members = std::clamp(o.members, 2, 64);
  o.seconds = std::clamp(o.seconds, 1.0, 60.0);
  o.catchup_changes = std::clamp(o.catchup_changes, 1, 200000);
  alarm(900);
  signal(SIGPIPE, SIG_IGN);

  // Both sides need a descriptor per connection; the servers inherit this.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < static_cast<rlim_t>(o.idle_conns) + 100) {
      note("RLIMIT_NOFILE is %llu; idle case limited to it", static_cast<unsigned long long>(rl.rlim_cur));
      o.idle_conns = static_cast<int>(rl.rlim_cur) - 100;
    }
  }
  if (!crypto::init().ok()) return 1;
  std::filesystem::create_directories(o.tmp);

  for (const std::string c : {"idle", "fanout", "catchup", "join", "join_secured", "hostile", "auth_big", "stalled"}) {
    if (!o.cases.count(c)) continue;
    for (const std::string impl : {"packline-before", "packline", "beast-echo"}) {
      if (!o.impls.count(impl)) continue;
      std::string bin = impl == "packline" ? o.server_bin : impl == "beast-echo" ? o.echo_bin : o.before_bin;
      std::vector<std::string> args;  // child::start adds --port
      if (is_packline(impl)) {
        std::string data = o.tmp + "/data-" + c;
        std::filesystem::remove_all(data);
        args = {"--data", data, "--log-level", "warn"};
        for (auto& a : o.server_args) args.push_back(a);
      }
      if (c == "idle") case_idle(o, impl, bin, args);
      if (c == "fanout") case_fanout(o, impl, bin, args);
      if (c == "catchup") case_catchup(o, impl, bin, args);
      if (c == "join") case_join(o, impl, bin, args);
      if (c == "join_secured") case_join_secured(o, impl, bin, args);
      if (c == "hostile") case_hostile(o, impl, bin, args);
      if (c == "auth_big") case_auth_big(o, impl, bin, args);
      if (c == "stalled") case_stalled(o, impl, bin, args);
    }
  }
  return 0;
}
