// The panel's workflow in the core: import into a replica, republication and
// re-anchoring, annotations, questions and the panel's rules, public
// submissions, priorities and KLOEs, consolidation, answers and actions, and
// the role rules (rules::check) behind every write.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "packline/panel/demo.hpp"
#include "packline/panel/export.hpp"
#include "packline/base/limits.hpp"
#include "packline/rules/rules.hpp"
#include "packline/panel/workflow.hpp"
#include "packs.hpp"

using namespace packline;
namespace wf = packline::workflow;

namespace {

constexpr std::uint64_t t0 = 1'607'000'000'000;  // early December 2020

struct panel {
  std::unique_ptr<replica> r;
  std::string clerk, chair, vice, m1, m2, indep;
  panel() {
    auto x = replica::create(crypto::random_bytes(32));
    REQUIRE(x.ok());
    r = std::move(*x);
    REQUIRE(r->set_space(crypto::random_bytes(16)).ok());
    auto c = wf::register_member(*r, "Elaine Tibble", "clerk", t0);
    REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.err().message));
    clerk = *c;
    chair = add("Mike Short", "chair");
    vice = add("Bobbie Dove", "vice_chair");
    m1 = add("Sherry Jespersen", "member");
    m2 = add("Pete Barrow", "member");
    indep = add("Iain McVie", "independent_member");
  }
  std::string add(const char* name, const char* role) {
    as(clerk);
    auto id = wf::add_member(*r, name, role, t0);
    REQUIRE(id.ok());
    return *id;
  }
  void as(const std::string& member) { REQUIRE(wf::sign_in(*r, member).ok()); }
  wf::import_report import(const std::string& text, std::uint64_t now = t0) {
    as(clerk);
    auto p = pack::parse_text(text);
    REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.err().message));
    wf::import_options o;
    o.add_members = o.add_priorities = true;  // the clerk confirmed the preview
    auto rep = wf::import_pack(*r, *p, o, now);
    REQUIRE_MESSAGE(rep.ok(), (rep.ok() ? "" : rep.err().message));
    return *rep;
  }
  std::vector<wf::agenda_item> items(const std::string& meeting) {
    auto it = wf::items(*r, meeting);
    REQUIRE(it.ok());
    return *it;
  }
  wf::agenda_item item(const std::string& meeting, const std::string& number) {
    for (auto& i : items(meeting))
      if (i.number == number) return i;
    FAIL("no item " << number);
    return {};
  }
};

std::string err(const result<std::string>& r) { return r.ok() ? std::string("(ok)") : r.err().message; }
std::string err(const result<void>& r) { return r.ok() ? std::string("(ok)") : r.err().message; }

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "test text not found: " << from);
  return s.replace(at, from.size(), to);
}

}  // namespace

PACKS_TEST_CASE("workflow: the clerk imports the December 2020 pack into the replica") {
  panel p;
  auto text = test::read_pack(test::december_2020);
  std::size_t calls = 0, last_done = 0;
  auto parsed = pack::parse_text(text);
  REQUIRE(parsed.ok());
  p.as(p.clerk);
  wf::import_options o;
  o.source = "pcp-2020-12-10-agenda-pack.txt";
  o.add_priorities = true;
  o.progress = [&](std::string_view stage, std::size_t done, std::size_t total) {
    CHECK(stage == "write");
    CHECK(done <= total);
    CHECK(done >= last_done);
    last_done = done;
    ++calls;
  };
  auto rep = wf::import_pack(*p.r, *parsed, o, t0);
  REQUIRE_MESSAGE(rep.ok(), err(result<std::string>(rep.ok() ? result<std::string>("") : rep.err())));
  CHECK(rep->items == 13);
  CHECK(rep->version == 1);
  CHECK(rep->changes >= 3);  // split to fit the envelope limit
  CHECK(calls == rep->changes + 1);
  CHECK(rep->forward_plan == 18);
  CHECK(rep->priorities == 4);
  // Every change fits the protocol's limits.
  for (auto& e : p.r->pending(1000)) CHECK(e.size() <= limits::max_envelope_bytes);

  auto ms = wf::meetings(*p.r);
  REQUIRE(ms->size() == 1);
  auto& m = (*ms)[0];
  CHECK(m.title == "Dorset Police and Crime Panel");
  CHECK(m.date == "2020-12-10");
  CHECK(m.time == "10:00");
  CHECK(m.chair == "Mike Short");
  CHECK(m.quorum == 3);
  CHECK(m.pack == rep->pack);
  auto items = p.items(m.id);
  REQUIRE(items.size() == 13);
  CHECK(items[4].number == "5");
  CHECK(items[4].title == "POLICE AND CRIME PLAN MONITORING REPORT");
  CHECK(items[4].pages == "15 - 24");
  CHECK(items[4].document == "Police & Crime Plan Monitoring Report – Q2 2020/21");
  CHECK(items[12].exempt);
  auto bs = wf::blocks(*p.r, items[4].id);
  REQUIRE(bs.ok());
  CHECK(bs->size() > 100);
  // Its papers start at its paper (the agenda line stays on the front sheet),
  // on page 15; text pages are known only where the pack marks them.
  CHECK(bs->front().page == 15);
  CHECK(bs->front().text.rfind("POLICE AND CRIME PLAN MONITORING REPORT", 0) != 0);
  CHECK(std::all_of(bs->begin(), bs->end(), [](auto& b) { return b.page == 0 || (b.page >= 15 && b.page <= 24); }));
  CHECK(wf::forward_plan(*p.r)->size() == 18);
  CHECK(wf::priorities(*p.r)->size() == 4);

  // The same file again changes nothing.
  auto again = wf::import_pack(*p.r, *parsed, o, t0 + 1000);
  REQUIRE(again.ok());
  CHECK(again->unchanged);
  CHECK(wf::packs(*p.r, m.id)->size() == 1);

  // Only the clerk publishes.
  p.as(p.chair);
  auto refused = wf::import_pack(*p.r, *parsed, {}, t0);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.err().message == "only the clerk publishes packs and meetings");
}

PACKS_TEST_CASE("workflow: the front sheet's membership adds the members not on the panel yet, with the roles it states") {
  panel p;  // Elaine Tibble (clerk), Mike Short, Bobbie Dove, Sherry Jespersen, Pete Barrow, Iain McVie
  auto rep = p.import(test::read_pack(test::december_2020));
  CHECK(rep.members == 7);
  auto ms = wf::members(*p.r);
  REQUIRE(ms->size() == 13);
  std::map<std::string, std::string> role;
  for (auto& m : *ms) role[m.name] = m.role;
  for (const char* n : {"George Farquhar", "Les Fry", "Barry Goringe", "May Haines", "Rachel Maidment", "Lisa Northover",
                        "David Taylor"})
    CHECK(role[n] == "member");
  CHECK(role["Mike Short"] == "chair");
  CHECK(role["Iain McVie"] == "independent_member");  // kept: the front sheet does not say
  // A revised pack adds no one twice.
  CHECK(p.import(replace_once(test::read_pack(test::december_2020), "Time: 10.00 am", "Time: 10.30 am"), t0 + 1).members == 0);
  CHECK(wf::members(*p.r)->size() == 13);

  // On a new panel the chair and vice-chair get their roles from the front sheet.
  auto fresh = replica::create(crypto::random_bytes(32));
  REQUIRE(fresh.ok());
  REQUIRE((*fresh)->set_space(crypto::random_bytes(16)).ok());
  REQUIRE(wf::register_member(**fresh, "Elaine Tibble", "clerk", t0).ok());
  wf::import_options confirmed;
  confirmed.add_members = true;
  auto imported = wf::import_pack(**fresh, *pack::parse_text(test::read_pack(test::december_2020)), confirmed, t0);
  REQUIRE(imported.ok());
  CHECK(imported->members == 12);
  role.clear();
  auto listed = wf::members(**fresh);
  for (auto& m : *listed) role[m.name] = m.role;
  CHECK(role.size() == 13);
  CHECK(role["Mike Short"] == "chair");
  CHECK(role["Bobbie Dove"] == "vice_chair");
  CHECK(role["Iain McVie"] == "member");
  CHECK(role["Elaine Tibble"] == "clerk");  // the contact on the front sheet is not a member
  // Adding a member already there (an invite after the import) keeps their row.
  std::string dove;
  for (auto& m : *listed)
    if (m.name == "Bobbie Dove") dove = m.id;
  auto again = wf::add_member(**fresh, "Cllr Bobbie Dove", "chair", t0 + 1);
  REQUIRE(again.ok());
  CHECK(*again == dove);
  listed = wf::members(**fresh);
  CHECK(listed->size() == 13);
  for (auto& m : *listed)
    if (m.id == dove) CHECK(m.role == "chair");
}

namespace {
// A short fictional pack for the meeting whose minutes the sample pack carries.
constexpr const char* september_2026 = R"(Avonmere Police and Crime Panel

Date: Thursday, 10 September 2026
Time: 10.00 am
Venue: Council Chamber, County Hall, Avonmere

A G E N D A

1 APOLOGIES

To receive any apologies for absence.

2 POLICE AND CRIME PLAN MONITORING REPORT: QUARTER 1

To receive the Commissioner's report.
)";
}  // namespace

TEST_CASE("workflow: answers in the next pack's minutes and appendix become responses to the list's questions") {
  panel p;
  auto sep = p.import(september_2026);
  auto it = p.item(sep.meeting, "2");
  std::vector<std::string> q;
  for (auto* body : {"How many neighbourhood officers went to response duties?", "Is overtime overspent?",
                     "Are rural patrols increasing over the harvest season?"}) {
    p.as(p.m1);
    auto id = wf::draft_question(*p.r, it.id, body, t0 + q.size());
    REQUIRE(id.ok());
    q.push_back(*id);
  }
  p.as(p.chair);
  wf::consolidated_draft c;
  c.meeting = sep.meeting;
  std::vector<std::string> list;
  // Q1 in other words than the appendix prints: tied by its number (it names a Question Lead).
  for (auto [src, body] : {std::pair{0, "Were local teams abstracted to cover response over the summer?"},
                           std::pair{1, "What is the forecast overspend on overtime?"},
                           std::pair{2, "Are rural patrols increasing over the harvest season?"}}) {
    c.sources = {q[static_cast<std::size_t>(src)]};
    c.body = body;
    auto id = wf::consolidate(*p.r, c, t0 + 10);
    REQUIRE(id.ok());
    list.push_back(*id);
  }
  auto rep = p.import(std::string(demo::sample_pack()), t0 + 20);
  CHECK(rep.answers == 4);
  CHECK(rep.answers_linked == 3);
  CHECK(rep.answers_unplaced == 0);
  auto rs = wf::responses(*p.r, sep.meeting);
  REQUIRE(rs->size() == 4);
  std::map<std::string, wf::response> to;
  for (auto& x : *rs) to[x.consolidated] = x;
  CHECK(to[list[0]].recording_time == "01:05:10");
  CHECK(to[list[0]].text.rfind("Eleven officers were moved", 0) == 0);
  CHECK(to[list[1]].written);
  CHECK(to[list[1]].text == "The forecast overspend on overtime is £410,000, to be met from the operational reserve.");
  CHECK(to[list[2]].recording_time == "00:44:02");  // a minutes paragraph
  CHECK(to[""].recording_time == "00:31:15");       // on a question not on the list
  CHECK(to[""].text.rfind("In response to a question on 101 call waiting times", 0) == 0);
  auto qs = wf::questions(*p.r, sep.meeting);
  REQUIRE(qs->size() == 3);
  CHECK(qs->at(0).outcome == "answered at the meeting (Q1)");
  CHECK(qs->at(1).outcome == "answered in writing (Q2)");
  CHECK(qs->at(2).outcome == "answered at the meeting (Q3)");
  // Republishing the pack records the same answers again, not twice.
  p.import(replace_once(std::string(demo::sample_pack()), "Time: 10.00 am", "Time: 10.30 am"), t0 + 30);
  CHECK(wf::responses(*p.r, sep.meeting)->size() == 4);
}

