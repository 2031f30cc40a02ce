// sqlite_store: the server's durable store of sealed changes. Uses a real
// database in a temp folder; envelopes are opaque bytes here (the store never
// parses them), so the tests use small fake ones.
#include <doctest/doctest.h>

#include <filesystem>
#include <atomic>
#include <fstream>
#include <thread>

#include "packline/crypto/crypto.hpp"
#include "sqlite_store.hpp"
#include "support/memory_store.hpp"
#include "support/server_fixture.hpp"
#include "support/server_process.hpp"

using namespace packline;
using namespace packline::server;

namespace {

bytes filled(std::size_t n, std::uint8_t v) { return bytes(n, v); }

incoming_change change(const bytes& actor, std::uint64_t seq, std::size_t size = 40) {
  bytes env = filled(size, static_cast<std::uint8_t>(seq));
  env[0] = actor[0];
  return incoming_change{actor, seq, env};
}

std::unique_ptr<sqlite_store> open_store(const std::string& dir) {
  auto s = sqlite_store::open(dir);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message));
  return std::move(s.value());
}

}  // namespace

TEST_CASE("server store: append assigns consecutive server sequences per space") {
  test::temp_dir tmp;
  auto db = open_store(tmp.sub("data"));
  CHECK(db->schema_version() == 4);
  bytes space_a = filled(16, 0xa1), space_b = filled(16, 0xb2);
  bytes alice = filled(32, 1), bob = filled(32, 2);

  auto r = db->append(space_a, {change(alice, 1), change(alice, 2), change(bob, 1)});
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].server_seq == 1);
  CHECK((*r)[1].server_seq == 2);
  CHECK((*r)[2].server_seq == 3);
  CHECK((*r)[2].inserted);

  // Another space has its own sequence.
  auto rb = db->append(space_b, {change(alice, 3)});
  REQUIRE(rb.ok());
  CHECK((*rb)[0].server_seq == 1);
  CHECK(db->cursor(space_a).value() == 3);
  CHECK(db->cursor(space_b).value() == 1);
  CHECK(db->cursor(filled(16, 0)).value() == 0);
}

TEST_CASE("server store: keeps one sealed lease secret per device, the newest, across a reopen") {
  test::temp_dir tmp;
  bytes space = filled(16, 0xa1), alice = filled(32, 1), bob = filled(32, 2);
  {
    auto db = open_store(tmp.sub("data"));
    CHECK(db->lease(space, alice).value().empty());
    REQUIRE(db->put_lease(space, alice, filled(80, 7)).ok());
    REQUIRE(db->put_lease(space, alice, filled(80, 8)).ok());  // replaces
    REQUIRE(db->put_lease(space, bob, filled(80, 9)).ok());
  }
  auto db = open_store(tmp.sub("data"));
  CHECK(db->lease(space, alice).value() == filled(80, 8));
  CHECK(db->lease(space, bob).value() == filled(80, 9));
  CHECK(db->lease(filled(16, 0xb2), alice).value().empty());  // per space
}

TEST_CASE("server store: replay of a stored (space, actor, seq) is idempotent") {
  test::temp_dir tmp;
  auto db = open_store(tmp.sub("data"));
  bytes space = filled(16, 7), alice = filled(32, 1), bob = filled(32, 2);
  REQUIRE(db->append(space, {change(alice, 1), change(alice, 2)}).ok());

  // Replayed changes keep their server_seq; new ones in the same batch go on.
  incoming_change altered = change(alice, 2);
  altered.envelope = filled(10, 0xee);  // same key, other bytes: still a replay
  auto r = db->append(space, {change(alice, 1), altered, change(bob, 1), change(bob, 1)});
  REQUIRE(r.ok());
  CHECK((*r)[0].server_seq == 1);
  CHECK_FALSE((*r)[0].inserted);
  CHECK((*r)[1].server_seq == 2);
  CHECK_FALSE((*r)[1].inserted);
  CHECK((*r)[2].server_seq == 3);
  CHECK((*r)[2].inserted);
  CHECK((*r)[3].server_seq == 3);  // duplicate inside one batch
  CHECK_FALSE((*r)[3].inserted);
  CHECK(db->cursor(space).value() == 3);

  auto p = db->changes_since(space, 0, 100, 1 << 20);
  REQUIRE(p.ok());
  REQUIRE(p->items.size() == 3);
  CHECK(p->items[1].envelope == change(alice, 2).envelope);  // the first stored bytes win
}

