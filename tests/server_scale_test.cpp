// The real packline-server under pressure: live fan-out to v2
// sessions and notify to v1 ones, a stuck reader told to resync and dropped
// with bounded server memory, snapshots uploaded in chunks and fetched by a
// new device, and kill -9 during a push storm from many clients. Each case
// starts its own server process on 127.0.0.1.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "packline/base/limits.hpp"
#include "support/server_process.hpp"
#include "support/sync_client.hpp"
#include "support/server_fixture.hpp"

using namespace packline;
using namespace packline::test;
using namespace std::chrono_literals;

namespace {


// Next message of type T, skipping others (notify, live of earlier pushes).
template <class T>
std::optional<T> next_of(raw_device& d, std::chrono::milliseconds wait = 5s) {
  auto end = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < end) {
    auto m = d.next(std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()));
    if (!m) return std::nullopt;
    if (auto* t = std::get_if<T>(&*m)) return *t;
  }
  return std::nullopt;
}


std::string metrics_of(std::uint16_t port) { return http_get("127.0.0.1", port, "/metrics").body; }

}  // namespace

TEST_CASE("server scale: a caught-up v2 session gets live frames; a v1 session gets notify") {
  server_fixture f;
  raw_device v2, v1, pusher;
  REQUIRE(v2.connect(f.port()));
  auto w = v2.handshake();
  REQUIRE(w);
  REQUIRE(v1.connect(f.port()));
  REQUIRE(v1.handshake(w->space, 1));
  REQUIRE(pusher.connect(f.port()));
  REQUIRE(pusher.handshake(w->space));

  // v2 pulls once (more = false): from now on it is live.
  REQUIRE(v2.send(proto::pull{0, 100}));
  auto ch = next_of<proto::changes>(v2);
  REQUIRE(ch);
  CHECK_FALSE(ch->more);

  auto e1 = pusher.encode(pusher.make_envelope(w->space, 1, "one"));
  auto e2 = pusher.encode(pusher.make_envelope(w->space, 2, "two"));
  REQUIRE(pusher.send(proto::push{{e1, e2}}));
  auto ack = next_of<proto::ack>(pusher);
  REQUIRE(ack);
  CHECK(ack->entries.at(1).server_seq == 2);
  // The pusher gets no notify of its own push (it has not pulled yet).
  auto live = next_of<proto::live>(v2);
  REQUIRE(live);
  CHECK(live->prev == 0);
  REQUIRE(live->items.size() == 2);
  CHECK(live->items[0].envelope == e1);
  CHECK(live->items[1].server_seq == 2);
  auto n = next_of<proto::notify>(v1);
  REQUIRE(n);
  CHECK(n->cursor >= 2);
  // A burst: live frames that queue behind a write may be merged; whatever
  // the grouping, v2 sees every change once, in order, contiguously.
  std::uint64_t last = 2;
  for (std::uint64_t s = 3; s <= 42; ++s)
    REQUIRE(pusher.send(proto::push{{pusher.encode(pusher.make_envelope(w->space, s, "burst"))}}));
  while (last < 42) {
    auto l = next_of<proto::live>(v2);
    REQUIRE(l);
    CHECK(l->prev == last);
    for (auto& it : l->items) CHECK(it.server_seq == ++last);
  }
  CHECK(last == 42);
  // v1 sessions never see v2 messages; snapshots are refused to them.
  REQUIRE(v1.send(proto::snapshot_get{0, 0}));
  auto err = next_of<proto::error>(v1);
  REQUIRE(err);
  CHECK(err->code == 3);

  // A version outside the spoken range is refused with the range in the text.
  raw_device v9;
  REQUIRE(v9.connect(f.port()));
  REQUIRE(v9.send(proto::hello{9, v9.id(), {}}));
  auto e9 = next_of<proto::error>(v9);
  REQUIRE(e9);
  CHECK(e9->code == 8);
  CHECK(e9->text.find(std::to_string(limits::min_protocol_version) + ".." + std::to_string(limits::protocol_version)) !=
        std::string::npos);
}