TEST_CASE("workflow: an imported answer names the member's own draft where the words tell") {
  panel p;
  auto sep = p.import(september_2026);
  auto it = p.item(sep.meeting, "2");
  auto draft = [&](const std::string& who, const char* body) {
    p.as(who);
    auto id = wf::draft_question(*p.r, it.id, body, t0 + 1);
    REQUIRE(id.ok());
    return *id;
  };
  std::string officers = draft(p.m1, "How many neighbourhood officers went to response duties?");
  std::string cover = draft(p.m2, "Has response cover reduced neighbourhood policing in Avonmere?");
  std::string overtime = draft(p.m1, "Is overtime overspent?");
  std::string calls = draft(p.m2, "What are the 101 call waiting times?");  // never consolidated
  p.as(p.chair);
  wf::consolidated_draft c;
  c.meeting = sep.meeting;
  c.sources = {officers, cover};
  c.body = "Were local teams abstracted to cover response over the summer?";
  auto q1 = wf::consolidate(*p.r, c, t0 + 10);
  c.sources = {overtime};
  c.body = "What is the forecast overspend on overtime?";
  auto q2 = wf::consolidate(*p.r, c, t0 + 10);
  REQUIRE(q1.ok());
  REQUIRE(q2.ok());
  auto rep = p.import(std::string(demo::sample_pack()), t0 + 20);
  CHECK(rep.answers == 4);
  CHECK(rep.answers_linked == 2);
  CHECK(rep.answers_to_drafts == 3);
  auto rs = wf::responses(*p.r, sep.meeting);
  REQUIRE(rs.ok());
  std::map<std::string, wf::response> by_draft;
  for (auto& x : *rs) by_draft[x.question] = x;
  // Q1 merged two drafts; the appendix prints the words of Sherry's, not of the other.
  CHECK(by_draft[officers].consolidated == *q1);
  CHECK(by_draft[officers].recording_time == "01:05:10");
  CHECK_FALSE(by_draft.count(cover));
  CHECK(by_draft[overtime].consolidated == *q2);
  CHECK(by_draft[overtime].written);
  // Off the list: the minutes' answer on 101 waiting times goes to that draft.
  CHECK(by_draft[calls].consolidated.empty());
  CHECK(by_draft[calls].recording_time == "00:31:15");
  CHECK(by_draft[calls].text.rfind("In response to a question on 101 call waiting times", 0) == 0);
  CHECK(by_draft[""].text.rfind("Cllr Rees asked a question about rural patrols", 0) == 0);  // nobody's draft
  std::map<std::string, std::string> outcome;
  auto qs = wf::questions(*p.r, sep.meeting);
  REQUIRE(qs.ok());
  for (auto& q : *qs) outcome[q.id] = q.outcome;
  CHECK(outcome[officers] == "answered at the meeting (Q1)");
  CHECK(outcome[cover] == "answered at the meeting (Q1)");
  CHECK(outcome[overtime] == "answered in writing (Q2)");
  CHECK(outcome[calls] == "answered at the meeting");
}

PACKS_TEST_CASE("workflow: minutes of a meeting the panel has no record of are not placed") {
  panel p;
  auto rep = p.import(std::string(demo::sample_pack()));
  CHECK(rep.answers == 0);
  CHECK(rep.answers_unplaced == 4);
  CHECK(wf::meetings(*p.r)->size() == 1);  // no meeting is made up for them
  // December 2020: its minutes cite no recording time, so they record no answer.
  CHECK(p.import(test::read_pack(test::december_2020)).answers_unplaced == 0);
}

PACKS_TEST_CASE("workflow: republication re-anchors annotations and lists what changed") {
  panel p;
  std::string v1 = test::read_pack(test::december_2020);
  auto rep1 = p.import(v1);
  auto m = rep1.meeting;
  auto fraud = p.item(m, "9"), hw = p.item(m, "8");
  auto find_block = [&](const wf::agenda_item& it, const std::string& starts) {
    auto bs = wf::blocks(*p.r, it.id);
    REQUIRE(bs.ok());
    for (auto& b : *bs)
      if (b.text.rfind(starts, 0) == 0) return b;
    FAIL("no block starting " << starts);
    return wf::block_view{};
  };
  auto note = [&](const wf::block_view& b, const std::string& quote, const char* vis = "panel") {
    auto at = b.text.find(quote);
    REQUIRE(at != std::string::npos);
    wf::annotation_draft d;
    d.block = b.id;
    d.start = static_cast<std::int64_t>(at);
    d.end = static_cast<std::int64_t>(at + quote.size());
    d.kind = "note";
    d.body = "ask about this";
    d.visibility = vis;
    auto id = wf::annotate(*p.r, d, t0 + 10);
    REQUIRE_MESSAGE(id.ok(), err(id));
    return *id;
  };
  p.as(p.m1);
  // Untouched paragraph, a paragraph whose words change, one that is removed,
  // and one that moves to another page when text is inserted before it.
  auto b_same = find_block(hw, "5.3. Average working days lost");
  auto b_changed = find_block(fraud, "Spotlight: The lack of local fraud data");
  auto b_gone = find_block(fraud, "6.4 Members are asked to note the report.");
  auto b_moved = find_block(hw, "7.1");
  auto a_same = note(b_same, "Average working days lost");
  auto a_changed = note(b_changed, "local fraud data");
  auto a_gone = note(b_gone, "Members are asked to note the report");
  const std::string moved_quote = b_moved.text.substr(40, 30);
  auto a_moved = note(b_moved, moved_quote);

  std::string v2 = replace_once(v1, "Spotlight: The lack of local fraud data as a barrier",
                                "Spotlight: The lack of local and regional fraud figures as a barrier");
  v2 = replace_once(v2, "6.4 Members are asked to note the report.\n", "\n");
  // A sentence put before the conclusion's paragraph moves the quote within it.
  v2 = replace_once(v2, "- 7.1. As before", "- 7.1. Since the report was written, two initiatives have ended. As before");
  auto rep2 = p.import(v2, t0 + 100);
  CHECK(rep2.version == 2);
  CHECK(rep2.meeting == m);
  CHECK_FALSE(rep2.unchanged);
  // Items keep their ids across versions.
  CHECK(p.item(m, "9").id == fraud.id);

  std::map<std::string, wf::annotation> by_id;
  for (auto& a : rep2.annotations) by_id[a.id] = a;
  REQUIRE(by_id.size() == 4);
  CHECK(by_id[a_same].status == wf::anchor_status::exact);
  CHECK(by_id[a_same].current_text == "Average working days lost");
  CHECK(by_id[a_moved].status == wf::anchor_status::moved);
  CHECK(by_id[a_moved].cur_start == by_id[a_moved].start + 58);
  CHECK(by_id[a_moved].current_text == moved_quote);
  CHECK(by_id[a_changed].status == wf::anchor_status::text_changed);
  CHECK(by_id[a_changed].quote == "local fraud data");
  CHECK(by_id[a_changed].current_text == "local and regional fraud figures");
  CHECK(by_id[a_gone].status == wf::anchor_status::orphaned);
  CHECK(by_id[a_gone].body == "ask about this");  // nothing is deleted

  // What changed since version 1.
  std::size_t changed = 0, removed = 0, added = 0;
  for (auto& c : rep2.changed_blocks) {
    changed += c.kind == "changed";
    removed += c.kind == "removed";
    added += c.kind == "added";
    if (c.kind == "changed" && c.item == fraud.id) {
      CHECK(c.old_text.find("local fraud data") != std::string::npos);
      CHECK(c.new_text.find("local and regional fraud figures") != std::string::npos);
    }
    if (c.kind == "changed" && c.item == hw.id) CHECK(c.new_text.find("two initiatives have ended") != std::string::npos);
    if (c.kind == "removed") CHECK(c.old_text == "6.4 Members are asked to note the report.");
  }
  CHECK(changed == 2);
  CHECK(removed == 1);
  CHECK(added == 0);
  auto since = wf::pack_changes(*p.r, rep1.pack);
  REQUIRE(since.ok());
  CHECK(since->size() == rep2.changed_blocks.size());
  CHECK(wf::packs(*p.r, m)->size() == 2);

  // An item dropped in a later version is kept, marked removed.
  std::string v3 = replace_once(v2, "12 URGENT ITEMS", "12 URGENT BUSINESS");
  v3 = replace_once(v3, "13 EXEMPT BUSINESS", "");
  p.import(v3, t0 + 200);
  CHECK(p.items(m).size() == 12);
  CHECK(wf::items(*p.r, m, true)->size() == 13);
  CHECK(p.item(m, "12").title == "URGENT BUSINESS");
}

