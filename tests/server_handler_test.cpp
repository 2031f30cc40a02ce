// sync_handler and hub: the server's side of schema/PROTOCOL.md without any
// networking. Frames go in and out as bytes; the store is a real sqlite_store
// in a temp folder (or a failing fake, for the storage error path).
#include <doctest/doctest.h>

#include <chrono>

#include "hub.hpp"
#include "packline/wire/codec.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/base/limits.hpp"
#include "sqlite_store.hpp"
#include "support/handler_frames.hpp"
#include "support/server_process.hpp"
#include "sync_handler.hpp"

using namespace packline;
using namespace packline::server;
using packline::test::as;
using packline::test::error_of;

namespace {

struct fixture {
  test::temp_dir tmp;
  std::unique_ptr<sqlite_store> db;
  metrics stats;
  bytes default_space = bytes(16, 0x5a);
  fixture() {
    REQUIRE(crypto::init().ok());
    auto s = sqlite_store::open(tmp.sub("data"));
    REQUIRE(s.ok());
    db = std::move(s.value());
  }
  sync_handler session(const std::string& name = "test") { return sync_handler(*db, stats, default_space, name); }
};

struct device {
  crypto::signing_key key = crypto::signing_key::generate();
  std::uint64_t next_seq = 1;
  bytes id() const { return key.public_key(); }

  envelope make(const bytes& space, const std::string& body, std::size_t pad = 0) {
    change_body b;
    b.hlc = hlc_timestamp{1000 + next_seq, 0};
    b.ops.push_back(op{op_kind::set, "question", bytes(16, 1), "target", body + std::string(pad, 'x')});
    envelope e;
    e.space = space;
    e.seq = next_seq++;
    e.payload = codec::encode_body(b);
    crypto::sign_envelope(e, key);
    return e;
  }

  // Runs hello/challenge/auth; returns the welcome.
  proto::welcome handshake(sync_handler& h, const bytes& space = {}) {
    auto c = h.on_frame(codec::encode(proto::hello{limits::protocol_version, id(), space}));
    REQUIRE_FALSE(c.close);
    auto ch = as<proto::challenge>(c.frames.at(0));
    CHECK(ch.nonce.size() == 32);
    auto w = h.on_frame(codec::encode(proto::auth{key.sign(proto::auth_transcript(ch.nonce, ch.space))}));
    REQUIRE_FALSE(w.close);
    CHECK(w.joined);
    CHECK(h.authenticated());
    return as<proto::welcome>(w.frames.at(0));
  }
};

bytes push_of(const std::vector<envelope>& envs) {
  proto::push p;
  for (const auto& e : envs) p.envelopes.push_back(codec::encode_envelope(e));
  return codec::encode(p);
}

// A store whose writes fail: the storage error path (error 9, no close).
struct failing_store final : store {
  result<std::vector<appended>> append(const bytes&, const std::vector<incoming_change>&) override {
    return make_error(errc::storage, "disk full");
  }
  result<page> changes_since(const bytes&, std::uint64_t, std::uint32_t, std::size_t) override {
    return make_error(errc::storage, "disk full");
  }
  result<std::uint64_t> cursor(const bytes&) override { return std::uint64_t{0}; }
  result<bytes> ensure_default_space(const bytes& c) override { return c; }
  result<snapshot_progress> put_snapshot_chunk(const bytes&, const bytes&, std::uint64_t, std::uint64_t,
                                               std::uint64_t, const bytes&, std::size_t) override {
    return make_error(errc::storage, "disk full");
  }
  result<snapshot_chunk> read_snapshot(const bytes&, std::uint64_t, std::uint64_t, std::size_t) override {
    return make_error(errc::storage, "disk full");
  }
  result<void> put_lease(const bytes&, const bytes&, const bytes&) override { return make_error(errc::storage, "disk full"); }
  result<bytes> lease(const bytes&, const bytes&) override { return make_error(errc::storage, "disk full"); }
};

}  // namespace