TEST_CASE("server store: changes since a cursor, bounded by count and bytes") {
  test::temp_dir tmp;
  auto db = open_store(tmp.sub("data"));
  bytes space = filled(16, 3), alice = filled(32, 9);
  std::vector<incoming_change> batch;
  for (std::uint64_t s = 1; s <= 10; ++s) batch.push_back(change(alice, s, 100));
  REQUIRE(db->append(space, batch).ok());

  auto all = db->changes_since(space, 0, 100, 1 << 20);
  REQUIRE(all.ok());
  CHECK(all->items.size() == 10);
  CHECK(all->next == 10);
  CHECK_FALSE(all->more);
  for (std::size_t i = 0; i < 10; ++i) CHECK(all->items[i].server_seq == i + 1);

  auto after = db->changes_since(space, 4, 3, 1 << 20);
  REQUIRE(after.ok());
  REQUIRE(after->items.size() == 3);
  CHECK(after->items.front().server_seq == 5);
  CHECK(after->next == 7);
  CHECK(after->more);

  // 250 bytes fit two 100-byte envelopes.
  auto by_bytes = db->changes_since(space, 0, 100, 250);
  REQUIRE(by_bytes.ok());
  CHECK(by_bytes->items.size() == 2);
  CHECK(by_bytes->next == 2);
  CHECK(by_bytes->more);

  // A budget smaller than one envelope still makes progress.
  auto tiny = db->changes_since(space, 0, 100, 10);
  REQUIRE(tiny.ok());
  CHECK(tiny->items.size() == 1);
  CHECK(tiny->more);

  auto none = db->changes_since(space, 10, 100, 1 << 20);
  REQUIRE(none.ok());
  CHECK(none->items.empty());
  CHECK(none->next == 10);
  CHECK_FALSE(none->more);

  auto beyond = db->changes_since(space, 50, 100, 1 << 20);
  REQUIRE(beyond.ok());
  CHECK(beyond->items.empty());
  CHECK(beyond->next == 50);
}

TEST_CASE("server store: survives reopen") {
  test::temp_dir tmp;
  bytes space = filled(16, 5), alice = filled(32, 4);
  bytes def;
  {
    auto db = open_store(tmp.sub("data"));
    REQUIRE(db->append(space, {change(alice, 1), change(alice, 2)}).ok());
    def = db->ensure_default_space(filled(16, 0x42)).value();
    CHECK(def == filled(16, 0x42));
  }
  CHECK(std::filesystem::exists(tmp.sub("data/server.db")));
  auto db = open_store(tmp.sub("data"));
  CHECK(db->schema_version() == 4);
  CHECK(db->cursor(space).value() == 2);
  // The default space is chosen once and kept.
  CHECK(db->ensure_default_space(filled(16, 0x99)).value() == def);
  auto r = db->append(space, {change(alice, 2), change(alice, 3)});
  REQUIRE(r.ok());
  CHECK((*r)[0].server_seq == 2);
  CHECK_FALSE((*r)[0].inserted);
  CHECK((*r)[1].server_seq == 3);
  auto p = db->changes_since(space, 0, 100, 1 << 20);
  REQUIRE(p.ok());
  CHECK(p->items.size() == 3);
}

TEST_CASE("server store: creates its data folder") {
  test::temp_dir tmp;
  std::string nested = tmp.sub("a/b/c");
  { auto db = open_store(nested); }
  CHECK(std::filesystem::is_directory(nested));
  CHECK(std::filesystem::exists(nested + "/server.db"));
}

TEST_CASE("server store: an empty batch commits nothing and fails nothing") {
  test::temp_dir tmp;
  auto db = open_store(tmp.sub("data"));
  auto r = db->append(filled(16, 1), {});
  REQUIRE(r.ok());
  CHECK(r->empty());
  CHECK(db->cursor(filled(16, 1)).value() == 0);
}