PACKS_TEST_CASE("workflow: each member's read version of a pack; the blocks changed since that member read it") {
  panel p;
  std::string v1 = test::read_pack(test::december_2020);
  auto rep1 = p.import(v1);
  auto m = rep1.meeting;
  auto fraud = p.item(m, "9");
  p.as(p.m1);
  auto none = wf::changed_since_read(*p.r, m);
  REQUIRE(none.ok());
  CHECK(none->read_pack.empty());
  CHECK(none->current_version == 1);
  REQUIRE(wf::mark_read(*p.r, rep1.pack, t0 + 10).ok());
  auto same = wf::changed_since_read(*p.r, m);
  REQUIRE(same.ok());
  CHECK(same->read_pack == rep1.pack);
  CHECK(same->read_version == 1);
  CHECK(same->changed.empty());

  std::string v2 = replace_once(v1, "Spotlight: The lack of local fraud data as a barrier",
                                "Spotlight: The lack of local and regional fraud figures as a barrier");
  auto rep2 = p.import(v2, t0 + 100);
  REQUIRE(rep2.version == 2);
  // Member 1 read version 1: one paragraph of item 9 changed since.
  p.as(p.m1);
  auto since = wf::changed_since_read(*p.r, m);
  REQUIRE(since.ok());
  CHECK(since->read_version == 1);
  CHECK(since->current_version == 2);
  CHECK(since->current_pack == rep2.pack);
  REQUIRE(since->changed.size() == 1);
  CHECK(since->changed[0].kind == "changed");
  CHECK(since->changed[0].item == fraud.id);
  CHECK(since->changed[0].old_text.find("local fraud data") != std::string::npos);
  CHECK(since->changed[0].new_text.find("local and regional fraud figures") != std::string::npos);
  // Member 2 never marked the pack: nothing is "changed since", it is all new.
  p.as(p.m2);
  auto other = wf::changed_since_read(*p.r, m);
  REQUIRE(other.ok());
  CHECK(other->read_pack.empty());
  CHECK(other->changed.empty());
  // The mark is the member's own: another member cannot write it.
  rules::row_change c;
  c.table = "reading";
  c.row = new_row_id();
  c.field = "member";
  c.val = from_hex(p.m1);
  c.actor = from_hex(p.m2);
  CHECK(rules::check(c, rules::role::member).err().code == errc::forbidden);
  c.field = "pack";
  c.val = std::string("x");
  c.row_exists = true;
  c.row_author = from_hex(p.m1);
  CHECK(rules::check(c, rules::role::chair).err().code == errc::forbidden);
  // Member 1 catches up: nothing changed since.
  p.as(p.m1);
  REQUIRE(wf::mark_read(*p.r, rep2.pack, t0 + 200).ok());
  auto now = wf::changed_since_read(*p.r, m);
  REQUIRE(now.ok());
  CHECK(now->read_version == 2);
  CHECK(now->changed.empty());
  // One row per member and meeting, written only by its member.
  auto rows = p.r->rows("reading", "member", from_hex(p.m1));
  REQUIRE(rows.ok());
  CHECK(rows->size() == 1);
}

PACKS_TEST_CASE("workflow: annotations are highlights or notes with a visibility; private ones stay private") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  auto it = p.item(rep.meeting, "5");
  auto bs = wf::blocks(*p.r, it.id);
  REQUIRE(bs.ok());
  auto& b = (*bs)[3];
  p.as(p.m1);
  wf::annotation_draft d;
  d.block = b.id;
  d.start = 0;
  d.end = std::min<std::int64_t>(10, static_cast<std::int64_t>(b.text.size()));
  CHECK(wf::annotate(*p.r, d, t0).ok());  // private highlight
  d.visibility = "panel";
  d.kind = "note";
  CHECK(err(wf::annotate(*p.r, d, t0)) == "a note needs some text");
  d.body = "Compare with Q1";
  CHECK(wf::annotate(*p.r, d, t0).ok());
  d.visibility = "priority";
  CHECK(err(wf::annotate(*p.r, d, t0)) == "choose the priority group that may read this");
  d.priority = wf::priorities(*p.r)->at(0).id;
  CHECK(wf::annotate(*p.r, d, t0).ok());
  d.end = 100000;
  CHECK(err(wf::annotate(*p.r, d, t0)) == "the selected range is outside the paragraph");
  CHECK(wf::annotations(*p.r, rep.meeting)->size() == 3);
  p.as(p.m2);
  auto others = wf::annotations(*p.r, rep.meeting);
  REQUIRE(others->size() == 1);  // m1's private highlight and a group m2 is not in are not listed
  CHECK(others->at(0).visibility == "panel");
}

PACKS_TEST_CASE("workflow: a member reads the panel's annotations, their priority group's and their own private ones") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  auto bs = wf::blocks(*p.r, p.item(rep.meeting, "5").id);
  REQUIRE(bs.ok());
  auto ps = wf::priorities(*p.r);
  REQUIRE(ps->size() >= 2);
  std::string group_a = ps->at(0).id, group_b = ps->at(1).id;
  p.as(p.chair);
  REQUIRE(wf::set_priority_leads(*p.r, group_a, {p.m1, p.indep}, t0).ok());
  REQUIRE(wf::set_priority_leads(*p.r, group_b, {p.m2}, t0).ok());
  auto note = [&](const std::string& who, const char* body, const char* visibility, const std::string& group = {}) {
    p.as(who);
    wf::annotation_draft d;
    d.block = bs->at(3).id;
    d.end = 8;
    d.kind = "note";
    d.body = body;
    d.visibility = visibility;
    d.priority = group;
    auto id = wf::annotate(*p.r, d, t0);
    REQUIRE_MESSAGE(id.ok(), err(id));
    return *id;
  };
  note(p.m1, "m1 private", "private");
  auto a_note = note(p.m1, "m1 for group A", "priority", group_a);
  note(p.m2, "m2 for group B", "priority", group_b);
  note(p.m2, "m2 for the panel", "panel");
  auto seen = [&](const std::string& who) {
    p.as(who);
    auto list = wf::annotations(*p.r, rep.meeting);
    REQUIRE(list.ok());
    std::vector<std::string> bodies;
    for (auto& a : *list) bodies.push_back(a.body);
    std::sort(bodies.begin(), bodies.end());
    return bodies;
  };
  using v = std::vector<std::string>;
  CHECK(seen(p.m1) == v{"m1 for group A", "m1 private", "m2 for the panel"});
  CHECK(seen(p.indep) == v{"m1 for group A", "m2 for the panel"});  // leads group A too
  CHECK(seen(p.m2) == v{"m2 for group B", "m2 for the panel"});
  CHECK(seen(p.chair) == v{"m2 for the panel"});

  // Only the author edits or deletes; an edit changes the words and who reads them.
  p.as(p.indep);
  auto refused = wf::edit_annotation(*p.r, a_note, "taken over", "panel", "", t0 + 1);
  CHECK(refused.err().code == errc::forbidden);
  CHECK(refused.err().message == "only the author edits an annotation");
  CHECK(wf::delete_annotation(*p.r, a_note, t0 + 1).err().message == "only the author edits an annotation");
  p.as(p.m1);
  CHECK(err(wf::edit_annotation(*p.r, a_note, "", "panel", "", t0 + 2)) == "a note needs some text");
  CHECK(err(wf::edit_annotation(*p.r, a_note, "x", "everyone", "", t0 + 2)) == "visibility is private, priority or panel");
  REQUIRE(wf::edit_annotation(*p.r, a_note, "m1 for everyone now", "panel", "", t0 + 2).ok());
  CHECK(seen(p.chair) == v{"m1 for everyone now", "m2 for the panel"});
  {  // the reader can say "edited": when the author last changed it
    auto list = wf::annotations(*p.r, rep.meeting);
    REQUIRE(list.ok());
    for (auto& a : *list) CHECK(a.edited_at == (a.id == a_note ? std::int64_t(t0 + 2) : 0));
  }
  p.as(p.m1);
  REQUIRE(wf::delete_annotation(*p.r, a_note, t0 + 3).ok());
  CHECK(seen(p.chair) == v{"m2 for the panel"});
  CHECK(seen(p.m1) == v{"m1 private", "m2 for the panel"});
}

PACKS_TEST_CASE("workflow: undo: a deleted note comes back for its author only, as it was, and on the other tablets") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  auto bs = wf::blocks(*p.r, p.item(rep.meeting, "5").id);
  REQUIRE(bs.ok());
  p.as(p.m1);
  wf::annotation_draft d;
  d.block = bs->at(3).id;
  d.end = 8;
  d.kind = "note";
  d.body = "Ask about the precept";
  d.visibility = "panel";
  auto id = wf::annotate(*p.r, d, t0);
  REQUIRE(id.ok());
  // Another tablet of the panel, sent every change of this one.
  auto other = replica::create(crypto::random_bytes(32));
  REQUIRE(other.ok());
  REQUIRE((*other)->set_space(p.r->space()).ok());
  std::set<bytes> sent;
  std::uint64_t seq = 0;
  auto sync = [&] {
    for (auto& e : p.r->pending(1'000'000))
      if (sent.insert(e).second) REQUIRE((*other)->apply(e, ++seq, t0 + 50).ok());
  };
  using v = std::vector<std::string>;
  auto seen = [&](replica& r) {
    REQUIRE(wf::sign_in(r, p.chair).ok());
    auto list = wf::annotations(r, rep.meeting);
    REQUIRE(list.ok());
    v out;
    for (auto& a : *list) out.push_back(a.body + " @" + std::to_string(a.created_at - static_cast<std::int64_t>(t0)));
    return out;
  };
  sync();
  CHECK(seen(**other) == v{"Ask about the precept @0"});
  p.as(p.m1);
  REQUIRE(wf::delete_annotation(*p.r, *id, t0 + 1).ok());
  sync();
  CHECK(seen(**other).empty());
  // Nobody else brings it back, not even as their own.
  p.as(p.m2);
  CHECK(err(wf::restore_annotation(*p.r, *id, t0 + 2)) == "only the author edits an annotation");
  p.as(p.m1);
  REQUIRE(wf::restore_annotation(*p.r, *id, t0 + 3).ok());
  CHECK(seen(*p.r) == v{"Ask about the precept @0"});
  sync();
  CHECK(seen(**other) == v{"Ask about the precept @0"});
  // A note not deleted: nothing to do; an unknown one: not found.
  p.as(p.m1);
  auto pending = p.r->pending_count();
  REQUIRE(wf::restore_annotation(*p.r, *id, t0 + 4).ok());
  CHECK(p.r->pending_count() == pending);
  CHECK(wf::restore_annotation(*p.r, to_hex(crypto::random_bytes(16)), t0 + 4).err().code == errc::not_found);
}

