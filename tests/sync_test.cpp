// sync_session: the client state machine, driven frame by frame with the
// test playing the server's part of schema/PROTOCOL.md.
#include <doctest/doctest.h>

#include <map>

#include "packline/wire/codec.hpp"
#include "packline/panel/demo.hpp"
#include "packline/crypto/keyring.hpp"
#include "packline/base/limits.hpp"
#include "packline/sync/sync.hpp"

using namespace packline;

namespace {
template <class T>
T as(const bytes& frame) {
  auto m = codec::decode(frame);
  REQUIRE(m.ok());
  REQUIRE(std::holds_alternative<T>(*m));
  return std::get<T>(*m);
}
std::unique_ptr<replica> fresh() {
  auto r = replica::create(crypto::random_bytes(32));
  REQUIRE(r.ok());
  return std::move(*r);
}
// Runs the handshake; returns the frames sent after welcome. `snapshot`:
// welcome's newest snapshot cursor (protocol v3); none from a v2 server.
std::vector<bytes> handshake(sync_session& s, replica& r, std::uint64_t cursor,
                             std::optional<std::uint64_t> snapshot = std::nullopt) {
  auto hello = as<proto::hello>(s.on_open()[0]);
  CHECK(hello.device == r.device_id());
  bytes nonce = crypto::random_bytes(32);
  auto out = s.on_frame(codec::encode(proto::challenge{nonce, demo::space_id()}), 1000);
  REQUIRE(out.ok());
  auto a = as<proto::auth>((*out)[0]);
  CHECK(crypto::verify(r.device_id(), proto::auth_transcript(nonce, demo::space_id()), a.signature));
  CHECK(s.state() == sync_state::connecting);
  auto w = s.on_frame(codec::encode(proto::welcome{demo::space_id(), cursor, snapshot}), 1000);
  REQUIRE(w.ok());
  CHECK(r.space() == demo::space_id());
  return *w;
}
// An empty replica asks for the newest snapshot first; answers "none".
std::vector<bytes> no_snapshot(sync_session& s, const std::vector<bytes>& after) {
  REQUIRE(after.size() == 1);
  auto g = as<proto::snapshot_get>(after[0]);
  CHECK(g.cursor == 0);
  auto out = s.on_frame(codec::encode(proto::snapshot{0, 0, 0, {}}), 1000);
  REQUIRE(out.ok());
  return *out;
}
}  // namespace

TEST_CASE("sync: handshake, pull of the demo panel, then synced") {
  auto r = fresh();
  sync_session s(*r);
  CHECK(s.state() == sync_state::offline);
  auto envs = demo::envelopes(500);
  REQUIRE(envs.ok());
  auto after = no_snapshot(s, handshake(s, *r, envs->size()));
  REQUIRE(after.size() == 1);
  auto p = as<proto::pull>(after[0]);
  CHECK(p.since == 0);
  CHECK(s.state() == sync_state::syncing);
  proto::changes ch;
  for (std::size_t i = 0; i < envs->size(); ++i) ch.items.push_back({i + 1, (*envs)[i]});
  ch.next = envs->size();
  auto out = s.on_frame(codec::encode(ch), 1000);
  REQUIRE(out.ok());
  CHECK(out->empty());
  CHECK(s.take_dirty());
  CHECK(r->cursor() == envs->size());
  CHECK(s.state() == sync_state::synced);
  CHECK(r->rows("member")->size() == 6);
}

TEST_CASE("sync: pending changes are pushed once and cleared by the ack") {
  auto r = fresh();
  REQUIRE(r->set_space(demo::space_id()).ok());
  bytes q = new_row_id();
  REQUIRE(r->commit({op{op_kind::set, "question", q, "target", std::string("offline draft")}}, 900).ok());
  sync_session s(*r);
  CHECK(s.flush().empty());  // not connected: nothing to send
  auto after = handshake(s, *r, 0);
  REQUIRE(after.size() == 1);
  auto push = as<proto::push>(after[0]);
  REQUIRE(push.envelopes.size() == 1);
  REQUIRE(r->commit({op{op_kind::set, "question", q, "status", std::string("draft")}}, 901).ok());
  CHECK(s.flush().empty());  // one push in flight at a time
  auto out = s.on_frame(codec::encode(proto::ack{{{r->device_id(), 1, 1}}}), 1000);
  REQUIRE(out.ok());
  REQUIRE(out->size() == 1);  // the second change goes next
  CHECK(as<proto::push>((*out)[0]).envelopes.size() == 1);
  CHECK(r->pending_count() == 1);
  REQUIRE(s.on_frame(codec::encode(proto::ack{{{r->device_id(), 2, 2}}}), 1000).ok());
  CHECK(r->pending_count() == 0);
  CHECK(s.state() == sync_state::synced);
}

