// The real packline-server binary on 127.0.0.1 (a free port, a temp data
// folder), driven by native clients: packline::replica + packline::sync_session
// over a Beast WebSocket (support/). Each case starts its own server process.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "packline/panel/demo.hpp"
#include "packline/base/limits.hpp"
#include "support/server_process.hpp"
#include "support/sync_client.hpp"
#include "support/server_fixture.hpp"

using namespace packline;
using namespace packline::test;
using namespace std::chrono_literals;

namespace {




}  // namespace

TEST_CASE("server: /healthz answers ok and /metrics is Prometheus text") {
  server_fixture f;
  auto h = http_get("127.0.0.1", f.port(), "/healthz");
  CHECK(h.status == 200);
  CHECK(h.body == "ok");
  auto m = http_get("127.0.0.1", f.port(), "/metrics");
  CHECK(m.status == 200);
  CHECK(m.headers["content-type"].find("text/plain") == 0);
  CHECK(metric(m.body, "packline_connections") == 0);
  CHECK(m.body.find("packline_errors_total{code=\"5\"") != std::string::npos);
  CHECK(http_get("127.0.0.1", f.port(), "/sync").status == 426);
}

TEST_CASE("server: serves the built webapp with content types and cache policy") {
  temp_dir web;
  auto put = [&](const std::string& rel, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(web.sub(rel)).parent_path());
    std::ofstream(web.sub(rel)) << text;
  };
  put("index.html", "<!doctype html><title>Packline</title>");
  put("sw.js", "self.addEventListener('fetch', () => {});");
  put("manifest.webmanifest", "{}");
  put("core/packline_core.wasm", "wasm");
  put("core/packline_core.mjs", "export default 1;");
  put("assets/index-1a2b.js", "console.log(1)");
  server_fixture f({"--webapp", web.path()});

  auto idx = http_get("127.0.0.1", f.port(), "/");
  CHECK(idx.status == 200);
  CHECK(idx.body.find("Packline") != std::string::npos);
  CHECK(idx.headers["content-type"] == "text/html; charset=utf-8");
  CHECK(idx.headers["cache-control"] == "no-cache");
  auto sw = http_get("127.0.0.1", f.port(), "/sw.js");
  CHECK(sw.headers["content-type"] == "text/javascript; charset=utf-8");
  CHECK(sw.headers["cache-control"] == "no-cache");
  CHECK(http_get("127.0.0.1", f.port(), "/core/packline_core.wasm").headers["content-type"] == "application/wasm");
  CHECK(http_get("127.0.0.1", f.port(), "/core/packline_core.mjs").headers["content-type"] ==
        "text/javascript; charset=utf-8");
  CHECK(http_get("127.0.0.1", f.port(), "/manifest.webmanifest").headers["content-type"] ==
        "application/manifest+json");
  CHECK(http_get("127.0.0.1", f.port(), "/assets/index-1a2b.js").headers["cache-control"].find("immutable") !=
        std::string::npos);
  auto head = http_get("127.0.0.1", f.port(), "/index.html", "HEAD");
  CHECK(head.status == 200);
  CHECK(head.headers["content-length"] == std::to_string(idx.body.size()));
  CHECK(http_get("127.0.0.1", f.port(), "/meetings/123").body == idx.body);  // client-side route
  CHECK(http_get("127.0.0.1", f.port(), "/missing.js").status == 404);
  CHECK(http_get("127.0.0.1", f.port(), "/../../etc/passwd").status >= 400);
  CHECK(http_get("127.0.0.1", f.port(), "/%2e%2e/%2e%2e/etc/passwd").status >= 400);
}