PACKS_TEST_CASE("workflow: undo: a merge is undone, back to its group or off the list, its drafts submitted again") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  auto it = p.item(rep.meeting, "5");
  std::vector<std::string> q;
  for (auto* who : {&p.m1, &p.m2, &p.indep}) {
    p.as(*who);
    auto id = wf::draft_question(*p.r, it.id, "Hate crime question " + std::to_string(q.size()), t0 + q.size());
    REQUIRE(wf::submit_question(*p.r, *id, t0).ok());
    q.push_back(*id);
  }
  using v = std::vector<std::string>;
  auto status = [&] {
    v out;
    for (auto& x : *wf::questions(*p.r, rep.meeting)) out.push_back(x.status);
    return out;
  };
  p.as(p.chair);
  // A group merged into the list, then the merge undone: the group is back.
  auto g = wf::group_drafts(*p.r, rep.meeting, {q[0], q[1]}, t0 + 10);
  REQUIRE(g.ok());
  wf::consolidated_draft c;
  c.body = "Recorded hate crime is up: why?";
  REQUIRE(wf::merge_group(*p.r, *g, c, t0 + 11).ok());
  CHECK(status() == v{"consolidated", "consolidated", "submitted"});
  CHECK(err(wf::unmerge(*p.r, *g, true, t0 + 12)) == "(ok)");
  CHECK(wf::consolidated_list(*p.r, rep.meeting)->empty());
  auto gs = wf::groups(*p.r, rep.meeting);
  REQUIRE(gs->size() == 1);
  CHECK(gs->at(0).sources == v{q[0], q[1]});
  CHECK(status() == v{"submitted", "submitted", "submitted"});
  CHECK(wf::unmerge(*p.r, *g, true, t0 + 13).err().code == errc::bad_state);  // a group already
  // Drafts merged straight into a new question, then undone: off the list.
  wf::consolidated_draft n;
  n.meeting = rep.meeting;
  n.sources = {q[2]};
  n.body = "What is the hate crime plan?";
  auto x = wf::consolidate(*p.r, n, t0 + 14);
  REQUIRE(x.ok());
  CHECK(status() == v{"submitted", "submitted", "consolidated"});
  // Only the chair or vice-chair edits the list, so only they undo a merge.
  p.as(p.m1);
  CHECK(wf::unmerge(*p.r, *x, false, t0 + 15).err().code == errc::forbidden);
  p.as(p.vice);
  REQUIRE(wf::unmerge(*p.r, *x, false, t0 + 15).ok());
  CHECK(wf::consolidated_list(*p.r, rep.meeting)->empty());
  CHECK(status() == v{"submitted", "submitted", "submitted"});
}

PACKS_TEST_CASE("workflow: at most two questions per councillor per meeting, sub-divided questions counting") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  auto it = p.item(rep.meeting, "5");
  p.as(p.m1);
  wf::question_draft d;
  d.item = it.id;
  d.body = "How many PCSOs were recruited in Q2?";
  auto q1 = wf::draft_question(*p.r, d, t0);
  d.body = "(a) What is the overtime forecast? (b) And the overspend?";
  d.subparts = 2;
  d.section = "Finance";
  d.target = "Treasurer";
  auto q2 = wf::draft_question(*p.r, d, t0 + 1);
  REQUIRE(q1.ok());
  REQUIRE(q2.ok());
  CHECK(wf::submit_question(*p.r, *q1, t0 + 2).ok());
  auto refused = wf::submit_question(*p.r, *q2, t0 + 3);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.err().message ==
        "the panel allows 2 questions per councillor per meeting (sub-divided questions count towards that); you "
        "have already submitted 1 question and this one has 2 parts. Your draft is kept.");
  auto qs = wf::questions(*p.r, rep.meeting);
  REQUIRE(qs->size() == 2);
  CHECK((*qs)[1].status == "draft");
  CHECK((*qs)[1].body == "(a) What is the overtime forecast? (b) And the overspend?");
  CHECK((*qs)[1].target == "Treasurer");
  // Withdrawing the first frees the place.
  CHECK(wf::set_question_status(*p.r, *q1, "withdrawn", t0 + 4).ok());
  CHECK(wf::submit_question(*p.r, *q2, t0 + 5).ok());
  // The limit is a setting: the chair may allow three.
  d.subparts = 1;
  auto q3 = wf::draft_question(*p.r, d, t0 + 6);
  CHECK_FALSE(wf::submit_question(*p.r, *q3, t0 + 7).ok());
  CHECK(err(wf::set_rule(*p.r, "questions_per_councillor", "3", t0)) ==
        "only the chair or the clerk changes the panel's rules");
  p.as(p.chair);
  CHECK(wf::set_rule(*p.r, "questions_per_councillor", "3", t0 + 8).ok());
  CHECK(wf::rules_of(*p.r).questions_per_councillor == 3);
  p.as(p.m1);
  CHECK(wf::submit_question(*p.r, *q3, t0 + 9).ok());
  // Another member's count is their own.
  p.as(p.m2);
  d.body = "Is the estates strategy on track?";
  auto q4 = wf::draft_question(*p.r, d, t0 + 10);
  CHECK(wf::submit_question(*p.r, *q4, t0 + 11).ok());
}

PACKS_TEST_CASE("workflow: only the author edits a draft; a broken rule is errc::forbidden and nothing is written") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  auto it = p.item(rep.meeting, "9");
  p.as(p.m1);
  auto q = wf::draft_question(*p.r, it.id, "What is Action Fraud's local response time?", t0);
  REQUIRE(q.ok());
  p.as(p.m2);
  wf::question_draft e;
  e.body = "changed by someone else";
  auto refused = wf::edit_question(*p.r, *q, e, t0 + 1);
  CHECK(refused.err().code == errc::forbidden);
  CHECK(refused.err().message == "only the author edits a draft");
  CHECK(p.r->rows("question")->at(0).text("body") == "What is Action Fraud's local response time?");
  wf::consolidated_draft c;
  c.meeting = rep.meeting;
  c.body = "A member's list";
  CHECK(wf::consolidate(*p.r, c, t0 + 1).err().code == errc::forbidden);
  CHECK(wf::consolidated_list(*p.r, rep.meeting)->empty());
  CHECK(wf::import_pack(*p.r, *pack::parse_text(test::read_pack(test::december_2020)), {}, t0).err().code ==
        errc::forbidden);
  CHECK(wf::submit_question(*p.r, *q, t0 + 1).err().message == "only the author submits a draft");
  p.as(p.clerk);
  CHECK(err(wf::draft_question(*p.r, it.id, "A clerk's question", t0)) == "only panel members draft questions");
  p.as(p.m1);
  e.body = "What is Action Fraud's local response time in Dorset?";
  CHECK(wf::edit_question(*p.r, *q, e, t0 + 2).ok());
  CHECK(wf::questions(*p.r, rep.meeting)->at(0).body == e.body);
}

PACKS_TEST_CASE("workflow: public questions and statements: 450 words, one each, first 8, the deadline") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  CHECK(*wf::public_deadline(*p.r, rep.meeting) == "2020-12-07 08:30");
  // 8.30am GMT on Monday 7 December 2020.
  const std::int64_t deadline = 1'607'329'800'000;
  p.as(p.m1);
  wf::submission_draft s;
  s.meeting = rep.meeting;
  s.name = "Jo Public";
  s.body = "Why are fewer burglaries solved?";
  s.received_at = deadline - 3'600'000;
  CHECK(err(result<void>(wf::record_submission(*p.r, s, t0).err())) ==
        "only the clerk records public questions and statements");
  p.as(p.clerk);
  auto first = wf::record_submission(*p.r, s, t0);
  REQUIRE(first.ok());
  CHECK(first->accepted);
  CHECK(first->words == 5);
  s.body = "A second question from the same person.";
  s.received_at += 1;
  auto second = wf::record_submission(*p.r, s, t0);
  CHECK_FALSE(second->accepted);
  CHECK(second->reason == "one question or statement per person per meeting");
  std::string long_text;
  for (int i = 0; i < 451; ++i) long_text += "word ";
  s.name = "Long Writer";
  s.kind = "statement";
  s.body = long_text;
  auto too_long = wf::record_submission(*p.r, s, t0);
  CHECK_FALSE(too_long->accepted);
  CHECK(too_long->reason == "it has 451 words; the limit is 450");
  s.name = "Late Comer";
  s.body = "A statement.";
  s.received_at = deadline + 1;
  auto late = wf::record_submission(*p.r, s, t0);
  CHECK_FALSE(late->accepted);
  CHECK(late->reason == "it arrived after the deadline (2020-12-07 08:30)");
  s.kind = "question";
  for (int i = 0; i < 8; ++i) {
    s.name = "Person " + std::to_string(i);
    s.body = "Question " + std::to_string(i);
    s.received_at = deadline - 1000 + i;
    auto x = wf::record_submission(*p.r, s, t0);
    REQUIRE(x.ok());
    CHECK(x->accepted == (i < 7));  // Jo Public's question was the first of eight
    if (i == 7) CHECK(x->reason == "the first 8 questions were already accepted");
  }
  auto all = wf::submissions(*p.r, rep.meeting);
  CHECK(all->size() == 12);
  CHECK(std::count_if(all->begin(), all->end(), [](auto& x) { return x.accepted; }) == 8);
}

PACKS_TEST_CASE("workflow: the deadline defaults to 8.30am on the Monday before, in UK time") {
  panel p;
  std::string pack = replace_once(test::read_pack(test::december_2020),
                                  "The deadline for submission of the full text of a question or statement is 8.30am on Monday 7 December 2020.",
                                  "Submissions are welcome.");
  pack = replace_once(pack, "Date: Thursday, 10 December 2020", "Date: Wednesday, 7 July 2021");
  auto rep = p.import(pack);
  CHECK(*wf::public_deadline(*p.r, rep.meeting) == "2021-07-05 08:30");
  p.as(p.clerk);
  wf::submission_draft s{rep.meeting, "Summer Sender", "question", "Is BST handled?", 1'625'470'200'000 - 1};  // 07:29:59 UTC = 08:29:59 BST
  CHECK(wf::record_submission(*p.r, s, t0)->accepted);
  s.name = "Summer Late";
  s.received_at = 1'625'470'200'000 + 1;
  CHECK_FALSE(wf::record_submission(*p.r, s, t0)->accepted);
}

PACKS_TEST_CASE("workflow: priorities with leads; only a lead drafts the priority's KLOEs") {
  panel p;
  p.import(test::read_pack(test::july_2021_report));
  auto ps = wf::priorities(*p.r);
  REQUIRE(ps->size() == 6);
  auto violent = (*ps)[2];
  CHECK(violent.title == "Fight Violent Crime and High Harm");
  p.as(p.m1);
  CHECK(err(wf::set_priority_leads(*p.r, violent.id, {p.m1}, t0)) ==
        "only the chair or the clerk sets the plan's priorities and their leads");
  p.as(p.chair);
  REQUIRE(wf::set_priority_leads(*p.r, violent.id, {p.m1, p.m2}, t0).ok());
  CHECK(wf::priorities(*p.r)->at(2).leads == std::vector<std::string>{p.m1, p.m2});
  wf::kloe k;
  k.priority = violent.id;
  k.topic = "Violence against women and girls";
  k.bullets = "- What is the Safer Streets bid?\n- How is stalking prioritised?";
  k.target_meeting = "23 September 2021";
  k.approach = "SSR";
  p.as(p.indep);
  CHECK(err(wf::draft_kloe(*p.r, k, t0)) == "only a lead of this priority drafts its key lines of enquiry");
  p.as(p.m1);
  auto id = wf::draft_kloe(*p.r, k, t0);
  REQUIRE_MESSAGE(id.ok(), err(id));
  k.approach = "Email";
  CHECK(err(wf::draft_kloe(*p.r, k, t0)) == "the approach is Agenda or SSR (Spotlight Scrutiny Review)");
  // Any lead of the priority edits its KLOEs, not only the one who drafted it.
  p.as(p.m2);
  wf::kloe edit;
  edit.id = *id;
  edit.bullets = "- What is the Safer Streets bid?\n- How is stalking prioritised?\n- What of spiking?";
  CHECK(wf::edit_kloe(*p.r, edit, t0 + 1).ok());
  p.as(p.indep);
  edit.bullets = "not a lead's words";
  auto refused = wf::edit_kloe(*p.r, edit, t0 + 2);
  CHECK(refused.err().code == errc::forbidden);
  CHECK(refused.err().message == "only a lead of this priority edits its key lines of enquiry");
  auto ks = wf::kloes(*p.r, violent.id);
  REQUIRE(ks->size() == 1);
  CHECK(ks->at(0).approach == "SSR");
  CHECK(ks->at(0).owner == p.m1);
  CHECK(ks->at(0).bullets == "- What is the Safer Streets bid?\n- How is stalking prioritised?\n- What of spiking?");
}