TEST_CASE("sync: out-of-order and server error frames end the session") {
  auto r = fresh();
  sync_session s(*r);
  (void)s.on_open();
  CHECK(s.on_frame(codec::encode(proto::welcome{demo::space_id(), 0}), 1).err().code == errc::bad_state);
  CHECK(s.on_frame(bytes{0x01, 0x02}, 1).err().code == errc::malformed);
  sync_session s2(*r);
  (void)handshake(s2, *r, 0);
  auto e = s2.on_frame(codec::encode(proto::error{static_cast<std::uint32_t>(errc::bad_signature), "bad"}), 1);
  CHECK(e.err().code == errc::bad_signature);
}

TEST_CASE("sync: every wire error is read as the core error the server meant") {
  // Through the one table, both ways: a wire error ends the session with
  // the errc the server meant (a damaged space is not a wrong passphrase),
  // and each errc goes out as its wire code (storage stays 9: retry).
  for (const auto& row : proto::wire_errors) {
    auto r = fresh();
    sync_session s(*r);
    (void)handshake(s, *r, 0);
    auto e = s.on_frame(codec::encode(proto::error{row.wire, "x"}), 1);
    INFO(row.wire);
    // A push sealed under a superseded epoch is not the end of the session:
    // it pulls the new key and re-seals (tested on its own in the threat model).
    if (row.local == errc::superseded) {
      CHECK(e.ok());
      continue;
    }
    REQUIRE_FALSE(e.ok());
    CHECK(e.err().code == row.local);
    if (row.local != errc::storage) CHECK(proto::to_wire(row.local) == row.wire);
  }
  CHECK(proto::from_wire(proto::error_unavailable) == errc::damaged);
  CHECK(proto::to_wire(errc::damaged) == proto::error_unavailable);
  CHECK(proto::from_wire(proto::error_resync) == errc::storage);
  for (std::uint32_t c = 1; c <= 9; ++c) CHECK(proto::to_wire(proto::from_wire(c)) == c);
  // Unknown or internal: storage (retry), never some unrelated errc by number.
  CHECK(proto::from_wire(99) == errc::storage);
  CHECK(proto::to_wire(errc::wrong_passphrase) == static_cast<std::uint32_t>(errc::storage));
  CHECK(proto::to_wire(errc::invalid_argument) == static_cast<std::uint32_t>(errc::malformed));
}

TEST_CASE("sync: a forged remote change is reported; its device's later changes wait for it") {
  auto r = fresh();
  sync_session s(*r);
  auto envs = demo::envelopes(500);
  REQUIRE(envs.ok());
  (void)no_snapshot(s, handshake(s, *r, envs->size()));
  proto::changes ch;
  for (std::size_t i = 0; i < envs->size(); ++i) ch.items.push_back({i + 1, (*envs)[i]});
  ch.items[1].envelope.back() ^= 1;  // break one signature (the sample pack's blocks)
  ch.next = envs->size();
  REQUIRE(s.on_frame(codec::encode(ch), 1000).ok());
  auto rej = s.take_rejections();
  REQUIRE(rej.size() == 1);
  CHECK(rej[0].find("signature") != std::string::npos);
  // The demo clerk's later changes (meeting, items, members) follow change 2
  // of the same device: they wait for the authentic change 2 instead of
  // applying out of causal order. Change 1 (the clerk) is in.
  REQUIRE(envs->size() >= 3);
  CHECK(r->rows("member")->size() == 1);
  CHECK(r->rows("meeting")->empty());
  CHECK(r->waiting_count() == envs->size() - 2);
  CHECK(r->cursor() == envs->size());  // the pull itself goes on
}