TEST_CASE("server store: group commit stores several pushes at once; a bad push is undone alone") {
  test::temp_dir tmp;
  auto db = open_store(tmp.sub("data"));
  bytes a = filled(16, 1), b = filled(16, 2), alice = filled(32, 1), bob = filled(32, 2);
  std::vector<append_request> reqs{
      {a, {change(alice, 1), change(alice, 2)}},
      {b, {change(bob, 1)}},
      {a, {change(bob, 1), incoming_change{bob, 0, filled(8, 1)}}},  // seq 0: refused
      {a, {change(bob, 2), change(alice, 2)}},                       // one new, one replay
  };
  auto out = db->append_group(reqs);
  REQUIRE(out.size() == 4);
  REQUIRE(out[0].ok());
  CHECK(out[0]->at(1).server_seq == 2);
  REQUIRE(out[1].ok());
  CHECK(out[1]->at(0).server_seq == 1);
  CHECK_FALSE(out[2].ok());
  REQUIRE(out[3].ok());
  CHECK(out[3]->at(0).server_seq == 3);  // the refused push took no sequence
  CHECK(out[3]->at(0).inserted);
  CHECK_FALSE(out[3]->at(1).inserted);
  CHECK(db->cursor(a).value() == 3);
  CHECK(db->cursor(b).value() == 1);
  // Durable: another connection sees it.
  auto other = open_store(tmp.sub("data"));
  CHECK(other->cursor(a).value() == 3);
}

TEST_CASE("server store: snapshots upload in chunks, resume, complete, and the newest two are kept") {
  test::temp_dir tmp;
  auto db = open_store(tmp.sub("data"));
  bytes space = filled(16, 3), dev = filled(32, 7), dev2 = filled(32, 8);
  bytes blob(1000);
  for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<std::uint8_t>(i * 7);
  auto part = [&](std::size_t from, std::size_t n) { return bytes(blob.begin() + from, blob.begin() + from + n); };

  CHECK(db->read_snapshot(space, 0, 0, 100).value().meta.cursor == 0);  // none yet
  auto p = db->put_snapshot_chunk(space, dev, 10, 1000, 0, part(0, 400), 2);
  REQUIRE(p.ok());
  CHECK(p->received == 400);
  CHECK_FALSE(p->complete);
  // Not complete: not served.
  CHECK(db->read_snapshot(space, 0, 0, 100).value().meta.cursor == 0);
  // A chunk at the wrong offset (a resend after reconnect) stores nothing and says where to resume.
  auto wrong = db->put_snapshot_chunk(space, dev, 10, 1000, 600, part(600, 400), 2);
  REQUIRE(wrong.ok());
  CHECK(wrong->received == 400);
  // Survives a reopen (durable per chunk), then completes.
  db.reset();
  db = open_store(tmp.sub("data"));
  p = db->put_snapshot_chunk(space, dev, 10, 1000, 400, part(400, 600), 2);
  REQUIRE(p.ok());
  CHECK(p->complete);
  CHECK(p->received == 1000);

  // Read back in pieces.
  bytes got;
  for (std::uint64_t off = 0; off < 1000;) {
    auto c = db->read_snapshot(space, off == 0 ? 0 : 10, off, 300);
    REQUIRE(c.ok());
    CHECK(c->meta.cursor == 10);
    CHECK(c->meta.total == 1000);
    REQUIRE_FALSE(c->data.empty());
    got.insert(got.end(), c->data.begin(), c->data.end());
    off += c->data.size();
  }
  CHECK(got == blob);

  // Two newer snapshots: the one of cursor 10 is dropped, a download of it gets not_found.
  REQUIRE(db->put_snapshot_chunk(space, dev2, 20, 3, 0, bytes{1, 2, 3}, 2).value().complete);
  REQUIRE(db->put_snapshot_chunk(space, dev, 30, 2, 0, bytes{4, 5}, 2).value().complete);
  CHECK(db->read_snapshot(space, 0, 0, 100).value().meta.cursor == 30);
  CHECK(db->read_snapshot(space, 20, 0, 100).value().data == bytes{1, 2, 3});
  auto gone = db->read_snapshot(space, 10, 0, 100);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.err().code == errc::not_found);
  // A second upload of an existing cursor keeps the first (a download may be running).
  REQUIRE(db->put_snapshot_chunk(space, dev2, 30, 2, 0, bytes{9, 9}, 2).value().complete);
  CHECK(db->read_snapshot(space, 30, 0, 100).value().data == bytes{4, 5});
}

