// Convergence property: N replicas make random edits (fields, concurrent
// edits of the same texts, deletes) through random partitions, with
// duplicated and reordered delivery; afterwards every replica holds the same
// state (digest of every materialised table and of the registers).
// PACKLINE_PROPERTY_OPS / PACKLINE_PROPERTY_SEEDS make the run longer.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "packline/demo.hpp"
#include "packline/replica.hpp"

using namespace packline;

namespace {

std::uint64_t env_or(const char* name, std::uint64_t dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : dflt;
}

struct node {
  std::unique_ptr<replica> r;
  bool online = true;
  std::int64_t skew_ms = 0;
  std::vector<bytes> inbox;
};

void run(std::uint64_t seed, std::uint64_t n_ops, std::size_t n_replicas) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::vector<node> nodes(n_replicas);
  for (auto& n : nodes) {
    bytes s(32);
    for (auto& b : s) b = static_cast<std::uint8_t>(rng());
    auto r = replica::create(s);
    REQUIRE(r.ok());
    REQUIRE((*r)->set_space(demo::space_id()).ok());
    n.r = std::move(*r);
    n.skew_ms = static_cast<std::int64_t>(pick(120'000)) - 60'000;  // tablets' clocks disagree
  }
  std::vector<bytes> rows(12);
  for (auto& row : rows) {
    row.resize(16);
    for (auto& b : row) b = static_cast<std::uint8_t>(rng());
  }
  const char* fields[] = {"status", "target", "section"};
  const char* values[] = {"draft", "submitted", "PCC", "Treasurer", "In quarter", "Finance"};
  std::uint64_t clock = 1'800'000'000'000;
  std::size_t delivered = 0, duplicates = 0;

  auto deliver_some = [&](node& n, bool all) {
    std::shuffle(n.inbox.begin(), n.inbox.end(), rng);
    std::vector<bytes> keep;
    for (auto& e : n.inbox) {
      if (!all && pick(3) == 0) { keep.push_back(std::move(e)); continue; }  // arrives later
      auto a = n.r->apply(e, 0, clock + 600'000);
      REQUIRE(a.ok());
      ++delivered;
      if (!all && pick(10) == 0) { keep.push_back(e); ++duplicates; }  // delivered twice
    }
    n.inbox = std::move(keep);
  };

  for (std::uint64_t step = 0; step < n_ops; ++step) {
    clock += 1 + pick(50);
    node& me = nodes[pick(n_replicas)];
    std::uint64_t now = static_cast<std::uint64_t>(static_cast<std::int64_t>(clock) + me.skew_ms);
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
  bytes want = nodes[0].r->digest();
  for (auto& n : nodes) {
    CHECK(n.r->waiting_count() == 0);
    CHECK(n.r->digest() == want);
  }
  for (const auto& row : rows) {
    std::string t = nodes[0].r->text("question", row, "body");
    for (auto& n : nodes) CHECK(n.r->text("question", row, "body") == t);
  }
  MESSAGE("seed " << seed << ": " << n_ops << " ops, " << delivered << " deliveries (" << duplicates << " duplicates)");
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
