// Convergence property: N replicas make random edits (fields, concurrent
// edits of the same texts, deletes) through random partitions, with
// duplicated and reordered delivery, on device clocks that are off by up to
// a year and are set wrong or right during the run (support/clocks.hpp);
// afterwards every replica holds the same state (digest of every
// materialised table and of the registers), and an edit made after seeing
// the others wins everywhere, whatever its device's clock says.
// PACKLINE_PROPERTY_OPS / PACKLINE_PROPERTY_SEEDS make the run longer.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "packline/panel/demo.hpp"
#include "packline/replica/replica.hpp"
#include "support/clocks.hpp"

using namespace packline;

namespace {

std::uint64_t env_or(const char* name, std::uint64_t dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : dflt;
}

struct node {
  std::unique_ptr<replica> r;
  bool online = true;
  std::vector<bytes> inbox;
};

void run(std::uint64_t seed, std::uint64_t n_ops, std::size_t n_replicas) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::vector<node> nodes(n_replicas);
  test::device_clocks clocks(n_replicas, 1'800'000'000'000);
  clocks.pick_all(rng);  // tablets' clocks disagree, by up to a year
  for (auto& n : nodes) {
    bytes s(32);
    for (auto& b : s) b = static_cast<std::uint8_t>(rng());
    auto r = replica::create(s);
    REQUIRE(r.ok());
    REQUIRE((*r)->set_space(demo::space_id()).ok());
    n.r = std::move(*r);
  }
  std::vector<bytes> rows(12);
  for (auto& row : rows) {
    row.resize(16);
    for (auto& b : row) b = static_cast<std::uint8_t>(rng());
  }
  const char* fields[] = {"status", "target", "section"};
  const char* values[] = {"draft", "submitted", "PCC", "Treasurer", "In quarter", "Finance"};
  std::size_t delivered = 0, duplicates = 0, clock_changes = 0;

  auto deliver_some = [&](node& n, bool all) {
    std::uint64_t now = clocks.now(static_cast<std::size_t>(&n - nodes.data()));  // the receiver's own clock
    std::shuffle(n.inbox.begin(), n.inbox.end(), rng);
    std::vector<bytes> keep;
    for (auto& e : n.inbox) {
      if (!all && pick(3) == 0) { keep.push_back(std::move(e)); continue; }  // arrives later
      auto a = n.r->apply(e, 0, now);
      REQUIRE(a.ok());
      ++delivered;
      if (!all && pick(10) == 0) { keep.push_back(e); ++duplicates; }  // delivered twice
    }
    n.inbox = std::move(keep);
  };

  for (std::uint64_t step = 0; step < n_ops; ++step) {
    clocks.advance(1 + pick(50));
    if (clocks.maybe_change(rng, 200)) ++clock_changes;  // a clock set wrong, or put right
    std::size_t mine = pick(n_replicas);
    node& me = nodes[mine];
    std::uint64_t now = clocks.now(mine);
    const bytes& row = rows[pick(rows.size())];
    std::size_t action = pick(100);
    result<std::uint64_t> c = make_error(errc::invalid_argument);
    if (action < 45) {
      c = me.r->commit({op{op_kind::set, "question", row, fields[pick(3)], std::string(values[pick(6)]), {}, {}}}, now);
    } else if (action < 88) {
      std::size_t len = me.r->text("question", row, "body").size();
      if (len > 0 && pick(3) == 0) {
        c = me.r->edit_text("question", row, "body", pick(len), 1 + pick(4), "", now);
      } else {
        std::string s(1 + pick(4), static_cast<char>('a' + pick(26)));
        c = me.r->edit_text("question", row, "body", pick(len + 1), 0, s, now);
      }
    } else if (action < 92) {
      c = me.r->commit({op{op_kind::set, "question", row, "deleted", std::int64_t(pick(2)), {}, {}}}, now);
    } else if (action < 97) {
      node& other = nodes[pick(n_replicas)];
      other.online = !other.online;  // partitions come and go
      continue;
    } else {
      for (auto& n : nodes)
        if (n.online) deliver_some(n, false);
      continue;
    }
    REQUIRE(c.ok());
    bytes env = me.r->pending(1'000'000).back();
    REQUIRE(me.r->acked(me.r->device_id(), *c, step + 1).ok());
    for (auto& n : nodes)
      if (&n != &me) n.inbox.push_back(env);
    if (me.online && pick(4) == 0) deliver_some(me, false);
  }
  for (int round = 0; round < 2; ++round)
    for (auto& n : nodes) {
      n.online = true;
      deliver_some(n, true);
    }
  for (auto& n : nodes) REQUIRE(n.inbox.empty());
  CAPTURE(seed);
  auto converged = [&] {
    bytes want = nodes[0].r->digest();
    for (auto& n : nodes) {
      CHECK(n.r->waiting_count() == 0);
      CHECK(n.r->refused_changes()->empty());
      CHECK(n.r->digest() == want);
    }
  };
  converged();
  for (const auto& row : rows) {
    std::string t = nodes[0].r->text("question", row, "body");
    for (auto& n : nodes) CHECK(n.r->text("question", row, "body") == t);
  }
  // Every tablet in turn, whatever its clock (a year behind included), edits
  // every row's status (and undeletes it) after seeing everything: its edit
  // wins on every replica, with no conflict left on those fields.
  for (std::size_t i = 0; i < n_replicas; ++i) {
    CAPTURE(clocks.skew(i));
    std::string v = "seen-all-" + std::to_string(i);
    std::vector<op> ops;
    for (const auto& row : rows) {
      ops.push_back(op{op_kind::set, "question", row, "status", v, {}, {}});
      ops.push_back(op{op_kind::set, "question", row, "deleted", std::int64_t(0), {}, {}});
    }
    auto c = nodes[i].r->commit(std::move(ops), clocks.now(i));
    REQUIRE(c.ok());
    bytes env = nodes[i].r->pending(1'000'000).back();
    for (std::size_t j = 0; j < n_replicas; ++j)
      if (j != i) REQUIRE(nodes[j].r->apply(env, 0, clocks.now(j)).ok());
    for (auto& n : nodes) {
      CHECK(n.r->rows("question", "status", v)->size() == rows.size());
      auto cfs = n.r->conflicts("question");
      REQUIRE(cfs.ok());
      for (auto& cf : *cfs) CHECK((cf.field != "status" && cf.field != "deleted"));
    }
  }
  converged();
  MESSAGE("seed " << seed << ": " << n_ops << " ops, " << delivered << " deliveries (" << duplicates << " duplicates), "
                  << clock_changes << " clock changes");
}

}  // namespace

TEST_CASE("convergence: 5 replicas, random edits, partitions, duplicated and reordered delivery") {
  std::uint64_t ops = env_or("PACKLINE_PROPERTY_OPS", 10'000);
  std::uint64_t seeds = env_or("PACKLINE_PROPERTY_SEEDS", 1);
  for (std::uint64_t s = 1; s <= seeds; ++s) run(s, ops, 5);
}

TEST_CASE("convergence: many small runs with more replicas") {
  for (std::uint64_t s = 100; s < 110; ++s) run(s, 300, 7);
}