PACKS_TEST_CASE("workflow: editing a consolidated question's sources marks added drafts consolidated, dropped ones submitted") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  auto it = p.item(rep.meeting, "5");
  std::vector<std::string> q;
  for (auto* who : {&p.m1, &p.m2, &p.indep}) {
    p.as(*who);
    auto id = wf::draft_question(*p.r, it.id, "Question from " + *who, t0);
    REQUIRE(wf::submit_question(*p.r, *id, t0).ok());
    q.push_back(*id);
  }
  p.as(p.chair);
  wf::consolidated_draft c;
  c.meeting = rep.meeting;
  c.sources = {q[0], q[1]};
  c.body = "Merged";
  auto id = wf::consolidate(*p.r, c, t0 + 1);
  REQUIRE(id.ok());
  wf::consolidated_draft e;
  e.section.clear();
  e.target.clear();
  e.sources = {q[0], q[2]};  // q[1] out, q[2] in
  REQUIRE(wf::edit_consolidated(*p.r, *id, e, t0 + 2).ok());
  std::map<std::string, std::string> status;
  auto qs = wf::questions(*p.r, rep.meeting);
  for (auto& x : *qs) status[x.id] = x.status;
  CHECK(status[q[0]] == "consolidated");
  CHECK(status[q[1]] == "submitted");
  CHECK(status[q[2]] == "consolidated");
  CHECK(wf::consolidated_list(*p.r, rep.meeting)->at(0).sources == e.sources);
}

PACKS_TEST_CASE("workflow: a draft dropped on a question keeps that question's section and lead; one in two questions gets each outcome") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  auto it = p.item(rep.meeting, "5");
  std::vector<std::string> q;
  for (auto* who : {&p.m1, &p.m2}) {
    p.as(*who);
    auto id = wf::draft_question(*p.r, it.id, "Question from " + *who, t0);
    REQUIRE(wf::submit_question(*p.r, *id, t0).ok());
    q.push_back(*id);
  }
  p.as(p.chair);
  wf::consolidated_draft c;
  c.meeting = rep.meeting;
  c.sources = {q[0]};
  c.body = "What is the forecast overspend?";
  c.section = "Finance";
  c.lead = p.m1;
  auto finance = wf::consolidate(*p.r, c, t0 + 1);
  REQUIRE(finance.ok());
  c.body = "How many officers are in post?";
  c.section.clear();  // the default
  c.lead = p.m2;
  auto officers = wf::consolidate(*p.r, c, t0 + 2);
  REQUIRE(officers.ok());
  // The drag: only the sources change.
  wf::consolidated_draft drop;
  drop.sources = {q[0], q[1]};
  REQUIRE(wf::edit_consolidated(*p.r, *finance, drop, t0 + 3).ok());
  auto list = wf::consolidated_list(*p.r, rep.meeting);
  CHECK(list->at(0).section == "Finance");
  CHECK(list->at(0).lead == p.m1);
  CHECK(list->at(0).target == "PCC");
  CHECK(list->at(1).section == "In quarter");
  auto md = exporter::markdown(*p.r, rep.meeting);
  REQUIRE(md.ok());
  CHECK(md->find("Finance") < md->find("What is the forecast overspend?"));
  // q[0] is in both questions: Q1 answered at the meeting, Q2 in writing.
  std::map<std::string, std::string> outcome;
  auto read = [&] {
    auto qs = wf::questions(*p.r, rep.meeting);
    REQUIRE(qs.ok());
    for (auto& x : *qs) outcome[x.id] = x.outcome;
  };
  read();
  CHECK(outcome[q[0]] == "merged into Q1 and Q2");
  p.as(p.clerk);
  REQUIRE(wf::record_response(*p.r, *finance, "Set out in the report.", "01:20:24", false, t0 + 4).ok());
  read();
  CHECK(outcome[q[0]] == "Q1 answered at the meeting; Q2 not answered yet");
  CHECK(outcome[q[1]] == "answered at the meeting (Q1)");
  REQUIRE(wf::record_response(*p.r, *officers, "1,312 officers.", "", true, t0 + 5).ok());
  read();
  CHECK(outcome[q[0]] == "Q1 answered at the meeting; Q2 answered in writing");
}

PACKS_TEST_CASE("workflow: a question is at most 2,000 words and a note 5,000; longer text is refused with its count") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  auto it = p.item(rep.meeting, "5");
  std::string words;
  for (int i = 0; i < 2001; ++i) words += "word ";
  p.as(p.m1);
  auto long_q = wf::draft_question(*p.r, it.id, words, t0);
  CHECK(err(long_q) == "A question can have at most 2,000 words; this one has 2,001. Shorten it and save again.");
  CHECK(wf::questions(*p.r, rep.meeting)->empty());
  auto q = wf::draft_question(*p.r, it.id, "Short question", t0);
  REQUIRE(q.ok());
  wf::question_draft d;
  d.section.clear();
  d.target.clear();
  d.body = words;
  CHECK(wf::edit_question(*p.r, *q, d, t0 + 1).err().code == errc::invalid_argument);
  CHECK(wf::questions(*p.r, rep.meeting)->at(0).body == "Short question");
  auto blocks = wf::blocks(*p.r, it.id);
  REQUIRE(!blocks->empty());
  wf::annotation_draft a;
  a.block = blocks->front().id;
  a.start = 0;
  a.end = 4;
  a.kind = "note";
  for (int i = 0; i < 3000; ++i) a.body += "note words ";
  CHECK(err(wf::annotate(*p.r, a, t0)) == "A note can have at most 5,000 words; this one has 6,000. Shorten it and save again.");
  a.body = words;  // 2,001 words: fine for a note
  CHECK(wf::annotate(*p.r, a, t0).ok());
}

PACKS_TEST_CASE("workflow: a draft is its author's own until submitted; drafts from before stay as they were") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  auto it = p.item(rep.meeting, "5");
  p.as(p.m1);
  auto mine = wf::draft_question(*p.r, it.id, "My draft, not ready", t0);
  REQUIRE(mine.ok());
  // A draft written before the rule (no private_draft), as an older build made it.
  bytes old = new_row_id();
  auto ops = p.r->text_ops("question", old, "body", "An older draft");
  REQUIRE(ops.ok());
  for (auto [f, v] : {std::pair<const char*, value>{"meeting", from_hex(rep.meeting)}, {"item", from_hex(it.id)},
                      {"author", from_hex(p.m1)}, {"status", std::string("draft")}})
    ops->push_back(set_op("question", old, f, v));
  REQUIRE(p.r->commit(std::move(*ops), t0).ok());
  auto seen_by = [&](const std::string& who) {
    p.as(who);
    std::set<std::string> ids;
    auto qs = wf::questions(*p.r, rep.meeting);
    REQUIRE(qs.ok());
    for (auto& q : *qs) ids.insert(q.id);
    return ids;
  };
  CHECK(seen_by(p.m1) == std::set<std::string>{*mine, to_hex(old)});
  CHECK(seen_by(p.m2) == std::set<std::string>{to_hex(old)});
  CHECK(seen_by(p.chair) == std::set<std::string>{to_hex(old)});
  p.as(p.m1);
  REQUIRE(wf::submit_question(*p.r, *mine, t0 + 1).ok());
  CHECK(seen_by(p.chair) == std::set<std::string>{*mine, to_hex(old)});
  CHECK(seen_by(p.m2) == std::set<std::string>{*mine, to_hex(old)});
}

PACKS_TEST_CASE("workflow: the chair consolidates drafts with provenance; members see what became of theirs") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  auto m = rep.meeting;
  auto it = p.item(m, "5");
  std::map<std::string, std::string> q;
  auto draft = [&](const std::string& who, const std::string& key, const std::string& body) {
    p.as(who);
    auto id = wf::draft_question(*p.r, it.id, body, t0);
    REQUIRE(id.ok());
    REQUIRE(wf::submit_question(*p.r, *id, t0).ok());
    q[key] = *id;
  };
  draft(p.m1, "a", "Why has recorded hate crime risen by 36.7%?");
  draft(p.m2, "b", "What is behind the rise in hate crime?");
  draft(p.indep, "c", "How is the Bobby Van service being expanded?");
  draft(p.m1, "d", "What is the forecast overspend on pay?");
  p.as(p.m1);
  wf::consolidated_draft c;
  c.meeting = m;
  c.sources = {q["a"], q["b"]};
  c.body = "Recorded hate crime is up 36.7% year to date. What lies behind the rise?";
  CHECK(err(wf::consolidate(*p.r, c, t0)) == "only the chair or vice-chair edits the final question list");
  p.as(p.chair);
  c.lead = p.m1;
  c.lead_label = "Priority One (Sherry)";
  auto c1 = wf::consolidate(*p.r, c, t0 + 1);
  REQUIRE(c1.ok());
  c.sources = {q["c"]};
  c.body = "How will the Bobby Van service be expanded?";
  c.lead = p.indep;
  c.lead_label.clear();
  auto c2 = wf::consolidate(*p.r, c, t0 + 2);
  c.sources = {q["d"]};
  c.body = "What is the forecast overspend on pay and employment costs, and how will it be met?";
  c.section = "Finance";
  c.lead = p.m1;
  auto c3 = wf::consolidate(*p.r, c, t0 + 3);
  REQUIRE(c2.ok());
  REQUIRE(c3.ok());
  auto list = wf::consolidated_list(*p.r, m);
  REQUIRE(list->size() == 3);
  CHECK(list->at(0).sources == std::vector<std::string>{q["a"], q["b"]});
  // Reorder: the Bobby Van question first.
  REQUIRE(wf::move_consolidated(*p.r, *c2, "", *c1, t0 + 4).ok());
  list = wf::consolidated_list(*p.r, m);
  CHECK(list->at(0).id == *c2);
  CHECK(list->at(1).id == *c1);
  CHECK(list->at(1).number == 2);
  // Split the finance question in two; provenance is kept by both.
  auto parts = wf::split_consolidated(*p.r, *c3, {"What is the forecast overspend on pay?", "How will it be met?"}, t0 + 5);
  REQUIRE(parts.ok());
  list = wf::consolidated_list(*p.r, m);
  REQUIRE(list->size() == 4);
  CHECK(list->at(3).body == "How will it be met?");
  CHECK(list->at(3).sources == std::vector<std::string>{q["d"]});
  CHECK(list->at(3).section == "Finance");
  // What each member sees.
  std::map<std::string, std::string> outcome;
  auto qs = wf::questions(*p.r, m);
  REQUIRE(qs.ok());
  for (auto& x : *qs) outcome[x.id] = x.outcome;
  CHECK(outcome[q["a"]] == "merged into Q2");
  CHECK(outcome[q["b"]] == "merged into Q2");
  CHECK(outcome[q["c"]] == "merged into Q1");
  CHECK(outcome[q["d"]] == "merged into Q3 and Q4");
  // Held over.
  p.as(p.m2);
  auto e = wf::draft_question(*p.r, it.id, "Can we discuss the estates strategy?", t0);
  REQUIRE(wf::submit_question(*p.r, *e, t0).ok());
  p.as(p.vice);
  REQUIRE(wf::set_question_status(*p.r, *e, "held_over", t0 + 6).ok());
  auto after = wf::questions(*p.r, m);
  REQUIRE(after.ok());
  for (auto& x : *after)
    if (x.id == *e) CHECK(x.outcome == "held over to the next meeting");
  REQUIRE(wf::remove_consolidated(*p.r, parts->at(1), t0 + 7).ok());
  CHECK(wf::consolidated_list(*p.r, m)->size() == 3);
}

