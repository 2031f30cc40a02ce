// Text CRDT: local edits against a plain reference string, concurrent edits
// converging in every delivery order, encoding round trips.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "packline/crdt/text.hpp"

using namespace packline;

namespace {
bytes actor(std::uint8_t n) { return bytes(32, n); }

struct peer {
  text_doc doc;
  bytes id;
  std::uint64_t counter = 1;
  std::vector<text_op> log;  // every op this peer made
  std::u32string ref;        // reference text for local-only checks
};

// Delivers ops, retrying those whose predecessors are not there yet.
void deliver(text_doc& d, std::vector<text_op> ops) {
  for (int round = 0; !ops.empty() && round < 1000; ++round) {
    std::vector<text_op> later;
    for (auto& op : ops) {
      auto r = d.apply(op);
      if (!r) {
        REQUIRE(r.err().code == errc::bad_state);
        later.push_back(op);
      }
    }
    ops.swap(later);
  }
  REQUIRE(ops.empty());
}
}  // namespace

TEST_CASE("text: local edits match a reference string, in code points") {
  peer p{{}, actor(1)};
  std::mt19937 rng(7);
  const std::u32string alphabet = U"abc é€😀\n";
  for (int i = 0; i < 3000; ++i) {
    if (p.ref.empty() || rng() % 3) {
      std::size_t pos = rng() % (p.ref.size() + 1);
      std::u32string s(1 + rng() % 4, alphabet[rng() % alphabet.size()]);
      (void)p.doc.insert(p.id, p.counter, pos, u32_to_utf8(s));
      p.ref.insert(pos, s);
    } else {
      std::size_t pos = rng() % p.ref.size();
      std::size_t len = 1 + rng() % 5;
      (void)p.doc.remove(pos, len);
      p.ref.erase(pos, std::min(len, p.ref.size() - pos));
    }
    REQUIRE(p.doc.size() == p.ref.size());
  }
  CHECK(p.doc.text() == u32_to_utf8(p.ref));
}

TEST_CASE("text: typing coalesces into few runs") {
  peer p{{}, actor(1)};
  for (int i = 0; i < 1000; ++i) (void)p.doc.insert(p.id, p.counter, p.doc.size(), "x");
  CHECK(p.doc.run_count() == 1);
  CHECK(p.counter == 1001);
}

TEST_CASE("text: concurrent inserts at the same place interleave the same everywhere") {
  peer a{{}, actor(1)}, b{{}, actor(2)};
  auto base = a.doc.insert(a.id, a.counter, 0, "Hello world");
  deliver(b.doc, base);
  auto oa = a.doc.insert(a.id, a.counter, 5, ", dear");
  auto ob = b.doc.insert(b.id, b.counter, 5, " there");
  auto oc = b.doc.remove(0, 1);
  deliver(a.doc, ob);
  deliver(a.doc, oc);
  deliver(b.doc, oa);
  CHECK(a.doc.text() == b.doc.text());
  CHECK(a.doc.text().find(", dear") != std::string::npos);
  CHECK(a.doc.text().find(" there") != std::string::npos);
  CHECK(a.doc.text().substr(0, 4) == "ello");
}

TEST_CASE("text: three peers, random edits and delivery orders, converge") {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    std::vector<peer> ps(3);
    for (int i = 0; i < 3; ++i) ps[i].id = actor(static_cast<std::uint8_t>(10 + i));
    std::vector<std::vector<text_op>> inbox(3);
    for (int step = 0; step < 300; ++step) {
      int who = static_cast<int>(rng() % 3);
      peer& p = ps[who];
      std::vector<text_op> ops;
      if (p.doc.size() == 0 || rng() % 3) {
        std::string s(1 + rng() % 3, static_cast<char>('a' + who));
        ops = p.doc.insert(p.id, p.counter, rng() % (p.doc.size() + 1), s);
      } else {
        ops = p.doc.remove(rng() % p.doc.size(), 1 + rng() % 3);
      }
      for (int j = 0; j < 3; ++j)
        if (j != who) inbox[j].insert(inbox[j].end(), ops.begin(), ops.end());
      if (rng() % 5 == 0) {  // someone comes online and receives a shuffled backlog
        int r = static_cast<int>(rng() % 3);
        std::shuffle(inbox[r].begin(), inbox[r].end(), rng);
        deliver(ps[r].doc, std::move(inbox[r]));
        inbox[r].clear();
      }
    }
    for (int j = 0; j < 3; ++j) {
      std::shuffle(inbox[j].begin(), inbox[j].end(), rng);
      deliver(ps[j].doc, inbox[j]);
      deliver(ps[j].doc, inbox[j]);  // duplicates are no-ops
    }
    CAPTURE(seed);
    CHECK(ps[0].doc.text() == ps[1].doc.text());
    CHECK(ps[1].doc.text() == ps[2].doc.text());
  }
}

