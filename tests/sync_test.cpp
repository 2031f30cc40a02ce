// sync_session: the client state machine, driven frame by frame with the
// test playing the server's part of schema/PROTOCOL.md.
#include <doctest/doctest.h>

#include "packline/codec.hpp"
#include "packline/demo.hpp"
#include "packline/limits.hpp"
#include "packline/sync.hpp"

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
// Runs the handshake; returns the frames sent after welcome.
std::vector<bytes> handshake(sync_session& s, replica& r, std::uint64_t cursor) {
  auto hello = as<proto::hello>(s.on_open()[0]);
  CHECK(hello.device == r.device_id());
  bytes nonce = crypto::random_bytes(32);
  auto out = s.on_frame(codec::encode(proto::challenge{nonce, demo::space_id()}), 1000);
  REQUIRE(out.ok());
  auto a = as<proto::auth>((*out)[0]);
  CHECK(crypto::verify(r.device_id(), proto::auth_transcript(nonce, demo::space_id()), a.signature));
  CHECK(s.state() == sync_state::connecting);
  auto w = s.on_frame(codec::encode(proto::welcome{demo::space_id(), cursor}), 1000);
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
  REQUIRE(r->commit({op{op_kind::set, "question", q, "body", std::string("offline draft")}}, 900).ok());
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
      return codec::encode(ch);
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
    REQUIRE(w->commit({op{op_kind::set, "question", q, "body", std::string(200, 'a' + i % 26)},
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
  REQUIRE(b->commit({op{op_kind::set, "question", q, "body", std::string("after the snapshot")}}, 30'000).ok());
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