TEST_CASE("server scale: a stuck reader is told to resync and dropped; memory stays bounded") {
  server_fixture f;
  raw_device stuck, pusher;
  REQUIRE(stuck.connect(f.port()));
  auto w = stuck.handshake();
  REQUIRE(w);
  REQUIRE(stuck.send(proto::pull{0, 10}));
  REQUIRE(next_of<proto::changes>(stuck));  // live from here; and now it stops reading
  REQUIRE(pusher.connect(f.port()));
  REQUIRE(pusher.handshake(w->space));
  sync_client good(w->space);
  REQUIRE(good.connect(f.port()));
  REQUIRE(good.sync());

  // ~24 MiB of changes: more than the socket buffers of loopback plus the
  // session's outbound bound can hold.
  std::string big(60 * 1024, 'x');
  std::uint64_t seq = 0;
  bool dropped = false;
  for (int push = 0; push < 50 && !dropped; ++push) {
    proto::push p;
    for (int i = 0; i < 8; ++i) p.envelopes.push_back(pusher.encode(pusher.make_envelope(w->space, ++seq, big)));
    REQUIRE(pusher.send(p));
    REQUIRE(next_of<proto::ack>(pusher, 10s));
    while (good.step(1ms)) {
    }
    dropped = metric(metrics_of(f.port()), "packline_slow_consumers_closed_total") >= 1;
  }
  INFO(f.log());
  REQUIRE(dropped);
  auto m = metrics_of(f.port());
  // What the server still holds queued is bounded (the stuck session's queue was dropped).
  CHECK(metric(m, "packline_outbound_queue_bytes") < 2u * 1024 * 1024);
  CHECK(m.find("packline_errors_total{code=\"10\",name=\"resync\"} 1") != std::string::npos);
  // The stuck client, when it reads again, finds its connection ended (after
  // whatever the socket buffers still held, maybe the resync error itself).
  bool ended = false;
  for (int i = 0; i < 2000 && !ended; ++i) {
    auto ev = stuck.ws().receive(5s);
    if (ev.k == ws_event::kind::closed || ev.k == ws_event::kind::error) ended = true;
    if (ev.k == ws_event::kind::timeout) break;
    if (ev.k == ws_event::kind::frame) {
      auto msg = codec::decode(ev.data);
      if (msg && std::holds_alternative<proto::error>(*msg)) CHECK(std::get<proto::error>(*msg).code == proto::error_resync);
    }
  }
  CHECK(ended);
  // Everyone else is served as before and gets every change.
  REQUIRE(good.sync(60s));
  CHECK(good.errors().empty());
  CHECK(good.rep().cursor() == seq);
}

TEST_CASE("server scale: snapshots upload in chunks, resume after a reconnect, and start a new device") {
  server_fixture f;
  raw_device writer;
  REQUIRE(writer.connect(f.port()));
  auto w = writer.handshake();
  REQUIRE(w);
  for (std::uint64_t s = 1; s <= 5; ++s) {
    REQUIRE(writer.send(proto::push{{writer.encode(writer.make_envelope(w->space, s, "c" + std::to_string(s)))}}));
    REQUIRE(next_of<proto::ack>(writer));
  }
  // A 1.3 MiB blob (opaque to the server) covering cursor 3.
  bytes blob(1300 * 1024);
  for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<std::uint8_t>((i * 31) ^ (i >> 9));
  const std::size_t chunk = limits::max_snapshot_chunk;
  auto piece = [&](std::uint64_t off) {
    std::size_t n = std::min<std::size_t>(chunk, blob.size() - off);
    return bytes(blob.begin() + static_cast<std::ptrdiff_t>(off), blob.begin() + static_cast<std::ptrdiff_t>(off + n));
  };
  // Beyond the space's cursor: refused.
  REQUIRE(writer.send(proto::snapshot_put{99, blob.size(), 0, piece(0)}));
  auto bad = next_of<proto::error>(writer);
  REQUIRE(bad);
  CHECK(bad->code == 1);
  REQUIRE(writer.connect(f.port()));
  REQUIRE(writer.handshake(w->space));
  // First chunk, then the connection drops.
  REQUIRE(writer.send(proto::snapshot_put{3, blob.size(), 0, piece(0)}));
  auto a1 = next_of<proto::snapshot_ack>(writer);
  REQUIRE(a1);
  CHECK(a1->received == chunk);
  CHECK_FALSE(a1->complete);
  writer.ws().drop();
  // Reconnect; a resend from the wrong offset is answered with where to resume.
  REQUIRE(writer.connect(f.port()));
  REQUIRE(writer.handshake(w->space));
  REQUIRE(writer.send(proto::snapshot_put{3, blob.size(), 2 * chunk, piece(2 * chunk)}));
  auto where = next_of<proto::snapshot_ack>(writer);
  REQUIRE(where);
  CHECK(where->received == chunk);
  std::uint64_t off = where->received;
  while (off < blob.size()) {
    REQUIRE(writer.send(proto::snapshot_put{3, blob.size(), off, piece(off)}));
    auto a = next_of<proto::snapshot_ack>(writer);
    REQUIRE(a);
    off = a->received;
    if (off == blob.size()) CHECK(a->complete);
  }

  // A new device: the newest snapshot in chunks with progress, then changes after its cursor.
  raw_device fresh;
  REQUIRE(fresh.connect(f.port()));
  REQUIRE(fresh.handshake(w->space));
  bytes got;
  std::uint64_t cursor = 0, total = 0;
  int frames = 0;
  do {
    REQUIRE(fresh.send(proto::snapshot_get{cursor, got.size()}));
    auto s = next_of<proto::snapshot>(fresh);
    REQUIRE(s);
    cursor = s->cursor;
    total = s->total;
    CHECK(s->offset == got.size());
    REQUIRE_FALSE(s->chunk.empty());
    got.insert(got.end(), s->chunk.begin(), s->chunk.end());
    ++frames;
  } while (got.size() < total);
  CHECK(cursor == 3);
  CHECK(got == blob);
  CHECK(frames == 3);
  REQUIRE(fresh.send(proto::pull{cursor, 100}));
  auto rest = next_of<proto::changes>(fresh);
  REQUIRE(rest);
  REQUIRE(rest->items.size() == 2);
  CHECK(rest->items[0].server_seq == 4);

  // An unknown snapshot is error 11 (gone) and the session stays open.
  REQUIRE(fresh.send(proto::snapshot_get{2, 0}));
  auto gone = next_of<proto::error>(fresh);
  REQUIRE(gone);
  CHECK(gone->code == proto::error_gone);
  REQUIRE(fresh.send(proto::snapshot_get{0, 0}));
  CHECK(next_of<proto::snapshot>(fresh));
}