TEST_CASE("sync: a refused change is kept with its reason and tried again at the next welcome") {
  auto r = fresh();  // no panel yet
  auto envs = demo::envelopes(500);
  REQUIRE(envs.ok());
  CHECK_FALSE(r->apply((*envs)[0], 1, 1000).ok());  // not this device's panel (yet)
  REQUIRE(r->refused_changes()->size() == 1);
  sync_session s(*r);
  auto after = handshake(s, *r, envs->size());  // the welcome names the panel, then retries
  CHECK(s.take_dirty());
  CHECK(r->refused_changes()->empty());
  CHECK(r->rows("member")->size() == 1);
  // A forged change in the pull: reported, the cursor moves on, and it stays
  // listed (with its reason) for the clerk, across sessions.
  auto pull = no_snapshot(s, after);
  REQUIRE(pull.size() == 1);
  CHECK(as<proto::pull>(pull[0]).since == 0);
  proto::changes ch;
  for (std::size_t i = 0; i < envs->size(); ++i) ch.items.push_back({i + 1, (*envs)[i]});
  ch.items[1].envelope.back() ^= 1;
  ch.next = envs->size();
  REQUIRE(s.on_frame(codec::encode(ch), 1000).ok());
  CHECK(r->cursor() == envs->size());
  auto kept = r->refused_changes();
  REQUIRE(kept->size() == 1);
  CHECK(kept->front().server_seq == 2);
  CHECK(kept->front().reason.find("signature") != std::string::npos);
  s.on_close();
  (void)handshake(s, *r, envs->size());
  CHECK(r->refused_changes()->size() == 1);
}

TEST_CASE("sync: a v4 welcome tells the host how far its clock is from the server's, once") {
  auto r = fresh();
  constexpr std::uint64_t year_ms = 365ull * 24 * 3600 * 1000;
  sync_session s(*r);
  (void)s.on_open();
  auto c = s.on_frame(codec::encode(proto::challenge{crypto::random_bytes(32), demo::space_id()}), 5000);
  REQUIRE(c.ok());
  // The host's clock reads 5000 + a year; the server's 5000.
  auto w = s.on_frame(codec::encode(proto::welcome{demo::space_id(), 0, 0, 5000}), 5000 + year_ms);
  REQUIRE(w.ok());
  auto off = s.take_clock_offset();
  REQUIRE(off.has_value());
  CHECK(*off == -static_cast<std::int64_t>(year_ms));
  CHECK_FALSE(s.take_clock_offset().has_value());
  // A v3 server says nothing of its time.
  sync_session s2(*r);
  (void)handshake(s2, *r, 0, 0);
  CHECK_FALSE(s2.take_clock_offset().has_value());
}

// ---- snapshots (protocol v2) ----------------------------------------------

namespace {

// The server's part for the snapshot cases: one space's log and its newest
// snapshot, answering each frame a session sends as PROTOCOL.md says.
// Snapshot chunks go out `chunk` bytes at a time (the real server answers
// with the chunks as uploaded; smaller here to see progress move).
struct fake_server {
  std::vector<bytes> log;  // server_seq i + 1
  std::uint64_t snap_cursor = 0;
  bytes snap;
  bytes upload;  // a snapshot_put in progress
  std::size_t chunk = 1 << 30;
  std::vector<std::optional<transfer_progress>> progress;  // seen after each snapshot frame
  int gets = 0;
  int puts = 0;              // snapshot_put frames
  int keyring_gets = 0;
  std::map<bytes, std::size_t> pulled;  // changes sent in pull answers, per device
  bool gone_once = false;

  std::uint64_t cursor() const { return log.size(); }

  // Answers `out` (and what the answers bring back) until the session is quiet.
  void serve(sync_session& s, replica& r, std::vector<bytes> out) {
    while (!out.empty()) {
      std::vector<bytes> next;
      for (auto& f : out) {
        auto answer = reply(f, r);
        REQUIRE(answer.has_value());
        auto more = s.on_frame(*answer, 5000);
        REQUIRE_MESSAGE(more.ok(), more.err().message);
        if (std::holds_alternative<proto::snapshot>(*codec::decode(*answer))) progress.push_back(s.snapshot_progress());
        next.insert(next.end(), more->begin(), more->end());
      }
      out = std::move(next);
    }
  }

  // Tells a session about new changes (as notify) and serves its pulls.
  void notify(sync_session& s, replica& r) {
    auto out = s.on_frame(codec::encode(proto::notify{cursor()}), 5000);
    REQUIRE(out.ok());
    serve(s, r, *out);
  }