PACKS_TEST_CASE("workflow: the chair groups drafts without merging them, then merges a group or leaves it") {
  panel p;
  auto rep = p.import(test::read_pack(test::december_2020));
  auto it = p.item(rep.meeting, "5");
  std::vector<std::string> q;
  for (auto* who : {&p.m1, &p.m2, &p.indep, &p.m1}) {
    p.as(*who);
    auto id = wf::draft_question(*p.r, it.id, "Hate crime question " + std::to_string(q.size()), t0 + q.size());
    REQUIRE(wf::submit_question(*p.r, *id, t0).ok());
    q.push_back(*id);
  }
  p.as(p.m1);
  CHECK(wf::group_drafts(*p.r, rep.meeting, {q[0], q[1]}, t0).err().code == errc::forbidden);
  p.as(p.chair);
  CHECK(err(wf::group_drafts(*p.r, rep.meeting, {q[0]}, t0)) == "a group has at least two drafts");
  auto g1 = wf::group_drafts(*p.r, rep.meeting, {q[0], q[1], q[2]}, t0 + 10);
  auto g2 = wf::group_drafts(*p.r, rep.meeting, {q[2], q[3]}, t0 + 11);
  REQUIRE(g1.ok());
  REQUIRE(g2.ok());
  auto status = [&] {
    std::vector<std::string> out;
    auto qs = wf::questions(*p.r, rep.meeting);
    for (auto& x : *qs) out.push_back(x.status);
    return out;
  };
  using v = std::vector<std::string>;
  // Grouped, not merged: the drafts keep their status and the list is empty.
  CHECK(status() == v{"submitted", "submitted", "submitted", "submitted"});
  CHECK(wf::consolidated_list(*p.r, rep.meeting)->empty());
  auto gs = wf::groups(*p.r, rep.meeting);
  REQUIRE(gs->size() == 2);
  CHECK(gs->at(0).sources == v{q[0], q[1], q[2]});
  // A draft taken out of a group stays as it was.
  wf::consolidated_draft out;
  out.section.clear();
  out.target.clear();
  out.sources = {q[0], q[1]};
  REQUIRE(wf::edit_consolidated(*p.r, *g1, out, t0 + 12).ok());
  CHECK(status() == v{"submitted", "submitted", "submitted", "submitted"});
  // Merge the first group: it goes on the list and its drafts are consolidated.
  wf::consolidated_draft c;
  CHECK(err(wf::merge_group(*p.r, *g1, c, t0 + 13)) == "a question on the final list needs its wording");
  c.body = "Recorded hate crime is up 36.7%: why?";
  c.lead = p.m1;
  REQUIRE(wf::merge_group(*p.r, *g1, c, t0 + 13).ok());
  CHECK(wf::merge_group(*p.r, *g1, c, t0 + 14).err().code == errc::bad_state);
  auto list = wf::consolidated_list(*p.r, rep.meeting);
  REQUIRE(list->size() == 1);
  CHECK(list->at(0).body == c.body);
  CHECK(list->at(0).number == 1);
  CHECK(list->at(0).sources == v{q[0], q[1]});
  CHECK(status() == v{"consolidated", "consolidated", "submitted", "submitted"});
  CHECK(wf::questions(*p.r, rep.meeting)->at(0).outcome == "merged into Q1");
  // Leave the other group: the drafts are as they were.
  REQUIRE(wf::remove_consolidated(*p.r, *g2, t0 + 15).ok());
  CHECK(wf::groups(*p.r, rep.meeting)->empty());
  CHECK(status() == v{"consolidated", "consolidated", "submitted", "submitted"});
}

PACKS_TEST_CASE("workflow: the chair or the clerk edits a forward plan row (notes, lead, KLOEs, approach)") {
  panel p;
  p.import(test::read_pack(test::december_2020));
  auto plan = wf::forward_plan(*p.r);
  REQUIRE(plan->size() == 18);
  auto row = plan->at(0);
  CHECK(row.title == "Informal Budget Briefing");
  wf::forward_item e;
  e.id = row.id;
  e.notes = "Moved to the afternoon session";
  e.lead = "M Short";
  e.kloes = "- Knowledgeable scrutiny of the proposed 21/22 Dorset Police Precept.\n- Reserves strategy.";
  e.approach = "SSR";
  p.as(p.m1);
  auto refused = wf::edit_forward_item(*p.r, e, t0 + 1);
  CHECK(refused.err().code == errc::forbidden);
  CHECK(refused.err().message == "only the chair or the clerk edits the forward plan");
  p.as(p.chair);
  e.approach = "Email";
  CHECK(err(wf::edit_forward_item(*p.r, e, t0 + 1)) == "the approach is Agenda or SSR (Spotlight Scrutiny Review)");
  e.approach = "SSR";
  REQUIRE(wf::edit_forward_item(*p.r, e, t0 + 1).ok());
  p.as(p.clerk);
  wf::forward_item only_notes;
  only_notes.id = row.id;
  only_notes.notes = "Afternoon session, 2pm";
  REQUIRE(wf::edit_forward_item(*p.r, only_notes, t0 + 2).ok());
  auto after = wf::forward_plan(*p.r)->at(0);
  CHECK(after.id == row.id);
  CHECK(after.title == row.title);  // from the pack
  CHECK(after.raised_by == "Standing");
  CHECK(after.notes == "Afternoon session, 2pm");
  CHECK(after.lead == "M Short");
  CHECK(after.kloes == e.kloes);
  CHECK(after.approach == "SSR");
}

PACKS_TEST_CASE("workflow: the clerk records answers and actions; open actions carry into the next meeting") {
  panel p;
  auto dec = p.import(test::read_pack(test::december_2020));
  auto it = p.item(dec.meeting, "5");
  p.as(p.m1);
  auto q = wf::draft_question(*p.r, it.id, "Why has hate crime risen?", t0);
  REQUIRE(wf::submit_question(*p.r, *q, t0).ok());
  p.as(p.chair);
  wf::consolidated_draft c;
  c.meeting = dec.meeting;
  c.sources = {*q};
  c.body = "Why has recorded hate crime risen by 36.7%?";
  auto cq = wf::consolidate(*p.r, c, t0);
  REQUIRE(cq.ok());
  CHECK(err(wf::record_response(*p.r, *cq, "Better recording.", "01:20:24", false, t0)) ==
        "only the clerk records responses and actions");
  p.as(p.clerk);
  CHECK(err(wf::record_response(*p.r, *cq, "x", "1 hour 20", false, t0)) ==
        "a recording time reads like 01:20:24 (hours:minutes:seconds)");
  auto resp = wf::record_response(*p.r, *cq, "Reporting has improved after the awareness campaign.", "01:20:24", false, t0);
  REQUIRE(resp.ok());
  auto rs = wf::responses(*p.r, dec.meeting);
  REQUIRE(rs->size() == 1);
  CHECK(rs->at(0).recording_time == "01:20:24");
  CHECK(wf::questions(*p.r, dec.meeting)->at(0).outcome == "answered at the meeting (Q1)");
  wf::action a;
  a.meeting = dec.meeting;
  a.consolidated = *cq;
  a.text = "PCC to report back on the force's Gold Group findings";
  a.owner = "PCC";
  a.due = "2021-02-04";
  auto open = wf::add_action(*p.r, a, t0);
  a.text = "Send the hate crime breakdown to members";
  auto done = wf::add_action(*p.r, a, t0);
  REQUIRE(open.ok());
  REQUIRE(done.ok());
  REQUIRE(wf::set_action_status(*p.r, *done, "closed", t0 + 1).ok());
  // The next meeting.
  auto feb = p.import(test::read_pack(test::july_2021_report));
  auto acts = wf::actions(*p.r, feb.meeting);
  REQUIRE(acts->size() == 1);
  CHECK(acts->at(0).id == *open);
  CHECK(acts->at(0).carried);
  CHECK(acts->at(0).due == "2021-02-04");
  CHECK(wf::actions(*p.r, dec.meeting)->size() == 2);
}

PACKS_TEST_CASE("workflow: a supplement is added to an existing meeting") {
  panel p;
  auto dec = p.import(test::read_pack(test::december_2020));
  auto s = pack::parse_supplement(test::read_pack(test::monitoring_2017), "Monitoring report 2017/18");
  REQUIRE(s.ok());
  p.as(p.clerk);
  CHECK(wf::import_pack(*p.r, *s, {}, t0).err().message == "choose the meeting this supplement belongs to");
  wf::import_options o;
  o.meeting_id = dec.meeting;
  auto rep = wf::import_pack(*p.r, *s, o, t0);
  REQUIRE(rep.ok());
  auto items = p.items(dec.meeting);
  REQUIRE(items.size() == 14);
  CHECK(items.back().number == "S1");
  CHECK(items.back().title == "Monitoring report 2017/18");
  CHECK(wf::blocks(*p.r, items.back().id)->size() == s->blocks.size());
  CHECK(wf::meeting_by_id(*p.r, dec.meeting)->pack == dec.pack);  // the agenda pack stays current
}