TEST_CASE("text: encode/decode round-trips and keeps merging") {
  peer a{{}, actor(1)}, b{{}, actor(2)};
  auto o1 = a.doc.insert(a.id, a.counter, 0, "The quick brown fox");
  (void)a.doc.remove(4, 6);
  auto o2 = a.doc.insert(a.id, a.counter, 4, "slow ");
  auto enc = a.doc.encode();
  auto d = text_doc::decode(enc);
  REQUIRE(d.ok());
  CHECK(d->text() == a.doc.text());
  CHECK(d->encode() == enc);
  // b edits concurrently from the original; both sides merge.
  deliver(b.doc, o1);
  auto ob = b.doc.insert(b.id, b.counter, b.doc.size(), " jumps");
  deliver(*d, ob);
  deliver(a.doc, ob);
  CHECK(d->text() == a.doc.text());
  CHECK(a.doc.text() == "The slow brown fox jumps");
}

TEST_CASE("text: damaged encodings are refused") {
  peer a{{}, actor(1)};
  (void)a.doc.insert(a.id, a.counter, 0, "abc");
  auto enc = a.doc.encode();
  for (std::size_t n = 0; n < enc.size(); ++n) {
    bytes cut(enc.begin(), enc.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(text_doc::decode(cut).ok());
  }
  CHECK_FALSE(text_doc::decode(bytes{0xff, 0xff}).ok());
}

TEST_CASE("text: ops naming unknown text wait (bad_state), unknown kinds are malformed") {
  peer a{{}, actor(1)}, b{{}, actor(2)};
  auto o1 = a.doc.insert(a.id, a.counter, 0, "ab");
  auto o2 = a.doc.insert(a.id, a.counter, 1, "X");
  CHECK(b.doc.apply(o2[0]).err().code == errc::bad_state);
  REQUIRE(b.doc.apply(o1[0]).ok());
  REQUIRE(b.doc.apply(o2[0]).ok());
  CHECK(b.doc.text() == "aXb");
  text_op bad;
  bad.k = text_op::kind::remove;
  bad.id = {actor(1), 1};
  bad.len = 0;
  CHECK(b.doc.apply(bad).err().code == errc::malformed);
}

TEST_CASE("text: long documents are stored deflated and still round-trip") {
  peer a{{}, actor(1)};
  std::mt19937 rng(11);
  for (int i = 0; i < 4000; ++i) {
    std::size_t pos = a.doc.size() ? rng() % (a.doc.size() + 1) : 0;
    (void)a.doc.insert(a.id, a.counter, pos, i % 7 ? "word " : "Commissioner ");
    if (i % 5 == 0 && a.doc.size() > 10) (void)a.doc.remove(rng() % (a.doc.size() - 5), 3);
  }
  auto enc = a.doc.encode();
  CHECK(enc[0] == 3);  // deflated
  auto d = text_doc::decode(enc);
  REQUIRE(d.ok());
  CHECK(d->text() == a.doc.text());
  bytes damaged = enc;
  damaged[damaged.size() / 2] ^= 0x5a;
  CHECK_FALSE(text_doc::decode(damaged).ok());  // the zlib checksum catches it
  bytes truncated(enc.begin(), enc.begin() + static_cast<std::ptrdiff_t>(enc.size() / 2));
  CHECK_FALSE(text_doc::decode(truncated).ok());
}