// ---------------------------------------------------------------------------
// The store contract, run against every implementation: sqlite_store and the
// in-memory one of the tests (support/memory_store.hpp). A new store (e.g. on
// a distributed SQL database) is added to this list and must pass.

namespace {
struct sqlite_impl {
  test::temp_dir tmp;
  std::unique_ptr<store> db;
  sqlite_impl() : db(open_store(tmp.sub("data"))) {}
};
struct memory_impl {
  std::unique_ptr<store> db = std::make_unique<test::memory_store>();
};
}  // namespace

TEST_CASE_TEMPLATE("server store contract: sequences, replays, paging, group commit, snapshots", impl, sqlite_impl,
                   memory_impl) {
  impl s;
  store& db = *s.db;
  bytes a = filled(16, 1), b = filled(16, 2), alice = filled(32, 1), bob = filled(32, 2);
  // Consecutive sequences per space from 1; replays keep theirs.
  auto r = db.append(a, {change(alice, 1), change(alice, 2), change(alice, 1)});
  REQUIRE(r.ok());
  CHECK(r->at(0).server_seq == 1);
  CHECK(r->at(1).server_seq == 2);
  CHECK_FALSE(r->at(2).inserted);
  CHECK(r->at(2).server_seq == 1);
  CHECK(db.append(b, {change(bob, 9)}).value().at(0).server_seq == 1);
  CHECK(db.cursor(a).value() == 2);
  // A bad batch stores nothing.
  CHECK_FALSE(db.append(a, {change(bob, 1), incoming_change{bob, 0, filled(4, 1)}}).ok());
  CHECK(db.cursor(a).value() == 2);
  // Group commit: one result per request, each all or nothing.
  auto g = db.append_group({{a, {change(bob, 1)}}, {a, {incoming_change{bob, 0, filled(4, 1)}}}, {b, {change(bob, 10)}}});
  REQUIRE(g.size() == 3);
  CHECK(g[0].value().at(0).server_seq == 3);
  CHECK_FALSE(g[1].ok());
  CHECK(g[2].value().at(0).server_seq == 2);
  // Paging by count and bytes, always making progress.
  for (std::uint64_t i = 2; i <= 30; ++i) REQUIRE(db.append(a, {change(bob, i, 100)}).ok());
  auto p = db.changes_since(a, 0, 10, 1 << 20).value();
  CHECK(p.items.size() == 10);
  CHECK(p.more);
  CHECK(p.next == 10);
  auto q = db.changes_since(a, 10, 100, 250).value();
  CHECK(q.items.size() == 2);  // 100-byte envelopes, 250 bytes
  CHECK(q.more);
  CHECK(db.changes_since(a, 0, 100, 1).value().items.size() == 1);
  auto end = db.changes_since(a, 20, 100, 1 << 20).value();
  CHECK(end.next == db.cursor(a).value());
  CHECK_FALSE(end.more);
  // Snapshots: chunked upload with resume, newest kept, unknown is not_found.
  CHECK(db.read_snapshot(a, 0, 0, 10).value().meta.cursor == 0);
  CHECK(db.put_snapshot_chunk(a, alice, 5, 6, 0, bytes{1, 2, 3}, 2).value().received == 3);
  CHECK(db.put_snapshot_chunk(a, alice, 5, 6, 1, bytes{9}, 2).value().received == 3);  // wrong offset: nothing stored
  CHECK(db.put_snapshot_chunk(a, alice, 5, 6, 3, bytes{4, 5, 6}, 2).value().complete);
  auto c = db.read_snapshot(a, 0, 2, 10).value();
  CHECK(c.meta.cursor == 5);
  CHECK(c.meta.total == 6);
  // Up to max bytes from the offset (a store may stop at its own chunk boundary).
  REQUIRE_FALSE(c.data.empty());
  CHECK(c.data.front() == 3);
  CHECK(db.read_snapshot(a, 5, 3, 10).value().data == bytes{4, 5, 6});
  CHECK(db.read_snapshot(a, 4, 0, 10).err().code == errc::not_found);
  CHECK(db.put_snapshot_chunk(a, bob, 7, 1, 0, bytes{7}, 2).value().complete);
  CHECK(db.put_snapshot_chunk(a, bob, 8, 1, 0, bytes{8}, 2).value().complete);
  CHECK(db.read_snapshot(a, 0, 0, 10).value().meta.cursor == 8);
  CHECK(db.read_snapshot(a, 5, 0, 10).err().code == errc::not_found);  // only the newest two are kept
  CHECK(db.read_snapshot(b, 0, 0, 10).value().meta.cursor == 0);
}