TEST_CASE("server: two clients converge after offline edits") {
  server_fixture f({"--demo"});
  bytes space = demo::space_id();
  sync_client a(space), b(space);
  // Offline work on both tablets, including a conflicting edit of one row.
  auto qa = a.draft_question("How many PCSOs were recruited in Q2?");
  a.draft_question("What is the forecast overspend on overtime?");
  b.draft_question("When will the 101 call-handling target be met?");
  a.commit({op{op_kind::set, "question", qa, "status", std::string("submitted")}});
  b.commit({op{op_kind::set, "question", qa, "status", std::string("withdrawn")}});
  CHECK(a.rep().pending_count() == 3);
  CHECK(b.rep().pending_count() == 2);

  REQUIRE(a.connect(f.port()));
  REQUIRE(b.connect(f.port()));
  bool ok = sync_all({&a, &b});
  INFO(f.log());
  REQUIRE(ok);
  CHECK(a.errors().empty());
  CHECK(b.errors().empty());
  CHECK(a.rep().pending_count() == 0);
  CHECK(b.rep().pending_count() == 0);
  CHECK(a.rep().digest() == b.rep().digest());
  CHECK(a.rep().rows("question")->size() == 3);
  CHECK(a.rep().rows("member")->size() == 6);  // the demo panel came down too

  // Online now: a new draft by b reaches a through notify + pull.
  b.draft_question("Is the estates strategy on track?");
  REQUIRE(sync_all({&a, &b}));
  CHECK(a.rep().rows("question")->size() == 4);
  CHECK(a.rep().digest() == b.rep().digest());

  auto m = http_get("127.0.0.1", f.port(), "/metrics").body;
  CHECK(metric(m, "packline_connections") == 2);
  CHECK(metric(m, "packline_stored_changes_total") == 6);
  // Every auth, push and pull was timed.
  CHECK(metric(m, "packline_auth_seconds_count") == 2);
  CHECK(metric(m, "packline_push_seconds_count") >= 2);
  CHECK(metric(m, "packline_pull_seconds_count") >= 2);
  CHECK(metric(m, "packline_push_seconds_bucket{le=\"+Inf\"}") == metric(m, "packline_push_seconds_count"));
  a.disconnect();
  b.disconnect();
}

TEST_CASE("server: malformed frame gets error 1 and a close; another client keeps working") {
  server_fixture f;
  sync_client good;
  REQUIRE(good.connect(f.port()));
  REQUIRE(good.sync());

  raw_device bad;
  REQUIRE(bad.connect(f.port()));
  REQUIRE(bad.ws().send(bytes{0x93, 0xff, 0xc1, 0x00}));
  CHECK(expect_error(bad) == 1);
  CHECK(bad.wait_closed() == 1008);

  raw_device text;
  REQUIRE(text.connect(f.port()));
  REQUIRE(text.ws().send_text("hello?"));
  CHECK(expect_error(text) == 1);

  // An authenticated session that goes bad is cut too.
  raw_device later;
  REQUIRE(later.connect(f.port()));
  REQUIRE(later.handshake());
  REQUIRE(later.ws().send(bytes{0x91}));
  CHECK(expect_error(later) == 1);

  good.draft_question("still here?");
  REQUIRE(good.sync());
  CHECK(good.errors().empty());
  CHECK(good.acks().size() == 1);
  CHECK(http_get("127.0.0.1", f.port(), "/healthz").status == 200);
}

TEST_CASE("server: forged envelope signature is rejected with error 5") {
  server_fixture f;
  raw_device d;
  REQUIRE(d.connect(f.port()));
  auto w = d.handshake();
  REQUIRE(w);
  auto e = d.make_envelope(w->space, 1, "forged");
  e.signature[10] ^= 0x01;
  REQUIRE(d.send(proto::push{{d.encode(e)}}));
  CHECK(expect_error(d) == 5);
  CHECK(d.wait_closed() == 1008);

  // Nothing was stored: a new device sees an empty space.
  raw_device probe;
  REQUIRE(probe.connect(f.port()));
  auto w2 = probe.handshake();
  REQUIRE(w2);
  CHECK(w2->cursor == 0);
  auto m = http_get("127.0.0.1", f.port(), "/metrics").body;
  CHECK(m.find("packline_errors_total{code=\"5\",name=\"bad_signature\"} 1") != std::string::npos);
}