TEST_CASE("rules: who may write what") {
  using rules::role;
  bytes me = crypto::random_bytes(16), other = crypto::random_bytes(16);
  auto change = [&](const char* table, const char* field, value v, bool exists = true, bytes author = {}) {
    rules::row_change c;
    c.table = table;
    c.row = crypto::random_bytes(16);
    c.field = field;
    c.val = std::move(v);
    c.actor = me;
    c.row_exists = exists;
    c.row_author = std::move(author);
    return c;
  };
  CHECK(rules::check(change("question", "body", std::string("x"), true, me), role::member).ok());
  CHECK(rules::check(change("question", "body", std::string("x"), true, other), role::member).err().message ==
        "only the author edits a draft");
  CHECK_FALSE(rules::check(change("question", "body", std::string("x"), true, other), role::chair).ok());
  CHECK(rules::check(change("question", "status", std::string("held_over"), true, other), role::chair).ok());
  CHECK(rules::check(change("question", "status", std::string("answered"), true, other), role::clerk).ok());
  CHECK_FALSE(rules::check(change("question", "status", std::string("answered"), true, other), role::member).ok());
  CHECK_FALSE(rules::check(change("question", "status", std::string("nonsense"), true, me), role::member).ok());
  CHECK(rules::check(change("consolidated_question", "body", std::string("x")), role::vice_chair).ok());
  CHECK(rules::check(change("consolidated_question", "body", std::string("x")), role::member).err().message ==
        "only the chair or vice-chair edits the final question list");
  CHECK(rules::check(change("consolidated_question", "body", std::string("x")), role::member).err().code ==
        errc::forbidden);
  auto kloe_edit = change("kloe", "bullets", std::string("x"), true, other);
  CHECK(rules::check(kloe_edit, role::member).err().message == "only a lead of this priority edits its key lines of enquiry");
  kloe_edit.leads = {other, me};
  CHECK(rules::check(kloe_edit, role::member).ok());
  for (const char* t : {"pack", "block", "pack_item", "meeting"}) {
    CHECK(rules::check(change(t, "title", std::string("x")), role::clerk).ok());
    CHECK(rules::check(change(t, "title", std::string("x")), role::chair).err().message ==
          "only the clerk publishes packs and meetings");
  }
  CHECK(rules::check(change("response", "text", std::string("x")), role::clerk).ok());
  CHECK_FALSE(rules::check(change("action", "text", std::string("x")), role::chair).ok());
  CHECK(rules::check(change("annotation", "body", std::string("x"), true, other), role::member).err().message ==
        "only the author edits an annotation");
  auto self = change("member", "role", std::string("chair"));
  self.row = me;
  CHECK_FALSE(rules::check(self, role::member).ok());
  self.panel_has_clerk = false;
  CHECK(rules::check(self, role::member).ok());
  auto unsigned_in = change("question", "body", std::string("x"));
  unsigned_in.actor.clear();
  CHECK_FALSE(rules::check(unsigned_in, role::member).ok());
}


TEST_CASE("workflow: an import adds members and priorities only when the clerk confirms them, matching by name and number") {
  panel p;  // its chair is Mike Short
  p.add("Cllr Tom Rees", "member");
  p.as(p.clerk);
  auto parsed = pack::parse_text(demo::sample_pack());
  REQUIRE(parsed.ok());
  // The preview's plan: who matches, who would be added, with which role.
  auto plan = wf::plan_import(*p.r, *parsed);
  REQUIRE(plan.ok());
  REQUIRE(plan->members.size() == 5);
  CHECK(plan->members[0].name == "Cllr Alex Morgan");
  CHECK(plan->members[0].role == "member");  // never a second chair
  CHECK(plan->members[0].note == "the panel already has a chair (Mike Short); added as a member");
  CHECK(plan->members[1].role == "vice_chair");
  CHECK_FALSE(plan->members[2].member.empty());  // "Cllr Tom Rees" is on the panel already
  CHECK(plan->members[4].role == "independent_member");
  CHECK(plan->priorities.size() == 4);
  // Not confirmed: nothing is added, and the report says what was found.
  auto before = wf::members(*p.r)->size();
  auto rep = wf::import_pack(*p.r, *parsed, {}, t0);
  REQUIRE(rep.ok());
  CHECK(rep->members == 0);
  CHECK(rep->priorities == 0);
  CHECK(rep->plan.members.size() == 5);
  CHECK(wf::members(*p.r)->size() == before);
  CHECK(wf::priorities(*p.r)->empty());
  // Confirmed: the four new members and the four priorities, one chair still.
  wf::import_options o;
  o.add_members = o.add_priorities = true;
  auto revised = pack::parse_text(replace_once(std::string(demo::sample_pack()), "Time: 10.00 am", "Time: 10.30 am"));
  auto rep2 = wf::import_pack(*p.r, *revised, o, t0 + 1);
  REQUIRE(rep2.ok());
  CHECK(rep2->members == 4);
  CHECK(rep2->priorities == 4);
  int chairs = 0;
  for (auto& m : *wf::members(*p.r)) chairs += m.role == "chair";
  CHECK(chairs == 1);
  // A third version matches everyone and every priority (by number), adding nothing.
  auto again = pack::parse_text(replace_once(std::string(demo::sample_pack()), "Time: 10.00 am", "Time: 11.00 am"));
  auto rep3 = wf::import_pack(*p.r, *again, o, t0 + 2);
  REQUIRE(rep3.ok());
  CHECK(rep3->members == 0);
  CHECK(rep3->priorities == 0);
  for (auto& mm : rep3->plan.members) CHECK_FALSE(mm.member.empty());
  for (auto& pm : rep3->plan.priorities) CHECK_FALSE(pm.priority.empty());
  CHECK(wf::priorities(*p.r)->size() == 4);
}

// ---- the clerk's corrections to an agenda ---------------------------------

namespace {

// A file with no agenda the reader recognises: five pages, each opening
// with a line of its own (form feeds end pages).
std::string unagendaed(const std::string& first_page = {}) {
  std::string s = first_page;
  if (!s.empty()) s += "\f";
  s += "Briefing for the Wrexby Panel\n\nA note on what follows, from the clerk's office, for the meeting in June.\n\f"
       "The covering letter continues here with the background to the review.\n\f"
       "Budget summary: spending stood at four point two million at the end of the quarter.\n\f"
       "Budget detail: the overtime line rose by a tenth against the plan.\n\f"
       "Confidential annex: the names of the staff affected by the restructure.\n";
  return s;
}

std::vector<std::int64_t> pages_of(replica& r, const std::string& item) {
  std::set<std::int64_t> pages;
  auto bs = wf::blocks(r, item);
  REQUIRE(bs.ok());
  for (auto& b : *bs) pages.insert(b.page);
  return {pages.begin(), pages.end()};
}

std::string agenda(replica& r, const std::string& meeting) {
  std::string out;
  auto items = wf::items(r, meeting);
  REQUIRE(items.ok());
  for (auto& i : *items)
    out += i.number + " " + i.title + " [" + i.pages + "]" + (i.exempt ? " exempt" : "") + "; ";
  return out;
}

}  // namespace

TEST_CASE("workflow: the clerk builds the agenda of a file with none: adds, renames, reorders, places pages, marks exempt") {
  panel p;
  auto rep = p.import(unagendaed());
  CHECK(rep.kind == "document");
  auto whole = p.items(rep.meeting);
  REQUIRE(whole.size() == 1);
  std::string letter = whole[0].id;
  CHECK(pages_of(*p.r, letter) == std::vector<std::int64_t>{1, 2, 3, 4, 5});

  auto budget = wf::add_item(*p.r, rep.meeting, "2", "Budget monitoring", letter, t0 + 1);
  REQUIRE_MESSAGE(budget.ok(), err(budget));
  REQUIRE(wf::set_item_pages(*p.r, *budget, 3, 4, t0 + 2).ok());
  // The passages on pages 3 and 4 are the new item's; the rest stay where they were.
  CHECK(pages_of(*p.r, *budget) == std::vector<std::int64_t>{3, 4});
  CHECK(pages_of(*p.r, letter) == std::vector<std::int64_t>{1, 2, 5});
  REQUIRE(wf::rename_item(*p.r, letter, "1", "Covering letter", t0 + 3).ok());
  REQUIRE(wf::set_item_pages(*p.r, letter, 1, 2, t0 + 4).ok());
  auto annex = wf::add_item(*p.r, rep.meeting, "3", "Staffing (exempt)", *budget, t0 + 5);
  REQUIRE(annex.ok());
  REQUIRE(wf::set_item_pages(*p.r, *annex, 5, 5, t0 + 6).ok());
  REQUIRE(wf::set_item_exempt(*p.r, *annex, true, t0 + 7).ok());
  CHECK(agenda(*p.r, rep.meeting) == "1 Covering letter [1 - 2]; 2 Budget monitoring [3 - 4]; 3 Staffing (exempt) [5] exempt; ");
  CHECK(pages_of(*p.r, letter) == std::vector<std::int64_t>{1, 2});
  CHECK(pages_of(*p.r, *annex) == std::vector<std::int64_t>{5});
  // Reorder: the annex first, then back after the budget.
  REQUIRE(wf::move_item(*p.r, *annex, "", t0 + 8).ok());
  CHECK(agenda(*p.r, rep.meeting) == "3 Staffing (exempt) [5] exempt; 1 Covering letter [1 - 2]; 2 Budget monitoring [3 - 4]; ");
  REQUIRE(wf::move_item(*p.r, *annex, *budget, t0 + 9).ok());
  CHECK(agenda(*p.r, rep.meeting) == "1 Covering letter [1 - 2]; 2 Budget monitoring [3 - 4]; 3 Staffing (exempt) [5] exempt; ");

  // Bad input is refused in plain words and changes nothing.
  CHECK(err(wf::set_item_pages(*p.r, *budget, 4, 3, t0 + 10)) == "an item's last page cannot come before its first");
  CHECK(err(wf::set_item_pages(*p.r, *budget, 3, 9, t0 + 10)) == "the pack has only 5 pages");
  CHECK(err(wf::add_item(*p.r, rep.meeting, "4", "  ", "", t0 + 10)) == "an agenda item needs a title");
  CHECK(err(wf::move_item(*p.r, *budget, *budget, t0 + 10)) == "an item cannot follow itself");

  // A member's highlight on page 3 belongs to the item the clerk placed there.
  p.as(p.m1);
  auto bs = wf::blocks(*p.r, *budget);
  REQUIRE(bs.ok());
  REQUIRE(!bs->empty());
  auto ann = wf::annotate(*p.r, {bs->front().id, 0, 6, "highlight", "", "panel", ""}, t0 + 11);
  REQUIRE_MESSAGE(ann.ok(), err(ann));
  CHECK(wf::annotation_by_id(*p.r, *ann)->item == *budget);
  // Only the clerk corrects the agenda.
  CHECK(err(wf::rename_item(*p.r, letter, "1", "Mine now", t0 + 12)) == "only the clerk corrects the agenda");
  CHECK(err(wf::add_item(*p.r, rep.meeting, "9", "Any other business", "", t0 + 12)) == "only the clerk corrects the agenda");
  CHECK(err(wf::set_item_exempt(*p.r, *budget, true, t0 + 12)) == "only the clerk corrects the agenda");
  CHECK(err(wf::set_item_pages(*p.r, *budget, 1, 1, t0 + 12)) == "only the clerk corrects the agenda");
  CHECK(err(wf::move_item(*p.r, *budget, "", t0 + 12)) == "only the clerk corrects the agenda");
  CHECK(agenda(*p.r, rep.meeting) == "1 Covering letter [1 - 2]; 2 Budget monitoring [3 - 4]; 3 Staffing (exempt) [5] exempt; ");
}

