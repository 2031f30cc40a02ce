// Replica: commit, idempotent and order-independent apply, LWW, persistence.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "packline/demo.hpp"
#include "packline/replica.hpp"
#include "packline/workflow.hpp"

using namespace packline;

namespace {
std::unique_ptr<replica> fresh(const bytes& space = demo::space_id()) {
  auto r = replica::create(crypto::random_bytes(32));
  REQUIRE(r.ok());
  REQUIRE((*r)->set_space(space).ok());
  return std::move(*r);
}
op set(const bytes& row, const char* field, value v) { return op{op_kind::set, "question", row, field, std::move(v)}; }
void deliver(replica& to, const std::vector<bytes>& envs) {
  for (auto& e : envs) REQUIRE(to.apply(e, 0, 2'000'000'000'000).ok());
}
}  // namespace

TEST_CASE("replica: commit materialises and stays pending until acked") {
  auto r = fresh();
  bytes q = new_row_id();
  auto seq = r->commit({set(q, "body", std::string("Why?")), set(q, "status", std::string("draft"))}, 1000);
  REQUIRE(seq.ok());
  CHECK(*seq == 1);
  auto rows = r->rows("question");
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].text("body") == "Why?");
  CHECK(r->pending_count() == 1);
  REQUIRE(r->acked(r->device_id(), 1, 17).ok());
  CHECK(r->pending_count() == 0);
}

TEST_CASE("replica: apply is idempotent and any order gives the same state") {
  auto a = fresh(), b = fresh();
  bytes q = new_row_id();
  REQUIRE(a->commit({set(q, "body", std::string("from a"))}, 1000).ok());
  REQUIRE(b->commit({set(q, "body", std::string("from b"))}, 1000).ok());
  REQUIRE(a->commit({set(q, "status", std::string("submitted"))}, 1001).ok());
  auto ea = a->pending(100), eb = b->pending(100);
  std::vector<bytes> all = ea;
  all.insert(all.end(), eb.begin(), eb.end());
  std::mt19937 rng(42);
  bytes expected;
  for (int round = 0; round < 6; ++round) {
    auto c = fresh();
    auto order = all;
    std::shuffle(order.begin(), order.end(), rng);
    deliver(*c, order);
    deliver(*c, order);  // duplicates change nothing
    if (round == 0) expected = c->digest();
    CHECK(c->digest() == expected);
  }
  deliver(*a, eb);
  deliver(*b, ea);
  CHECK(a->digest() == expected);
  CHECK(b->digest() == expected);
}

TEST_CASE("replica: later HLC wins; ties broken by actor") {
  auto a = fresh(), b = fresh();
  bytes q = new_row_id();
  REQUIRE(a->commit({set(q, "body", std::string("old"))}, 1000).ok());
  REQUIRE(b->commit({set(q, "body", std::string("new"))}, 2000).ok());
  deliver(*a, b->pending(10));
  CHECK((*a->rows("question"))[0].text("body") == "new");
  deliver(*b, a->pending(10));
  CHECK((*b->rows("question"))[0].text("body") == "new");
}

TEST_CASE("replica: save and open continue where they stopped") {
  auto r = fresh();
  bytes q = new_row_id();
  REQUIRE(r->commit({set(q, "body", std::string("kept"))}, 1000).ok());
  auto img = r->save();
  REQUIRE(img.ok());
  auto r2 = replica::open(*img);
  REQUIRE(r2.ok());
  CHECK((*r2)->device_id() == r->device_id());
  CHECK((*r2)->pending_count() == 1);
  CHECK((*r2)->digest() == r->digest());
  auto seq = (*r2)->commit({set(q, "status", std::string("draft"))}, 1001);
  REQUIRE(seq.ok());
  CHECK(*seq == 2);
}

TEST_CASE("replica: corrupt or truncated image is reported, not opened") {
  auto r = fresh();
  auto img = r->save();
  REQUIRE(img.ok());
  bytes truncated(img->begin(), img->begin() + 100);
  CHECK(replica::open(truncated).err().code == errc::corrupt_replica);
  bytes garbage(img->size(), 0x5a);
  CHECK(replica::open(garbage).err().code == errc::corrupt_replica);
}

TEST_CASE("replica: forged, foreign-space and future-dated changes are refused") {
  auto a = fresh(), b = fresh();
  bytes q = new_row_id();
  REQUIRE(a->commit({set(q, "body", std::string("x"))}, 1000).ok());
  auto env = a->pending(1)[0];
  bytes forged = env;
  forged[forged.size() - 70] ^= 1;  // inside the payload
  CHECK_FALSE(b->apply(forged, 1, 2000).ok());
  auto other = fresh(bytes(16, 9));
  CHECK(other->apply(env, 1, 2000).err().code == errc::wrong_space);
  auto future = fresh();
  REQUIRE(future->commit({set(q, "body", std::string("y"))}, 10'000'000).ok());
  CHECK(b->apply(future->pending(1)[0], 2, 1000).err().code == errc::clock_skew);
  CHECK(b->rows("question")->empty());
}

TEST_CASE("replica: demo panel applies and the workflow drafts a question") {
  auto r = fresh();
  auto envs = demo::envelopes(1000);
  REQUIRE(envs.ok());
  deliver(*r, *envs);
  auto ms = workflow::members(*r);
  REQUIRE(ms.ok());
  CHECK(ms->size() == 6);
  auto meetings = workflow::meetings(*r);
  REQUIRE(meetings->size() == 1);
  auto items = workflow::items(*r, (*meetings)[0].id);
  REQUIRE(items->size() == 8);
  CHECK((*items)[4].number == "5");
  CHECK((*items)[4].pages == "9 - 24");
  CHECK(workflow::draft_question(*r, (*items)[4].id, "Q", 2000).err().code == errc::bad_state);
  REQUIRE(workflow::sign_in(*r, (*ms)[0].id).ok());
  CHECK(workflow::draft_question(*r, (*items)[4].id, "  ", 2000).err().code == errc::invalid_argument);
  auto q = workflow::draft_question(*r, (*items)[4].id, "How will response times improve?", 2000);
  REQUIRE(q.ok());
  auto qs = workflow::questions(*r, (*meetings)[0].id);
  REQUIRE(qs->size() == 1);
  CHECK((*qs)[0].body == "How will response times improve?");
  CHECK((*qs)[0].author == (*ms)[0].id);
  CHECK((*qs)[0].item == (*items)[4].id);
  CHECK((*qs)[0].status == "draft");
}