  std::optional<bytes> reply(const bytes& frame, replica& r) {
    auto m = codec::decode(frame);
    REQUIRE(m.ok());
    if (auto* p = std::get_if<proto::pull>(&*m)) {
      proto::changes ch;
      for (std::uint64_t i = p->since; i < log.size() && ch.items.size() < p->max; ++i) ch.items.push_back({i + 1, log[i]});
      ch.next = p->since + ch.items.size();
      ch.more = ch.next < log.size();
      pulled[r.device_id()] += ch.items.size();
      return codec::encode(ch);
    }
    if (auto* k = std::get_if<proto::keyring_get>(&*m)) {  // v3: the records only, all in one page
      ++keyring_gets;
      proto::keyring_page page;
      for (std::uint64_t i = k->since; i < log.size(); ++i)
        if (codec::decode_envelope(log[i])->epoch == keyring::record_epoch) page.items.push_back({i + 1, log[i]});
      page.next = page.items.empty() ? k->since : page.items.back().server_seq;
      return codec::encode(page);
    }
    if (auto* p = std::get_if<proto::push>(&*m)) {
      proto::ack a;
      for (auto& e : p->envelopes) {
        log.push_back(e);
        a.entries.push_back({r.device_id(), codec::decode_envelope(e)->seq, log.size()});
      }
      return codec::encode(a);
    }
    if (auto* g = std::get_if<proto::snapshot_get>(&*m)) {
      ++gets;
      if (g->cursor != 0 && g->cursor != snap_cursor) return codec::encode(proto::error{proto::error_gone, "gone"});
      if (gone_once && g->offset > 0) {  // replaced while downloading
        gone_once = false;
        return codec::encode(proto::error{proto::error_gone, "gone"});
      }
      if (snap.empty()) return codec::encode(proto::snapshot{0, 0, 0, {}});
      std::size_t n = std::min(chunk, snap.size() - g->offset);
      auto from = snap.begin() + static_cast<std::ptrdiff_t>(g->offset);
      return codec::encode(proto::snapshot{snap_cursor, snap.size(), g->offset, bytes(from, from + static_cast<std::ptrdiff_t>(n))});
    }
    if (auto* p = std::get_if<proto::snapshot_put>(&*m)) {
      ++puts;
      REQUIRE(p->offset == upload.size());  // one chunk at a time, in order
      append(upload, p->chunk);
      bool complete = upload.size() == p->total;
      if (complete) {
        snap = std::exchange(upload, {});
        snap_cursor = p->cursor;
      }
      return codec::encode(proto::snapshot_ack{p->cursor, complete ? p->total : upload.size(), complete});
    }
    return std::nullopt;
  }
};

// A writer's `n` changes (question rows with long bodies) in the server's log.
void write_history(fake_server& srv, std::size_t n, std::uint64_t t0) {
  auto w = fresh();
  REQUIRE(w->set_space(demo::space_id()).ok());
  for (std::size_t i = 0; i < n; ++i) {
    bytes q = new_row_id();
    REQUIRE(w->commit({op{op_kind::set, "question", q, "target", std::string(200, 'a' + i % 26)},
                       op{op_kind::set, "question", q, "status", std::string("draft")}}, t0 + i).ok());
  }
  for (auto& e : w->pending(n)) srv.log.push_back(e);
}

// A server with `n` changes of history, pulled whole by a device `a` (which
// so uploaded a snapshot).
struct uploaded {
  fake_server srv;
  std::unique_ptr<replica> a = fresh();
  sync_session sa{*a};
  explicit uploaded(std::size_t n) {
    write_history(srv, n, 10'000);
    srv.serve(sa, *a, handshake(sa, *a, srv.cursor()));
    REQUIRE_FALSE(srv.snap.empty());  // past the threshold: it uploaded one
  }
};

}  // namespace

TEST_CASE("sync: a caught-up device uploads a snapshot in chunks; a new device starts from it and pulls the tail") {
  uploaded u(limits::snapshot_every_changes + 200);
  auto& srv = u.srv;
  auto& a = u.a;
  // Caught up past the threshold: the snapshot went up, chunk after ack.
  REQUIRE(srv.snap_cursor == srv.cursor());
  CHECK(a->setting("sync.snapshot_cursor") == std::to_string(srv.cursor()));
  CHECK(u.sa.flush().empty());  // not again until snapshot_every_changes more
  // The tail: more history after the snapshot.
  write_history(srv, 300, 20'000);

  auto b = fresh();
  sync_session sb(*b);
  srv.progress.clear();
  srv.chunk = srv.snap.size() / 4 + 1;
  auto first = handshake(sb, *b, srv.cursor());
  REQUIRE(first.size() == 1);
  auto g = as<proto::snapshot_get>(first[0]);
  CHECK(g.cursor == 0);
  CHECK(g.offset == 0);
  CHECK(sb.state() == sync_state::syncing);
  srv.serve(sb, *b, first);
  // Four chunks, progress rising to the total, then done.
  REQUIRE(srv.progress.size() == 4);
  for (std::size_t i = 0; i + 2 < srv.progress.size(); ++i) {
    REQUIRE(srv.progress[i].has_value());
    CHECK(srv.progress[i]->total == srv.snap.size());
    CHECK(srv.progress[i]->received < srv.progress[i + 1]->received);
  }
  CHECK_FALSE(srv.progress.back().has_value());  // loaded
  CHECK(sb.take_rejections().empty());
  CHECK(sb.state() == sync_state::synced);
  CHECK(b->cursor() == srv.cursor());
  // Same state as a device that pulled everything; and b keeps writing.
  srv.notify(u.sa, *a);
  CHECK(b->digest() == a->digest());
  bytes q = new_row_id();
  REQUIRE(b->commit({op{op_kind::set, "question", q, "target", std::string("after the snapshot")}}, 30'000).ok());
  srv.serve(sb, *b, sb.flush());
  CHECK(b->pending_count() == 0);
  srv.notify(u.sa, *a);
  CHECK(a->digest() == b->digest());
}

TEST_CASE("sync: no snapshot on the server means a pull from 0") {
  fake_server srv;
  write_history(srv, 20, 10'000);
  auto b = fresh();
  sync_session sb(*b);
  auto first = handshake(sb, *b, srv.cursor());
  srv.serve(sb, *b, first);
  CHECK(srv.gets == 1);
  CHECK(b->cursor() == srv.cursor());
  CHECK(b->rows("question")->size() == 20);
  CHECK(sb.state() == sync_state::synced);
}

TEST_CASE("sync: error gone restarts the download with the newest snapshot") {
  uploaded u(limits::snapshot_every_changes);
  auto& srv = u.srv;
  auto& a = u.a;
  auto b = fresh();
  sync_session sb(*b);
  srv.chunk = srv.snap.size() / 3 + 1;
  srv.gets = 0;
  srv.gone_once = true;  // the second chunk is gone
  srv.serve(sb, *b, handshake(sb, *b, srv.cursor()));
  CHECK(srv.gets == 1 + 1 + 3);  // first chunk, the gone one, then all three again
  CHECK(sb.take_rejections().empty());
  CHECK(b->cursor() == srv.cursor());
  CHECK(b->digest() == a->digest());
}

TEST_CASE("sync: a damaged snapshot is reported and the whole history is pulled instead") {
  uploaded u(limits::snapshot_every_changes);
  auto& srv = u.srv;
  auto& a = u.a;
  srv.snap[srv.snap.size() / 2] ^= 0x40;
  auto b = fresh();
  sync_session sb(*b);
  srv.serve(sb, *b, handshake(sb, *b, srv.cursor()));
  auto rej = sb.take_rejections();
  REQUIRE(rej.size() == 1);
  CHECK(rej[0].find("damaged") != std::string::npos);
  CHECK(b->cursor() == srv.cursor());
  CHECK(b->digest() == a->digest());
  CHECK(sb.state() == sync_state::synced);
}

TEST_CASE("sync: a download cut by a reconnect resumes at the bytes it has") {
  uploaded u(limits::snapshot_every_changes);
  auto& srv = u.srv;
  auto& a = u.a;
  auto b = fresh();
  sync_session sb(*b);
  srv.chunk = srv.snap.size() / 2 + 1;
  auto get = handshake(sb, *b, srv.cursor());
  auto next = sb.on_frame(*srv.reply(get.at(0), *b), 5000);  // the first half
  REQUIRE(next.ok());
  REQUIRE(sb.snapshot_progress().has_value());
  const auto half = sb.snapshot_progress()->received;
  CHECK(half == srv.chunk);
  sb.on_close();  // cut before the second chunk arrives
  CHECK(sb.state() == sync_state::offline);
  auto again = handshake(sb, *b, srv.cursor());
  REQUIRE(again.size() == 1);
  auto g = as<proto::snapshot_get>(again[0]);
  CHECK(g.cursor == srv.snap_cursor);
  CHECK(g.offset == half);
  srv.serve(sb, *b, again);
  CHECK(sb.take_rejections().empty());
  CHECK(b->digest() == a->digest());
}

TEST_CASE("sync: welcome's snapshot cursor keeps a second device from uploading at the same threshold") {
  fake_server srv;
  write_history(srv, limits::snapshot_every_changes - 1, 10'000);
  // d pulls the history while it is below the threshold (v3, no snapshot yet).
  auto d = fresh();
  sync_session sd(*d);
  srv.serve(sd, *d, handshake(sd, *d, srv.cursor(), std::uint64_t{0}));
  CHECK(srv.gets == 0);  // welcome said there is none: no snapshot_get
  CHECK(srv.puts == 0);
  sd.on_close();
  // One more change, and a device that catches up uploads at the threshold.
  write_history(srv, 1, 20'000);
  auto a = fresh();
  sync_session sa(*a);
  srv.serve(sa, *a, handshake(sa, *a, srv.cursor(), std::uint64_t{0}));
  REQUIRE(srv.snap_cursor == limits::snapshot_every_changes);
  const int puts = srv.puts;
  // d comes back: welcome names a's snapshot, so d reaches the same cursor
  // without uploading another one.
  srv.serve(sd, *d, handshake(sd, *d, srv.cursor(), srv.snap_cursor));
  CHECK(d->cursor() == srv.snap_cursor);
  CHECK(sd.state() == sync_state::synced);
  CHECK(srv.puts == puts);
  // Not told (a v2 server's welcome), it would have uploaded the same state.
  sd.on_close();
  srv.serve(sd, *d, handshake(sd, *d, srv.cursor()));
  CHECK(srv.puts > puts);
}

// ---- snapshots of secured panels (protocol v3) -------------------------------

namespace {

op set(const char* table, const bytes& row, const char* field, value v) {
  return op{op_kind::set, table, row, field, std::move(v), {}, {}};
}

bool has(const bytes& hay, std::string_view needle) {
  return std::string(hay.begin(), hay.end()).find(needle) != std::string::npos;
}

// A secured panel founded by the clerk's device, with `history` sealed
// changes (meeting titles holding a marker), which the clerk, caught up,
// snapshotted (sealed under epoch 1). The server speaks v3.
struct secured_panel {
  fake_server srv;
  std::unique_ptr<replica> clerk = fresh();
  sync_session sc{*clerk};
  bytes clerk_member = new_row_id();
  std::uint64_t t = 100'000;

  explicit secured_panel(std::size_t history) {
    REQUIRE(clerk->found_space(demo::space_id(), clerk_member, "clerk", t).ok());
    REQUIRE(clerk->commit({set("member", clerk_member, "name", std::string("Dana Whitfield")),
                           set("member", clerk_member, "role", std::string("clerk"))}, t).ok());
    srv.serve(sc, *clerk, handshake(sc, *clerk, srv.cursor(), std::uint64_t{0}));
    REQUIRE(clerk->secured());
    for (std::size_t i = 0; i < history; ++i)
      REQUIRE(clerk->commit({set("meeting", new_row_id(), "title", "MARKER-MEETING-" + std::to_string(i))}, t + i).ok());
    srv.serve(sc, *clerk, sc.flush());  // acked in order: caught up, so it uploads
    REQUIRE_FALSE(srv.snap.empty());
  }
  // The clerk catches up (sees joins, grants keys) and pushes what it made.
  void clerk_sync() {
    srv.notify(sc, *clerk);
    srv.serve(sc, *clerk, sc.flush());
  }
  // A new member's invite code (the member row and the invite are pushed).
  std::string invite(const std::string& role) {
    bytes m = new_row_id();
    REQUIRE(clerk->commit({set("member", m, "name", "Cllr " + role), set("member", m, "role", role)}, t).ok());
    auto code = clerk->create_invite(m, role, t);
    REQUIRE(code.ok());
    srv.serve(sc, *clerk, sc.flush());
    return *code;
  }
  // A device redeeming `code` and syncing as a new tablet would: it pushes its
  // join; the clerk (online) sees it and grants the panel's epochs before the
  // device fetches the keyring; then everything else.
  std::unique_ptr<replica> join(const std::string& code, sync_session*& out, const bytes& seed = crypto::random_bytes(32)) {
    auto d = std::move(*replica::create(seed));
    REQUIRE(d->redeem_invite(code, t).ok());
    sessions.push_back(std::make_unique<sync_session>(*d));
    out = sessions.back().get();
    auto first = handshake(*out, *d, srv.cursor(), srv.snap.empty() ? 0 : srv.snap_cursor);
    REQUIRE(first.size() == 1);  // the join, before any read
    auto push = codec::decode(first[0]);
    REQUIRE(std::holds_alternative<proto::push>(*push));
    auto ack = srv.reply(first[0], *d);
    clerk_sync();
    auto next = out->on_frame(*ack, 5000);
    REQUIRE(next.ok());
    srv.serve(*out, *d, *next);
    return d;
  }
  std::vector<std::unique_ptr<sync_session>> sessions;
};

// The blob on the server, re-signed by `signer` over a body sealed under a
// key nobody in the panel holds, at `cursor`.
bytes forged_blob(const bytes& real, const crypto::signing_key& signer, std::uint64_t cursor) {
  auto b = codec::decode_snapshot_blob(real);
  REQUIRE(b.ok());
  b->cursor = cursor;
  crypto::secret key = crypto::secret::random(crypto::aead_key_bytes);
  REQUIRE(crypto::seal_snapshot(*b, bytes(1000, 7), &key, signer).ok());
  return codec::encode_snapshot_blob(*b);
}

}  // namespace

TEST_CASE("sync: a secured panel's sealed snapshot starts an invited device; it converges and keeps writing") {
  const std::size_t history = limits::snapshot_every_changes + 200;
  secured_panel p(history);
  auto& srv = p.srv;
  // Sealed: the server's blob names its epoch and signer, and holds no marker.
  auto blob = codec::decode_snapshot_blob(srv.snap);
  REQUIRE(blob.ok());
  CHECK(blob->epoch == 1);
  CHECK(blob->device == p.clerk->device_id());
  CHECK(blob->cursor == srv.snap_cursor);
  CHECK_FALSE(has(srv.snap, "MARKER-MEETING"));
  CHECK(p.clerk->setting("sync.snapshot_cursor") == std::to_string(srv.snap_cursor));

  std::string code = p.invite("member");  // the invite and the join come after the snapshot
  sync_session* sb = nullptr;
  auto b = p.join(code, sb);
  CHECK(sb->take_rejections().empty());
  CHECK(srv.keyring_gets == 1);
  CHECK(b->setting("sync.snapshot_cursor") == std::to_string(srv.snap_cursor));
  CHECK(srv.pulled[b->device_id()] < 50);  // the tail only, not the history of over a thousand changes
  CHECK(srv.pulled[b->device_id()] == srv.cursor() - srv.snap_cursor);
  CHECK(b->secured());
  CHECK_FALSE(b->joining());
  CHECK(b->cursor() == srv.cursor());
  CHECK(b->rows("meeting")->size() == history);
  p.clerk_sync();
  CHECK(b->digest() == p.clerk->digest());

  // b writes on top, sealed; the clerk reads it; both converge.
  bytes q = new_row_id();
  REQUIRE(b->commit({set("question", q, "author", b->my_member()), set("question", q, "target", std::string("MARKER-Q")),
                     set("question", q, "status", std::string("draft"))}, p.t + 5000).ok());
  srv.serve(*sb, *b, sb->flush());
  CHECK(b->pending_count() == 0);
  p.clerk_sync();
  CHECK(p.clerk->rows("question")->size() == 1);
  CHECK(p.clerk->digest() == b->digest());
  for (auto& e : srv.log) CHECK_FALSE(has(e, "MARKER"));
}

TEST_CASE("sync: a sealed snapshot taken before a removal opens for a member invited after it") {
  secured_panel p(limits::snapshot_every_changes);
  auto& srv = p.srv;
  // c joins (after the snapshot), then is removed: a new epoch, which c never gets.
  sync_session* sc = nullptr;
  auto c = p.join(p.invite("member"), sc);
  REQUIRE(p.clerk->remove_member(c->my_member(), p.t + 10).ok());
  p.clerk_sync();
  REQUIRE(p.clerk->write_epoch() >= 2);
  // b's invite carries the current epoch's key; epoch 1's (the snapshot's)
  // reaches it in the clerk's grant after its join, which keyring_get delivers.
  sync_session* sb = nullptr;
  auto b = p.join(p.invite("member"), sb);
  CHECK(sb->take_rejections().empty());
  CHECK(b->setting("sync.snapshot_cursor") == std::to_string(srv.snap_cursor));
  CHECK(srv.pulled[b->device_id()] == srv.cursor() - srv.snap_cursor);
  p.clerk_sync();
  CHECK(b->write_epoch() == p.clerk->write_epoch());
  CHECK(b->digest() == p.clerk->digest());
}

TEST_CASE("sync: a damaged, foreign-signed or removed device's snapshot is refused in plain words; the full pull converges") {
  enum class forgery { flipped, stranger, removed, removed_later };
  for (auto kind : {forgery::flipped, forgery::stranger, forgery::removed, forgery::removed_later}) {
    CAPTURE(static_cast<int>(kind));
    secured_panel p(limits::snapshot_every_changes);
    auto& srv = p.srv;
    std::string want;
    if (kind == forgery::flipped) {
      srv.snap[srv.snap.size() / 2] ^= 0x40;
      want = "damaged or forged";
    } else if (kind == forgery::stranger) {
      srv.snap = forged_blob(srv.snap, crypto::signing_key::generate(), srv.snap_cursor);
      want = "not a device of the panel";
    } else {
      // c, a clerk's tablet once, signs a snapshot dated after its removal,
      // or (a lost tablet) one it could have uploaded before it was removed.
      bytes seed = crypto::random_bytes(32);
      sync_session* sc = nullptr;
      auto c = p.join(p.invite("clerk"), sc, seed);
      std::uint64_t member_at = srv.cursor();
      REQUIRE(p.clerk->remove_member(c->my_member(), p.t + 10).ok());
      p.clerk_sync();
      std::uint64_t at = kind == forgery::removed ? srv.cursor() : member_at;
      srv.snap = forged_blob(srv.snap, *crypto::signing_key::from_seed(seed), at);
      srv.snap_cursor = at;
      want = kind == forgery::removed ? "not a device of the panel" : "has since been removed from the panel";
    }
    sync_session* sb = nullptr;
    auto b = p.join(p.invite("member"), sb);
    auto rej = sb->take_rejections();
    REQUIRE(rej.size() == 1);
    CHECK_MESSAGE(rej[0].find(want) != std::string::npos, rej[0]);
    CHECK(rej[0].find("pulling the whole history instead") != std::string::npos);
    CHECK(srv.pulled[b->device_id()] == srv.cursor());  // all of it
    CHECK(b->cursor() == srv.cursor());
    p.clerk_sync();
    CHECK(b->digest() == p.clerk->digest());
    CHECK(b->rows("meeting")->size() == limits::snapshot_every_changes);
  }
}

TEST_CASE("sync: a device whose join is stored before the snapshot's cursor starts from it with its join among the records") {
  secured_panel p(limits::snapshot_every_changes);
  auto& srv = p.srv;
  std::string code = p.invite("member");
  auto b = fresh();
  REQUIRE(b->redeem_invite(code, p.t).ok());
  sync_session sb(*b);
  auto first = handshake(sb, *b, srv.cursor(), srv.snap_cursor);
  REQUIRE(first.size() == 1);  // the join
  auto ack = srv.reply(first[0], *b);
  const std::uint64_t join_at = srv.cursor();
  // Before b reads anything, the clerk grants it, writes on past the next
  // threshold and uploads a newer snapshot that holds the join.
  p.clerk_sync();
  for (std::size_t i = 0; i < limits::snapshot_every_changes; ++i)
    REQUIRE(p.clerk->commit({set("meeting", new_row_id(), "title", std::string("later"))}, p.t + 20'000 + i).ok());
  srv.serve(p.sc, *p.clerk, p.sc.flush());
  REQUIRE(srv.snap_cursor > join_at);
  REQUIRE(sb.on_frame(codec::encode(proto::notify{srv.cursor()}), 5000).ok());  // told while its push is in flight
  auto next = sb.on_frame(*ack, 5000);
  REQUIRE(next.ok());
  srv.serve(sb, *b, *next);
  CHECK(sb.take_rejections().empty());
  CHECK(b->setting("sync.snapshot_cursor") == std::to_string(srv.snap_cursor));
  CHECK(srv.pulled[b->device_id()] == srv.cursor() - srv.snap_cursor);
  CHECK_FALSE(b->joining());
  CHECK(b->my_role() == "member");
  CHECK(b->rows("meeting")->size() == 2 * limits::snapshot_every_changes);
  p.clerk_sync();
  CHECK(b->digest() == p.clerk->digest());
  bytes q = new_row_id();
  REQUIRE(b->commit({set("question", q, "author", b->my_member()), set("question", q, "target", std::string("mine")),
                     set("question", q, "status", std::string("draft"))}, p.t + 50'000).ok());
  srv.serve(sb, *b, sb.flush());
  p.clerk_sync();
  CHECK(b->digest() == p.clerk->digest());
}