TEST_CASE("server scale: kill -9 during a push storm from many clients loses no acknowledged change") {
  temp_dir tmp;
  REQUIRE(crypto::init().ok());
  auto srv = std::make_unique<server_process>(tmp.sub("data"), tmp.sub("server.log"));
  REQUIRE_MESSAGE(srv->start(), srv->error());
  bytes space;
  {
    raw_device probe;
    REQUIRE(probe.connect(srv->port()));
    auto w = probe.handshake();
    REQUIRE(w);
    space = w->space;
  }
  constexpr int n = 10;
  std::vector<std::unique_ptr<sync_client>> clients;
  std::vector<sync_client*> all;
  for (int i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<sync_client>(space));
    all.push_back(clients.back().get());
    REQUIRE(clients.back()->connect(srv->port()));
  }
  // Storm: every client commits a change per round (its push goes out when
  // the previous one is acked, batching what piled up); the server dies
  // while pushes are in flight.
  std::size_t acked = 0;
  int round = 0;
  for (; round < 2000 && acked < 600; ++round) {
    for (int i = 0; i < n; ++i) {
      clients[i]->draft_question("storm " + std::to_string(i) + "/" + std::to_string(round));
      while (clients[i]->step(1ms)) {
      }
    }
    acked = 0;
    for (auto* c : all) acked += c->acks().size();
  }
  srv->kill_hard();
  for (auto* c : all) c->drop();
  INFO("rounds " << round << ", acked " << acked);
  REQUIRE(acked >= 600);

  auto srv2 = std::make_unique<server_process>(tmp.sub("data"), tmp.sub("server.log"));
  REQUIRE_MESSAGE(srv2->start(), srv2->error());
  INFO(srv2->log());
  // Every acknowledged change is there under the server_seq it was acked with.
  std::map<std::uint64_t, std::pair<bytes, std::uint64_t>> stored;  // server_seq -> (actor, seq)
  raw_device reader;
  REQUIRE(reader.connect(srv2->port()));
  REQUIRE(reader.handshake(space));
  std::uint64_t since = 0;
  for (bool more = true; more;) {
    REQUIRE(reader.send(proto::pull{since, limits::max_pull_changes}));
    auto ch = next_of<proto::changes>(reader);
    REQUIRE(ch);
    for (auto& it : ch->items) {
      auto e = codec::decode_envelope(it.envelope);
      REQUIRE(e.ok());
      stored[it.server_seq] = {e->actor, e->seq};
    }
    since = ch->next;
    more = ch->more;
  }
  std::size_t missing = 0;
  for (auto* c : all)
    for (auto& a : c->acks()) {
      auto it = stored.find(a.server_seq);
      if (it == stored.end() || it->second.first != a.actor || it->second.second != a.seq) ++missing;
    }
  CHECK(missing == 0);

  // All clients reconnect and converge, with every change of everyone.
  for (auto* c : all) REQUIRE(c->connect(srv2->port()));
  REQUIRE(sync_all(all, 60s));
  for (auto* c : all) {
    CHECK(c->rep().pending_count() == 0);
    CHECK(c->rep().digest() == all[0]->rep().digest());
  }
  CHECK(all[0]->rep().rows("question")->size() == static_cast<std::size_t>(n * round));
}