TEST_CASE("server handler: hello, challenge, auth, welcome with the default space") {
  fixture f;
  auto h = f.session();
  device d;
  auto w = d.handshake(h);
  CHECK(w.space == f.default_space);
  CHECK(w.cursor == 0);
  CHECK(h.space() == f.default_space);
  CHECK(h.device() == d.id());

  // An explicit space is served as asked.
  auto h2 = f.session();
  bytes other(16, 0x11);
  CHECK(d.handshake(h2, other).space == other);
  CHECK(f.stats.authenticated_total == 2);
}

TEST_CASE("server handler: welcome carries the server's time from v4 on, so a device learns its clock is off") {
  fixture f;
  device d;
  auto welcome_at = [&](std::uint32_t version) {
    auto h = f.session();
    auto c = h.on_frame(codec::encode(proto::hello{version, d.id(), {}}));
    auto ch = as<proto::challenge>(c.frames.at(0));
    auto w = h.on_frame(codec::encode(proto::auth{d.key.sign(proto::auth_transcript(ch.nonce, ch.space))}));
    return as<proto::welcome>(w.frames.at(0));
  };
  using namespace std::chrono;
  auto now = static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  auto w4 = welcome_at(4);
  REQUIRE(w4.time.has_value());
  CHECK(*w4.time + 60'000 > now);
  CHECK(*w4.time < now + 60'000);
  CHECK(w4.snapshot.has_value());
  CHECK_FALSE(welcome_at(3).time.has_value());  // older tablets get the welcome they decode
  CHECK_FALSE(welcome_at(2).time.has_value());
}

TEST_CASE("server handler: unsupported version is error 8 and a close") {
  fixture f;
  auto h = f.session();
  device d;
  auto r = h.on_frame(codec::encode(proto::hello{limits::protocol_version + 1, d.id(), {}}));
  CHECK(error_of(r) == 8);
  CHECK(r.close);
  CHECK(f.stats.errors(8) == 1);
}

TEST_CASE("server handler: order is enforced (bad_state) and auth is checked (auth_failed)") {
  fixture f;
  device d;
  {
    auto h = f.session();
    auto r = h.on_frame(push_of({d.make(f.default_space, "early")}));
    CHECK(error_of(r) == 3);
    CHECK(r.close);
  }
  {
    auto h = f.session();
    auto r = h.on_frame(codec::encode(proto::pull{0, 10}));
    CHECK(error_of(r) == 3);
  }
  {
    auto h = f.session();
    auto r = h.on_frame(codec::encode(proto::auth{bytes(64, 0)}));
    CHECK(error_of(r) == 3);
  }
  {
    auto h = f.session();
    auto c = h.on_frame(codec::encode(proto::hello{limits::protocol_version, d.id(), {}}));
    auto ch = as<proto::challenge>(c.frames.at(0));
    device impostor;
    auto r = h.on_frame(codec::encode(proto::auth{impostor.key.sign(proto::auth_transcript(ch.nonce, ch.space))}));
    CHECK(error_of(r) == 4);
    CHECK(r.close);
    CHECK_FALSE(h.authenticated());
  }
  {
    auto h = f.session();
    d.handshake(h);
    auto r = h.on_frame(codec::encode(proto::hello{limits::protocol_version, d.id(), {}}));
    CHECK(error_of(r) == 3);
    // Server-to-client messages are refused from a client.
    auto h2 = f.session();
    d.handshake(h2);
    auto n = h2.on_frame(codec::encode(proto::notify{5}));
    CHECK(error_of(n) == 3);
  }
}

TEST_CASE("server handler: malformed and text frames get error 1 and a close") {
  fixture f;
  auto h = f.session();
  const std::uint8_t junk[] = {0xc1, 0x00, 0xff};
  auto r = h.on_frame(junk, sizeof junk);
  CHECK(error_of(r) == 1);
  CHECK(r.close);
  auto t = f.session().on_text_frame();
  CHECK(error_of(t) == 1);
  CHECK(t.close);
  auto e = f.session().on_frame(nullptr, 0);
  CHECK(error_of(e) == 1);
}

TEST_CASE("server handler: acks only after durable store; replay acked with the stored server_seq") {
  fixture f;
  auto h = f.session();
  device d;
  d.handshake(h);
  auto e1 = d.make(f.default_space, "one");
  auto e2 = d.make(f.default_space, "two");
  auto r = h.on_frame(push_of({e1, e2}));
  REQUIRE_FALSE(r.close);
  auto ack = as<proto::ack>(r.frames.at(0));
  REQUIRE(ack.entries.size() == 2);
  CHECK(ack.entries[0].actor == d.id());
  CHECK(ack.entries[0].seq == 1);
  CHECK(ack.entries[0].server_seq == 1);
  CHECK(ack.entries[1].server_seq == 2);
  CHECK(r.published == 2);
  REQUIRE(r.live);
  auto live = as<proto::live>(*r.live);
  CHECK(live.prev == 0);
  REQUIRE(live.items.size() == 2);
  CHECK(live.items[1].server_seq == 2);
  CHECK(live.items[1].envelope == codec::encode_envelope(e2));
  // The ack came after the store had it: a fresh connection to the same file sees it.
  {
    auto other = sqlite_store::open(f.tmp.sub("data"));
    REQUIRE(other.ok());
    CHECK(other.value()->cursor(f.default_space).value() == 2);
  }

  // Replay (e.g. the ack was lost): same server_seq, nothing new published.
  auto e3 = d.make(f.default_space, "three");
  auto again = h.on_frame(push_of({e2, e3}));
  auto ack2 = as<proto::ack>(again.frames.at(0));
  CHECK(ack2.entries[0].server_seq == 2);
  CHECK(ack2.entries[1].server_seq == 3);
  CHECK(again.published == 3);
  auto only_replay = h.on_frame(push_of({e1}));
  CHECK(as<proto::ack>(only_replay.frames.at(0)).entries[0].server_seq == 1);
  CHECK(only_replay.published == 0);
  CHECK(f.stats.changes_in == 3);
  CHECK(f.stats.changes_replayed == 2);

  // A new session sees the cursor in its welcome and pulls everything back.
  auto h2 = f.session();
  device d2;
  CHECK(d2.handshake(h2).cursor == 3);
  auto pulled = as<proto::changes>(h2.on_frame(codec::encode(proto::pull{0, 100})).frames.at(0));
  REQUIRE(pulled.items.size() == 3);
  CHECK(pulled.items[0].envelope == codec::encode_envelope(e1));
  CHECK(pulled.next == 3);
  CHECK_FALSE(pulled.more);
  CHECK(f.stats.changes_out == 3);
}

TEST_CASE("server handler: wrong space (6), other actor (7) and forged signature (5) store nothing") {
  fixture f;
  auto check_refused = [&](const envelope& bad, std::uint32_t code) {
    auto h = f.session();
    device d;
    d.handshake(h);
    auto good = d.make(f.default_space, "fine");
    // The good envelope of the same push must not be stored either.
    auto r = h.on_frame(push_of({good, bad}));
    CHECK(error_of(r) == code);
    CHECK(r.close);
    CHECK(r.published == 0);
    CHECK(f.db->cursor(f.default_space).value() == 0);
  };
  device other;
  check_refused(other.make(f.default_space, "not mine"), 7);
  {
    // Signed by the session's device, but for another space.
    auto h = f.session();
    device d;
    d.handshake(h);
    auto r = h.on_frame(push_of({d.make(bytes(16, 0x77), "elsewhere")}));
    CHECK(error_of(r) == 6);
  }
  {
    auto h = f.session();
    device d;
    d.handshake(h);
    auto e = d.make(f.default_space, "forged");
    e.payload.back() ^= 1;  // content changed after signing
    auto r = h.on_frame(push_of({e}));
    CHECK(error_of(r) == 5);
    auto e2 = d.make(f.default_space, "forged sig");
    e2.signature[0] ^= 0x80;
    auto h2 = f.session();
    d.handshake(h2);
    CHECK(error_of(h2.on_frame(push_of({e2}))) == 5);
  }
  CHECK(f.stats.errors(5) == 2);
  CHECK(f.db->cursor(f.default_space).value() == 0);
}

TEST_CASE("server handler: storage failure is error 9 and the session stays open") {
  REQUIRE(crypto::init().ok());
  failing_store db;
  metrics stats;
  bytes space(16, 1);
  sync_handler h(db, stats, space, "t");
  device d;
  d.handshake(h);
  auto r = h.on_frame(push_of({d.make(space, "x")}));
  CHECK(error_of(r) == 9);
  CHECK_FALSE(r.close);
  CHECK(h.authenticated());
}

TEST_CASE("server handler: pull pages at max_pull_changes and within max_frame_bytes") {
  fixture f;
  auto h = f.session();
  device d;
  d.handshake(h);
  // 600 small changes in pushes of at most max_push_envelopes.
  std::size_t total = 600;
  while (d.next_seq <= total) {
    std::vector<envelope> batch;
    while (batch.size() < limits::max_push_envelopes && d.next_seq <= total) batch.push_back(d.make(f.default_space, "s"));
    auto r = h.on_frame(push_of(batch));
    REQUIRE_FALSE(r.close);
  }
  auto first = as<proto::changes>(h.on_frame(codec::encode(proto::pull{0, 100000})).frames.at(0));
  CHECK(first.items.size() == limits::max_pull_changes);
  CHECK(first.more);
  CHECK(first.next == limits::max_pull_changes);
  auto rest = as<proto::changes>(h.on_frame(codec::encode(proto::pull{first.next, 100000})).frames.at(0));
  CHECK(rest.items.size() == total - limits::max_pull_changes);
  CHECK_FALSE(rest.more);
  CHECK(rest.next == total);
  // max is honoured, and 0 still makes progress.
  CHECK(as<proto::changes>(h.on_frame(codec::encode(proto::pull{0, 7})).frames.at(0)).items.size() == 7);
  CHECK(as<proto::changes>(h.on_frame(codec::encode(proto::pull{0, 0})).frames.at(0)).items.size() == 1);

  // Big envelopes: the answer stops before the frame limit.
  fixture g;
  auto hb = g.session();
  device big;
  big.handshake(hb);
  for (int i = 0; i < 8; ++i) {
    auto e = big.make(g.default_space, "big", 190 * 1024);
    REQUIRE(codec::encode_envelope(e).size() <= limits::max_envelope_bytes);
    REQUIRE_FALSE(hb.on_frame(push_of({e})).close);
  }
  std::uint64_t since = 0;
  std::size_t seen = 0, frames = 0;
  for (bool more = true; more; ++frames) {
    auto r = hb.on_frame(codec::encode(proto::pull{since, 1000}));
    REQUIRE(r.frames.size() == 1);
    CHECK(r.frames[0].size() <= limits::max_frame_bytes);
    auto ch = as<proto::changes>(r.frames[0]);
    REQUIRE_FALSE(ch.items.empty());
    seen += ch.items.size();
    since = ch.next;
    more = ch.more;
  }
  CHECK(seen == 8);
  CHECK(frames >= 2);
}

TEST_CASE("server hub: live events reach every session of the space, and only it") {
  struct probe final : subscriber {
    std::vector<std::uint64_t> got;
    int rechecks = 0;
    void on_live(const live_event& e) override { got.push_back(e.last); }
    void on_keyring_changed() override { ++rechecks; }
  };
  hub_registry reg;
  bytes a(16, 1), b(16, 2);
  probe p1, p2, p3;
  auto ha = reg.get(a);
  auto ha2 = reg.get(a);
  CHECK(ha == ha2);
  auto hb = reg.get(b);
  ha->join(&p1);
  ha->join(&p2);
  hb->join(&p3);
  auto frame = std::make_shared<const bytes>(codec::encode(proto::live{8, {}}));
  CHECK(ha->publish(live_event{8, 9, frame}) == 2);
  CHECK(p1.got == std::vector<std::uint64_t>{9});  // the pusher too: its cursor stays contiguous
  CHECK(p2.got == std::vector<std::uint64_t>{9});
  CHECK(p3.got.empty());
  ha->keyring_changed();  // every session of the space re-checks its device
  CHECK(p1.rechecks == 1);
  CHECK(p2.rechecks == 1);
  CHECK(p3.rechecks == 0);
  CHECK(reg.spaces() == 2);
  hb->leave(&p3);
  hb.reset();
  CHECK(reg.spaces() == 1);  // the last session of b left
}