TEST_CASE("server store: a change altered on disk fails its digest and is never returned") {
  test::temp_dir tmp;
  bytes space = filled(16, 0xd1), actor = filled(32, 7);
  {
    auto db = open_store(tmp.sub("data"));
    std::vector<incoming_change> batch;
    for (std::uint64_t s = 1; s <= 3; ++s) {
      auto c = change(actor, s, 300);
      std::string mark = "MARK-" + std::to_string(s) + "-";
      std::copy(mark.begin(), mark.end(), c.envelope.begin() + 10);
      batch.push_back(c);
    }
    REQUIRE(db->append(space, batch).ok());
  }
  const std::string path = tmp.sub("data/server.db");
  std::string file;
  {
    std::ifstream in(path, std::ios::binary);
    file.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto at = file.find("MARK-2-");
  REQUIRE(at != std::string::npos);
  file[at + 12] ^= 0x10;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << file;

  auto db = open_store(tmp.sub("data"));
  // The change before it is served; the page that would carry it is an error.
  auto first = db->changes_since(space, 0, 1, 1 << 20);
  REQUIRE(first.ok());
  CHECK(first->items.size() == 1);
  auto bad = db->changes_since(space, 1, 10, 1 << 20);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().code == errc::damaged);
  CHECK(bad.err().message.find("fails its digest") != std::string::npos);
}

TEST_CASE("server store: backup takes a consistent copy while the server runs and writes; a server starts on it") {
  test::server_fixture f;
  const bytes space = test::space_of(9);
  REQUIRE(test::push_changes(f.port(), space, 40, 200));
  // Pushes go on during the backup: the copy holds a consistent prefix.
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    while (writing) (void)test::push_changes(f.port(), test::space_of(10), 8, 100);
  });
  test::temp_dir out;
  const std::string bin = test::server_binary();
  const std::string cmd = bin + " backup " + out.sub("copy") + " --data " + f.tmp.sub("data") + " > " +
                          out.sub("said.txt") + " 2>&1";
  int rc = std::system(cmd.c_str());
  writing = false;
  writer.join();
  std::ifstream said_in(out.sub("said.txt"));
  std::string said((std::istreambuf_iterator<char>(said_in)), {});
  INFO(said);
  REQUIRE(rc == 0);
  CHECK(said.find("integrity checked") != std::string::npos);
  // Never over an existing copy.
  CHECK(std::system((cmd + " ").c_str()) != 0);
  // A second server on the copy serves every change acked before it.
  test::server_process restored(out.sub("copy"), out.sub("restored.log"));
  REQUIRE_MESSAGE(restored.start(), restored.error());
  CHECK(test::pull_all(restored.port(), space) == 40);
  CHECK(test::pull_all(restored.port(), test::space_of(10)) >= 0);
  // A folder without a store is an error in words.
  auto missing = std::system((bin + " backup " + out.sub("x") + " --data " + out.sub("nothing") + " 2>/dev/null").c_str());
  CHECK(missing != 0);
}