TEST_CASE("server: envelopes for another space (6) or by another device (7) are rejected") {
  server_fixture f;
  {
    raw_device d;
    REQUIRE(d.connect(f.port()));
    auto w = d.handshake();
    REQUIRE(w);
    REQUIRE(d.send(proto::push{{d.encode(d.make_envelope(bytes(16, 0x42), 1, "elsewhere"))}}));
    CHECK(expect_error(d) == 6);
  }
  {
    raw_device d, other;
    REQUIRE(d.connect(f.port()));
    auto w = d.handshake();
    REQUIRE(w);
    REQUIRE(d.send(proto::push{{other.encode(other.make_envelope(w->space, 1, "not mine"))}}));
    CHECK(expect_error(d) == 7);
  }
}

TEST_CASE("server: version, order and auth are enforced") {
  server_fixture f;
  {
    raw_device d;
    REQUIRE(d.connect(f.port()));
    REQUIRE(d.send(proto::hello{limits::protocol_version + 1, d.id(), {}}));
    CHECK(expect_error(d) == 8);
    CHECK(d.wait_closed() == 1008);
  }
  {
    raw_device d;
    REQUIRE(d.connect(f.port()));
    REQUIRE(d.send(proto::pull{0, 10}));
    CHECK(expect_error(d) == 3);
  }
  {
    raw_device d, impostor;
    REQUIRE(d.connect(f.port()));
    REQUIRE(d.send(proto::hello{limits::protocol_version, d.id(), {}}));
    auto c = d.next();
    auto* ch = get<proto::challenge>(c);
    REQUIRE(ch);
    REQUIRE(d.send(proto::auth{impostor.key().sign(proto::auth_transcript(ch->nonce, ch->space))}));
    CHECK(expect_error(d) == 4);
  }
}

TEST_CASE("server: a frame over max_frame_bytes gets error 2 and a close; others keep working") {
  server_fixture f;
  raw_device ok;
  REQUIRE(ok.connect(f.port()));
  REQUIRE(ok.handshake());

  raw_device big;
  REQUIRE(big.connect(f.port()));
  big.ws().send(bytes(limits::max_frame_bytes + 1, 0x90));
  CHECK(expect_error(big) == 2);  // told before the close, not just 1009
  int code = big.wait_closed();
  CHECK((code == 1008 || code == 0));  // 0: the socket ended while we still sent

  auto w = ok.send(proto::pull{0, 10});
  CHECK(w);
  auto m = ok.next();
  CHECK(get<proto::changes>(m));
}