TEST_CASE("workflow: a revised version of the pack offers the clerk's corrections again, pages found where they moved") {
  panel p;
  auto rep = p.import(unagendaed());
  std::string letter = p.items(rep.meeting)[0].id;
  REQUIRE(wf::rename_item(*p.r, letter, "1", "Covering letter", t0 + 1).ok());
  REQUIRE(wf::set_item_pages(*p.r, letter, 1, 2, t0 + 2).ok());
  auto budget = wf::add_item(*p.r, rep.meeting, "2", "Budget monitoring", letter, t0 + 3);
  REQUIRE(budget.ok());
  REQUIRE(wf::set_item_pages(*p.r, *budget, 3, 4, t0 + 4).ok());
  auto annex = wf::add_item(*p.r, rep.meeting, "3", "Staffing", *budget, t0 + 5);
  REQUIRE(annex.ok());
  REQUIRE(wf::set_item_pages(*p.r, *annex, 5, 5, t0 + 6).ok());
  REQUIRE(wf::set_item_exempt(*p.r, *annex, true, t0 + 7).ok());

  // The revised file has a new first page (same meeting: the same first
  // heading), so every page moved down by one.
  std::string revised = unagendaed("Briefing for the Wrexby Panel\n\nRevised: a contents page was added.\n");
  auto parsed = pack::parse_text(revised);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->kind == "document");
  auto plan = wf::plan_import(*p.r, *parsed);
  REQUIRE(plan.ok());
  std::map<std::string, std::string> offered;  // what → value (note)
  for (auto& c : plan->corrections) offered[c.what] = c.value + (c.note.empty() ? "" : " (" + c.note + ")");
  CHECK(offered["rename item 1 to “Covering letter”"] == "Covering letter");
  CHECK(offered["add item 2 “Budget monitoring”"] == "1");
  CHECK(offered["give item 2 pages 3 - 4"] == "4-5 (its first page is now page 4)");
  CHECK(offered["give item 3 pages 5"] == "6-6 (its first page is now page 6)");
  CHECK(offered["mark item 3 as exempt"] == "1");
  // The covering letter's first page is the same text, now page 2; its
  // second page moved with it.
  CHECK(offered["give item 1 pages 1 - 2"] == "2-3 (its first page is now page 2)");

  // Re-applied when the clerk keeps them ticked.
  wf::import_options o;
  o.reapply_corrections = true;
  auto v2 = wf::import_pack(*p.r, *parsed, o, t0 + 20);
  REQUIRE_MESSAGE(v2.ok(), err(result<void>(v2.err())));
  CHECK(v2->version == 2);
  CHECK(v2->corrections >= 7);
  CHECK(agenda(*p.r, rep.meeting) == "1 Covering letter [2 - 3]; 2 Budget monitoring [4 - 5]; 3 Staffing [6] exempt; ");
  CHECK(pages_of(*p.r, *budget) == std::vector<std::int64_t>{4, 5});
  CHECK(pages_of(*p.r, *annex) == std::vector<std::int64_t>{6});
  CHECK(pages_of(*p.r, letter) == std::vector<std::int64_t>{1, 2, 3});  // the new first page stays with the letter

  // Not ticked: the version as the file gives it; the corrections are kept
  // and offered at the next version again.
  auto v3text = unagendaed("Briefing for the Wrexby Panel\n\nRevised again.\n");
  auto parsed3 = pack::parse_text(v3text);
  REQUIRE(parsed3.ok());
  auto v3 = wf::import_pack(*p.r, *parsed3, {}, t0 + 30);
  REQUIRE(v3.ok());
  CHECK(v3->corrections == 0);
  CHECK(p.items(rep.meeting).size() == 1);
  CHECK(wf::plan_import(*p.r, *parsed3)->corrections.size() == plan->corrections.size());
}

TEST_CASE("workflow: the clerk's corrections made offline on two tablets converge, whatever order they arrive in") {
  // The clerk on two tablets (one member, two devices) and a member's tablet.
  panel p;
  auto rep = p.import(unagendaed());
  std::string letter = p.items(rep.meeting)[0].id;
  auto budget = wf::add_item(*p.r, rep.meeting, "2", "Budget", letter, t0 + 1);
  REQUIRE(budget.ok());
  std::vector<bytes> log = p.r->pending(1'000'000);
  std::vector<std::unique_ptr<replica>> tabs;
  for (int k = 0; k < 2; ++k) {
    auto x = replica::create(crypto::random_bytes(32));
    REQUIRE(x.ok());
    tabs.push_back(std::move(*x));
    REQUIRE(tabs.back()->set_space(p.r->space()).ok());
    for (std::size_t i = 0; i < log.size(); ++i) REQUIRE(tabs.back()->apply(log[i], i + 1, t0 + 2).ok());
  }
  replica& second = *tabs[0];
  replica& member = *tabs[1];
  REQUIRE(wf::sign_in(second, p.clerk).ok());
  REQUIRE(wf::sign_in(member, p.m1).ok());
  // Offline on both clerk tablets, at the same time.
  REQUIRE(wf::rename_item(*p.r, letter, "1", "Letter", t0 + 10).ok());
  REQUIRE(wf::set_item_pages(*p.r, *budget, 3, 4, t0 + 11).ok());
  auto aob = wf::add_item(*p.r, rep.meeting, "3", "Annex", *budget, t0 + 12);
  REQUIRE(aob.ok());
  REQUIRE(wf::set_item_pages(*p.r, *aob, 5, 5, t0 + 13).ok());
  REQUIRE(wf::rename_item(second, letter, "1", "Covering letter", t0 + 10).ok());
  REQUIRE(wf::move_item(second, *budget, "", t0 + 11).ok());
  REQUIRE(wf::set_item_pages(second, *budget, 2, 3, t0 + 12).ok());
  REQUIRE(wf::set_item_exempt(second, *budget, true, t0 + 13).ok());
  auto a = p.r->pending(1'000'000), b = second.pending(1'000'000);
  std::uint64_t seq = log.size();
  std::vector<std::pair<std::uint64_t, bytes>> server;
  std::set<bytes> sent(log.begin(), log.end());
  for (auto& e : a)
    if (!sent.count(e)) server.push_back({++seq, e});
  for (auto& e : b) server.push_back({++seq, e});
  for (auto& [s, e] : server) {
    REQUIRE(p.r->apply(e, s, t0 + 20).ok());
    REQUIRE(second.apply(e, s, t0 + 20).ok());
  }
  for (auto it = server.rbegin(); it != server.rend(); ++it) REQUIRE(member.apply(it->second, it->first, t0 + 20).ok());
  auto view = [&](replica& r) {
    std::string out = agenda(r, rep.meeting);
    auto items = wf::items(r, rep.meeting);
    REQUIRE(items.ok());
    for (auto& i : *items) {
      out += i.number + ":";
      for (auto pg : pages_of(r, i.id)) out += std::to_string(pg) + ",";
    }
    return out;
  };
  CHECK(view(*p.r) == view(second));
  CHECK(view(*p.r) == view(member));
  CHECK(p.r->digest() == member.digest());
  CHECK(p.r->digest() == second.digest());
  // Each item's passages are those of its pages: no page is in two items.
  std::set<std::string> blocks;
  std::size_t n = 0;
  auto items = wf::items(member, rep.meeting);
  REQUIRE(items.ok());
  for (auto& i : *items) {
    auto bs = wf::blocks(member, i.id);
    REQUIRE(bs.ok());
    for (auto& bl : *bs) blocks.insert(bl.id), ++n;
  }
  CHECK(blocks.size() == n);
  CHECK(n == rep.blocks);
}

TEST_CASE("workflow: a pack published in a copy of the replica is adopted change by change, as if published here") {
  panel p;
  p.import(september_2026);  // a first version, published here
  p.as(p.clerk);
  auto revised = replace_once(september_2026, "To receive the Commissioner's report.",
                              "To receive the Commissioner's report on the first quarter, with the forecast.");
  // The publish worker's copy: the page's replica as save() gives it.
  auto image = p.r->save();
  REQUIRE(image.ok());
  auto copy = replica::open(*image);
  REQUIRE(copy.ok());
  std::uint64_t from = (*copy)->next_seq();
  CHECK(from == p.r->next_seq());
  auto parsed = pack::parse_text(revised);
  REQUIRE(parsed.ok());
  wf::import_options o;
  auto rep = wf::import_pack(**copy, *parsed, o, t0 + 1000);
  REQUIRE(rep.ok());
  CHECK(rep->version == 2);
  auto made = (*copy)->own_changes_from(from);
  REQUIRE(made.ok());
  REQUIRE(made->size() >= 1);

  // Out of order, or twice: refused, and nothing changes.
  std::size_t pending = p.r->pending_count();
  if (made->size() > 1) CHECK(p.r->adopt_own(made->back(), t0 + 2000).err().code == errc::bad_state);
  CHECK(p.r->pending_count() == pending);
  // Another device's change is not this tablet's to adopt.
  panel other;
  other.as(other.clerk);
  CHECK(p.r->adopt_own(other.r->pending(1).front(), t0 + 2000).err().code == errc::bad_state);

  for (auto& env : *made) REQUIRE_MESSAGE(p.r->adopt_own(env, t0 + 2000).ok(), "adopting a change of the copy");
  CHECK(p.r->adopt_own(made->front(), t0 + 2000).err().code == errc::bad_state);
  CHECK(p.r->pending_count() == pending + made->size());
  CHECK(p.r->next_seq() == (*copy)->next_seq());
  // What the members read is what the copy reads.
  CHECK(p.r->digest() == (*copy)->digest());
  auto packs = wf::packs(*p.r, rep->meeting);
  REQUIRE(packs.ok());
  CHECK(packs->size() == 2);
  // The tablet goes on writing after the adopted changes: its next change
  // follows them, and another replica applies all of them in order.
  p.as(p.m1);
  auto q = wf::draft_question(*p.r, p.item(rep->meeting, "2").id, "Is the forecast still an overspend?", t0 + 3000);
  REQUIRE(q.ok());
  auto all = p.r->pending(10'000);
  auto fresh = replica::create(crypto::random_bytes(32));
  REQUIRE(fresh.ok());
  REQUIRE((*fresh)->set_space(p.r->space()).ok());
  std::uint64_t seq = 0;
  for (auto& env : all) REQUIRE((*fresh)->apply(env, ++seq, t0 + 4000).ok());
  CHECK((*fresh)->digest() == p.r->digest());
}