TEST_CASE("server: acks only after durable store; SIGKILL between pushes loses no acknowledged change") {
  temp_dir tmp;
  REQUIRE(crypto::init().ok());
  auto srv = std::make_unique<server_process>(tmp.sub("data"), tmp.sub("server.log"));
  REQUIRE_MESSAGE(srv->start(), srv->error());

  // A raw device pushes one change per push and records each ack.
  raw_device d;
  REQUIRE(d.connect(srv->port()));
  auto w = d.handshake();
  REQUIRE(w);
  bytes space = w->space;
  std::map<std::uint64_t, std::uint64_t> acked;  // seq -> server_seq
  std::map<std::uint64_t, bytes> sent;
  std::uint64_t seq = 1;
  for (; seq <= 20; ++seq) {
    sent[seq] = d.encode(d.make_envelope(space, seq, "change " + std::to_string(seq)));
    REQUIRE(d.send(proto::push{{sent[seq]}}));
    auto m = d.next();
    auto* a = get<proto::ack>(m);
    REQUIRE(a);
    REQUIRE(a->entries.size() == 1);
    acked[seq] = a->entries[0].server_seq;
  }
  // Two clients that synced before the crash.
  sync_client a(space), b(space);
  a.draft_question("before the crash (a)");
  b.draft_question("before the crash (b)");
  REQUIRE(a.connect(srv->port()));
  REQUIRE(b.connect(srv->port()));
  REQUIRE(sync_all({&a, &b}));
  auto acked_a = a.acks();
  REQUIRE(acked_a.size() == 1);

  // One more push goes out, and the server dies before we read its answer.
  sent[seq] = d.encode(d.make_envelope(space, seq, "in flight"));
  REQUIRE(d.send(proto::push{{sent[seq]}}));
  srv->kill_hard();
  a.drop();
  b.drop();
  d.ws().drop();

  // Offline edits while the server is down.
  a.draft_question("while the server was down (a)");
  b.draft_question("while the server was down (b)");

  auto srv2 = std::make_unique<server_process>(tmp.sub("data"), tmp.sub("server.log"));
  REQUIRE_MESSAGE(srv2->start(), srv2->error());
  INFO(srv2->log());

  // Same default space after restart (it is persisted).
  raw_device d2;
  REQUIRE(d2.connect(srv2->port()));
  auto w2 = d2.handshake(space);
  REQUIRE(w2);
  CHECK(w2->cursor >= acked.size() + 2);

  // Every acknowledged change is still there under its server_seq.
  std::map<std::uint64_t, bytes> stored;  // server_seq -> envelope
  std::uint64_t since = 0;
  for (bool more = true; more;) {
    REQUIRE(d2.send(proto::pull{since, limits::max_pull_changes}));
    auto m = d2.next();
    auto* ch = get<proto::changes>(m);
    REQUIRE(ch);
    for (auto& it : ch->items) stored[it.server_seq] = it.envelope;
    since = ch->next;
    more = ch->more;
  }
  for (auto& [s, server_seq] : acked) {
    REQUIRE(stored.count(server_seq));
    CHECK(stored[server_seq] == sent[s]);
  }
  REQUIRE(stored.count(acked_a[0].server_seq));

  // Re-pushing everything (the client does not know what the crash took) is
  // idempotent: the same server_seq for what was stored, new ones otherwise.
  raw_device& same = d;  // the same device key
  REQUIRE(same.connect(srv2->port()));
  REQUIRE(same.handshake(space));
  proto::push again;
  for (auto& [s, env] : sent) again.envelopes.push_back(env);
  REQUIRE(same.send(again));
  auto m = same.next();
  auto* ack = get<proto::ack>(m);
  REQUIRE(ack);
  REQUIRE(ack->entries.size() == sent.size());
  for (auto& e : ack->entries)
    if (acked.count(e.seq)) CHECK(e.server_seq == acked[e.seq]);

  // Both clients reconnect and converge, with their offline edits.
  REQUIRE(a.connect(srv2->port()));
  REQUIRE(b.connect(srv2->port()));
  REQUIRE(sync_all({&a, &b}));
  CHECK(a.rep().pending_count() == 0);
  CHECK(b.rep().pending_count() == 0);
  CHECK(a.rep().digest() == b.rep().digest());
  CHECK(a.rep().rows("question")->size() == 4 + sent.size());

  // A brand-new device pulls the same state.
  sync_client c(space);
  REQUIRE(c.connect(srv2->port()));
  REQUIRE(c.sync());
  CHECK(c.rep().digest() == a.rep().digest());
}

TEST_CASE("server: SIGTERM closes sessions with going-away and exits 0") {
  server_fixture f;
  raw_device d;
  REQUIRE(d.connect(f.port()));
  REQUIRE(d.handshake());
  raw_device idle;  // connected, never authenticated
  REQUIRE(idle.connect(f.port()));
  int rc = f.srv->terminate();
  CHECK(rc == 0);
  CHECK(d.wait_closed() == 1001);
  CHECK(f.log().find("msg=\"stopped\"") != std::string::npos);
}

namespace {

// `n` questions with bodies long enough that the panel's snapshot spans
// several max_snapshot_chunk chunks.
void write_questions(sync_client& c, std::size_t n, const std::string& tag) {
  for (std::size_t i = 0; i < n; ++i) {
    bytes q = new_row_id();
    c.commit({op{op_kind::set, "question", q, "target", tag + std::to_string(i) + std::string(600, 'x')},
              op{op_kind::set, "question", q, "status", std::string("draft")}});
  }
}

bool has_error(const sync_client& c, const std::string& part) {
  for (auto& e : c.errors())
    if (e.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("server: a new device starts from a snapshot in chunks, pulls the tail, converges and keeps writing") {
  server_fixture f;
  INFO(f.log());
  sync_client a;
  REQUIRE(a.connect(f.port()));
  REQUIRE(a.sync());
  const std::size_t history = 2 * limits::snapshot_every_changes + 500;
  write_questions(a, history, "before ");
  REQUIRE(a.sync(60s));
  // Caught up past snapshot_every_changes: a uploaded its snapshot.
  CHECK(a.rep().cursor() == history);
  CHECK(a.rep().setting("sync.snapshot_cursor") == std::to_string(history));
  CHECK(metric(http_get("127.0.0.1", f.port(), "/metrics").body, "packline_snapshots_stored_total") == 1);
  write_questions(a, 300, "tail ");  // after the snapshot
  REQUIRE(a.sync());

  sync_client b;
  REQUIRE(b.connect(f.port()));
  std::vector<transfer_progress> seen;
  for (int i = 0; i < 200 && b.connected(); ++i) {
    b.step(100ms);
    auto p = b.session().snapshot_progress();
    if (p && p->total > 0 && (seen.empty() || seen.back().received != p->received)) seen.push_back(*p);
    if (!p && !seen.empty()) break;  // loaded
  }
  // Several chunks, progress rising, never past the total.
  REQUIRE(seen.size() >= 3);
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i - 1].received < seen[i].received);
  CHECK(seen.back().received < seen.back().total);  // the last chunk completes it (then no progress)
  REQUIRE(b.sync());
  CHECK(b.errors().empty());
  CHECK(b.rep().cursor() == a.rep().cursor());
  CHECK(b.rep().digest() == a.rep().digest());
  CHECK(b.rep().rows("question")->size() == history + 300);
  // The new device writes on top and both converge.
  b.draft_question("written after the snapshot");
  REQUIRE(sync_all({&a, &b}));
  CHECK(b.rep().digest() == a.rep().digest());
  CHECK(a.rep().rows("question")->size() == history + 301);

  // A damaged snapshot becomes the newest: a new device reports it and
  // pulls the whole history instead, ending in the same state.
  raw_device bad;
  REQUIRE(bad.connect(f.port()));
  auto w = bad.handshake();
  REQUIRE(w);
  REQUIRE(bad.send(proto::snapshot_put{w->cursor, 1000, 0, bytes(1000, 0x5a)}));
  auto ack = bad.next();
  REQUIRE(get<proto::snapshot_ack>(ack));
  CHECK(get<proto::snapshot_ack>(ack)->complete);
  sync_client c;
  REQUIRE(c.connect(f.port()));
  REQUIRE(c.sync(60s));
  CHECK(has_error(c, "snapshot"));
  CHECK(c.errors().size() == 1);
  CHECK(c.rep().digest() == a.rep().digest());
}

TEST_CASE("server: a secured panel's sealed snapshot starts an invited tablet; the server stores ciphertext only") {
  server_fixture f;
  INFO(f.log());
  // The clerk founds the panel and writes a year of meetings.
  sync_client a;
  bytes space = crypto::random_bytes(16);
  bytes clerk = new_row_id();
  REQUIRE(a.rep().found_space(space, clerk, "clerk", wall_ms()).ok());
  REQUIRE(a.connect(f.port()));
  REQUIRE(a.sync());
  REQUIRE(a.rep().secured());
  const std::size_t history = limits::snapshot_every_changes + 300;
  for (std::size_t i = 0; i < history; ++i)
    a.commit({op{op_kind::set, "meeting", new_row_id(), "title", "MARKER-MEETING-" + std::to_string(i) + std::string(300, 'm')}});
  REQUIRE(a.sync(60s));
  REQUIRE(a.errors().empty());
  // Caught up past snapshot_every_changes (its own changes came back live):
  // it uploaded one snapshot, sealed.
  std::string snap_at = a.rep().setting("sync.snapshot_cursor");
  REQUIRE_FALSE(snap_at.empty());
  CHECK(std::stoull(snap_at) >= limits::snapshot_every_changes);
  auto m0 = http_get("127.0.0.1", f.port(), "/metrics").body;
  CHECK(metric(m0, "packline_snapshots_stored_total") == 1);

  // A member's new tablet redeems an invite while the clerk is online.
  bytes member = new_row_id();
  auto code = a.rep().create_invite(member, "member", wall_ms());
  REQUIRE(code.ok());
  a.flush();
  REQUIRE(a.sync());
  sync_client b;
  REQUIRE(b.rep().redeem_invite(*code, wall_ms()).ok());
  REQUIRE(b.connect(f.port()));
  REQUIRE(sync_all({&a, &b}, 60s));
  CHECK_MESSAGE(b.errors().empty(), b.errors().front());
  CHECK(b.rep().setting("sync.snapshot_cursor") == snap_at);  // it started from the snapshot
  auto m1 = http_get("127.0.0.1", f.port(), "/metrics").body;
  std::uint64_t pulled = metric(m1, "packline_sent_changes_total") - metric(m0, "packline_sent_changes_total");
  CHECK(pulled < 100);  // the tail after the snapshot, not the history
  CHECK(b.rep().secured());
  CHECK(b.rep().cursor() == a.rep().cursor());
  CHECK(b.rep().rows("meeting")->size() == history);
  CHECK(b.rep().digest() == a.rep().digest());

  // The tablet keeps writing, sealed; both converge; nobody uploads again at
  // the same threshold (b started from it, a made it).
  bytes q = new_row_id();
  b.commit({op{op_kind::set, "question", q, "author", member}, op{op_kind::set, "question", q, "target", std::string("MARKER-QUESTION")},
            op{op_kind::set, "question", q, "status", std::string("draft")}});
  REQUIRE(sync_all({&a, &b}));
  CHECK(a.rep().rows("question")->size() == 1);
  CHECK(a.rep().digest() == b.rep().digest());
  CHECK(metric(http_get("127.0.0.1", f.port(), "/metrics").body, "packline_snapshots_stored_total") == 1);

  // Blind: no marker anywhere in the server's data folder (snapshot included).
  a.disconnect();
  b.disconnect();
  std::string stored = slurp_dir(f.tmp.sub("data"));
  CHECK(stored.size() > history * 300);
  CHECK(stored.find("MARKER-") == std::string::npos);
}

TEST_CASE("server: a revoked device's live session is closed at once with error 13; the others keep syncing") {
  server_fixture f;
  INFO(f.log());
  const bytes space = crypto::random_bytes(16);
  sync_client clerk;
  REQUIRE(clerk.rep().found_space(space, new_row_id(), "clerk", wall_ms()).ok());
  REQUIRE(clerk.connect(f.port()));
  REQUIRE(clerk.sync());
  sync_client alice, bob;
  for (auto* d : {&alice, &bob}) {
    auto code = clerk.rep().create_invite(new_row_id(), "member", wall_ms());
    REQUIRE(code.ok());
    clerk.flush();
    REQUIRE(clerk.sync());
    REQUIRE(d->rep().redeem_invite(*code, wall_ms()).ok());
    REQUIRE(d->connect(f.port()));
  }
  REQUIRE(sync_all({&clerk, &alice, &bob}));

  // Alice's tablet is lost: revoked while its session is open and idle.
  REQUIRE(clerk.rep().revoke_device(alice.rep().device_id(), wall_ms()).ok());
  clerk.flush();
  for (int i = 0; i < 50 && alice.connected(); ++i) alice.step(100ms);
  CHECK_FALSE(alice.connected());
  CHECK(has_error(alice, "server error 13"));
  CHECK(has_error(alice, "removed from the panel"));
  // The others go on: the clerk's next change reaches bob under the new epoch.
  bytes meeting = new_row_id();
  clerk.commit({op{op_kind::set, "meeting", meeting, "title", std::string("after the revocation")}});
  REQUIRE(sync_all({&clerk, &bob}));
  INFO("bob: " << (bob.errors().empty() ? std::string() : bob.errors().front()));
  CHECK(bob.errors().empty());
  auto rows = bob.rep().rows("meeting", "id", meeting);
  REQUIRE(rows->size() == 1);
  CHECK(rows->front().text("title") == "after the revocation");
  CHECK(bob.rep().digest() == clerk.rep().digest());
}
