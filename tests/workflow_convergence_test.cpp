// Convergence of what members see: seven tablets (clerk, chair, vice-chair,
// two pillar leads, one of them on two tablets, an independent member) run
// random sequences of every workflow operation through random offline
// periods, with reordered and duplicated delivery, on device clocks off by
// ±2 minutes, ±1 day or ±1 year and set wrong or right during the run
// (support/clocks.hpp); after a full sync every
// workflow query (members, meetings, items, questions with their outcomes,
// KLOEs, priorities, forward plan, the board's groups and list, answers,
// actions, public submissions, the Markdown export, and per member the
// annotations they may read and their read marks) reads the same on every
// tablet, and no word a member typed into a long-text field is lost unless
// someone deleted it; no tablet stamps a change far ahead of its own clock,
// and an edit made after seeing everything wins everywhere, whatever the
// clocks say. PACKLINE_PROPERTY_SEEDS / PACKLINE_PROPERTY_OPS /
// PACKLINE_PROPERTY_FIRST_SEED make the run longer (as in convergence_test.cpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "packline/wire/codec.hpp"
#include "packline/panel/demo.hpp"
#include "packline/panel/export.hpp"
#include "packline/base/limits.hpp"
#include "packline/panel/workflow.hpp"
#include "support/clocks.hpp"

using namespace packline;
namespace wf = packline::workflow;

namespace {

std::uint64_t env_or(const char* name, std::uint64_t dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : dflt;
}

constexpr std::uint64_t t0 = 1'796'000'000'000;  // December 2026, the demo pack's meeting

struct tablet {
  std::unique_ptr<replica> r;
  std::string member, role, name;
  bool online = true;
  std::uint64_t clock_high = 0;   // the furthest its own clock has read
  std::vector<bytes> outbox;      // made while offline, not yet on the server
  std::set<bytes> sent;           // own envelopes already in the outbox or on the server
  std::vector<bool> got;          // server log entries applied (or own)
};

// A query's rows (a refusal fails the test).
template <class T>
T val(result<T> r) {
  REQUIRE_MESSAGE(r.ok(), r.err().message);
  return std::move(*r);
}

// Every word typed gets a unique marker ("w17"), so its survival can be traced.
// Words of an operation the rules refuse are taken back; words typed into a
// row the operation creates name it once it exists (container "new").
struct ledger {
  std::uint64_t next = 1;
  std::set<std::string> typed, removed;
  std::map<std::string, std::string> container;  // marker -> row id (hex) it was typed into
  std::set<std::string> deleted_rows;
  std::vector<std::string> op_typed, op_removed, op_deleted;  // the current operation's
  std::string new_row;  // the row the current operation made
  std::string word(const std::string& row) {
    std::string w = "w" + std::to_string(next++) + "x";
    typed.insert(w);
    container[w] = row;
    op_typed.push_back(w);
    return w;
  }
  void remove(const std::string& w) {
    if (removed.insert(w).second) op_removed.push_back(w);
  }
  void delete_row(const std::string& id) {
    if (deleted_rows.insert(id).second) op_deleted.push_back(id);
  }
  void begin() {
    op_typed.clear();
    op_removed.clear();
    op_deleted.clear();
    new_row.clear();
  }
  void end(bool ok) {
    for (auto& w : op_typed) {
      if (!ok) typed.erase(w);
      else if (container[w] == "new") container[w] = new_row;
    }
    if (ok) return;
    for (auto& w : op_removed) removed.erase(w);
    for (auto& d : op_deleted) deleted_rows.erase(d);
  }
};

// The marked words in a text, found anywhere, not only between spaces: two
// tablets replacing one text at once, or one deleting a word while another
// types next to it, can leave two words without a space between them.
std::set<std::string> markers_in(const std::string& text) {
  std::set<std::string> out;
  for (std::size_t i = 0; (i = text.find('w', i)) != std::string::npos; ++i) {
    std::size_t e = i + 1;
    while (e < text.size() && std::isdigit(static_cast<unsigned char>(text[e]))) ++e;
    if (e > i + 1 && e < text.size() && text[e] == 'x') out.insert(text.substr(i, e + 1 - i));
  }
  return out;
}

// What every tablet must agree on, as text (ids included, so a divergence names its row).
std::string shared_view(replica& r, const std::string& meeting) {
  std::ostringstream o;
  for (auto& m : val(wf::members(r))) o << "member " << m.id << " " << m.name << " " << m.role << "\n";
  for (auto& m : val(wf::meetings(r))) o << "meeting " << m.id << " " << m.title << " " << m.date << " " << m.pack << "\n";
  for (auto& i : val(wf::items(r, meeting, true)))
    o << "item " << i.id << " " << i.number << " " << i.title << " " << i.pages << " " << i.removed << "\n";
  for (auto& p : val(wf::packs(r, meeting))) o << "pack " << p.id << " v" << p.version << " " << p.blocks << "\n";
  for (auto& p : val(wf::priorities(r))) {
    o << "priority " << p.id << " " << p.number << " " << p.title << " leads";
    for (auto& l : p.leads) o << " " << l;
    o << "\n";
  }
  for (auto& k : val(wf::kloes(r)))
    o << "kloe " << k.id << " " << k.priority << " " << k.topic << " " << k.owner << " " << k.approach << " " << k.status
      << ": " << k.bullets << "\n";
  for (auto& f : val(wf::forward_plan(r)))
    o << "forward " << f.id << " " << f.position << " " << f.title << " " << f.lead << " " << f.approach << ": " << f.notes << "\n";
  for (auto* list : {"group", "listed"}) {
    auto rows = std::string(list) == "group" ? wf::groups(r, meeting) : wf::consolidated_list(r, meeting);
    for (auto& c : *rows) {
      o << list << " " << c.number << " " << c.id << " " << c.section << " lead " << c.lead << " " << c.lead_label << " "
        << c.status << " from";
      for (auto& s : c.sources) o << " " << s;
      o << ": " << c.body << "\n";
    }
  }
  for (auto& a : val(wf::responses(r, meeting)))
    o << "response " << a.id << " to " << a.consolidated << " " << a.recording_time << " " << a.written << ": " << a.text << "\n";
  for (auto& a : val(wf::actions(r, meeting))) o << "action " << a.id << " " << a.status << " " << a.due << ": " << a.text << "\n";
  for (auto& s : val(wf::submissions(r, meeting)))
    o << "submission " << s.id << " " << s.name << " " << s.accepted << " " << s.reason << ": " << s.body << "\n";
  auto md = exporter::markdown(r, meeting);
  o << "export\n" << (md ? *md : "(export failed: " + md.err().message + ")") << "\n";
  return o.str();
}

// What the signed-in member may read: the questions (others' drafts once
// submitted), their own and others' notes, and their read mark.
std::string member_view(replica& r, const std::string& meeting) {
  std::ostringstream o;
  for (auto& q : val(wf::questions(r, meeting)))
    o << "question " << q.id << " by " << q.author << " [" << q.status << "] " << q.section << " / " << q.target << " / "
      << q.priority << " / " << q.item << " x" << q.subparts << " {" << q.outcome << "}: " << q.body << "\n";
  for (auto& a : val(wf::annotations(r, meeting)))
    o << "annotation " << a.id << " by " << a.author << " " << a.kind << " " << a.visibility << " " << a.priority << " "
      << wf::to_string(a.status) << " " << a.block << " " << a.cur_start << "-" << a.cur_end << " '" << a.quote << "': " << a.body
      << "\n";
  auto rd = wf::changed_since_read(r, meeting);
  if (rd) o << "read " << rd->read_pack << " of " << rd->current_pack << " changed " << rd->changed.size() << "\n";
  return o.str();
}

struct world {
  std::mt19937_64 rng;
  std::vector<tablet> tablets;
  std::vector<bytes> log;  // the server's order
  std::string meeting;
  test::device_clocks clocks{7, t0};  // one clock a tablet (the run has seven)
  ledger words;
  std::size_t done = 0, refused = 0, deliveries = 0, duplicates = 0, clock_changes = 0;
  std::map<std::string, std::size_t> ops_done;

  // Tablets' clocks disagree by up to a year: one a year ahead, one a year behind.
  explicit world(std::uint64_t seed) : rng(seed) { clocks.pick_all(rng); }
  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng() % n); }
  // What tablet t's own clock reads: every core call of t gets it, deliveries included.
  std::uint64_t now(tablet& t) {
    std::uint64_t ms = clocks.now(static_cast<std::size_t>(&t - tablets.data()));
    t.clock_high = std::max(t.clock_high, ms);
    return ms;
  }

  // A tablet's new changes, for the server. Their stamps never run more than
  // the allowed skew ahead of what its own clock has read: another tablet's
  // far-ahead stamp is never adopted.
  void collect(tablet& t) {
    for (auto& e : t.r->pending(1'000'000)) {
      if (!t.sent.insert(e).second) continue;
      t.outbox.push_back(e);
      auto env = codec::decode_envelope(e);
      REQUIRE(env.ok());
      auto body = codec::decode_body(env->payload, env->actor);
      REQUIRE(body.ok());
      CHECK_MESSAGE(body->hlc.wall_ms <= t.clock_high + limits::max_clock_skew_ms,
                    "a change stamped " << (body->hlc.wall_ms - t.clock_high) / test::minute_ms << " minutes ahead of its tablet's clock");
    }
  }
  void push(tablet& t) {
    for (auto& e : t.outbox) {
      log.push_back(e);
      for (auto& u : tablets) u.got.push_back(&u == &t);
    }
    t.outbox.clear();
  }
  // Some of what the server has, in random order, some twice.
  void pull(tablet& t, bool all) {
    std::vector<std::size_t> want;
    for (std::size_t i = 0; i < log.size(); ++i)
      if (!t.got[i] && (all || pick(3) != 0)) want.push_back(i);
    std::shuffle(want.begin(), want.end(), rng);
    for (std::size_t i : want) {
      auto a = t.r->apply(log[i], i + 1, now(t));
      REQUIRE_MESSAGE(a.ok(), a.err().message);
      t.got[i] = true;
      ++deliveries;
      if (!all && pick(8) == 0) {
        REQUIRE(t.r->apply(log[i], i + 1, now(t)).ok());
        ++duplicates;
      }
    }
  }

  tablet& add(const std::string& member, const std::string& role, const std::string& name) {
    tablet& t = tablets.emplace_back();
    bytes s(32);
    for (auto& b : s) b = static_cast<std::uint8_t>(rng());
    auto r = replica::create(s);
    REQUIRE(r.ok());
    t.r = std::move(*r);
    REQUIRE(t.r->set_space(demo::space_id()).ok());
    t.member = member;
    t.role = role;
    t.name = name;
    t.got.assign(log.size(), false);
    return t;
  }
};

// The text after a random edit: a new marked word somewhere, or a word gone.
std::vector<std::string> history;  // edits, for a failure's message (PACKLINE_DEBUG)
std::string edit_words(world& w, const std::string& text, const std::string& row, bool lines) {
  std::vector<std::string> parts;
  std::string sep = lines ? "\n" : " ";
  std::string cur;
  for (char c : text) {
    cur += c;
    if ((lines && c == '\n') || (!lines && c == ' ')) {
      parts.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  if (parts.size() > 2 && w.pick(3) == 0) {
    std::size_t k = w.pick(parts.size());
    for (auto& x : markers_in(parts[k])) w.words.remove(x);
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(k));
  } else {
    std::string add = lines ? "Line " + w.words.word(row) + " " + w.words.word(row) + "\n" : w.words.word(row) + " ";
    std::size_t k = w.pick(parts.size() + 1);
    if (k == parts.size() && !parts.empty() && parts.back().back() != sep[0]) parts.back() += sep;
    parts.insert(parts.begin() + static_cast<std::ptrdiff_t>(k), add);
  }
  std::string out;
  for (auto& p : parts) out += p;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (out.empty()) out = w.words.word(row);
  if (std::getenv("PACKLINE_DEBUG")) history.push_back(row + " [" + text + "] -> [" + out + "]");
  return out;
}

template <class T>
const T& any(world& w, const std::vector<T>& v) { return v[w.pick(v.size())]; }

// One random operation of tablet t as its member would do it. Returns the
// outcome: a refusal by the panel's rules (forbidden), a state the tablet
// has not caught up with (bad_state, not_found) are what members meet; any
// other error fails the test.
result<void> act(world& w, tablet& t) {
  replica& r = *t.r;
  const std::uint64_t now = w.now(t);
  const std::string& m = w.meeting;
  auto qs = val(wf::questions(r, m));
  std::vector<wf::question> mine, submitted;
  for (auto& q : qs) {
    if (q.author == t.member) mine.push_back(q);
    if (q.status == "submitted") submitted.push_back(q);
  }
  auto items = val(wf::items(r, m));
  auto pris = val(wf::priorities(r));
  std::vector<wf::priority> led;
  for (auto& p : pris)
    if (std::find(p.leads.begin(), p.leads.end(), t.member) != p.leads.end()) led.push_back(p);
  auto list = val(wf::consolidated_list(r, m));
  auto groups = val(wf::groups(r, m));
  auto members = val(wf::members(r));
  const bool chair = t.role == "chair" || t.role == "vice_chair";
  const bool clerk = t.role == "clerk";
  auto count = [&](const char* op) { ++w.ops_done[op]; };
  std::size_t choice = w.pick(100);

  if (!clerk && choice < 14) {  // draft a question
    wf::question_draft d;
    d.item = any(w, items).id;
    d.section = w.pick(3) == 0 ? "Finance" : "In quarter";
    d.body = "Will the Commissioner say " + w.words.word("new") + " " + w.words.word("new");
    if (!pris.empty() && w.pick(2)) d.priority = any(w, pris).id;
    count("draft_question");
    auto id = wf::draft_question(r, d, now);
    if (!id) return id.err();
    w.words.new_row = *id;
    return {};
  }
  if (!clerk && choice < 24 && !mine.empty()) {  // edit own question
    auto& q = any(w, mine);
    wf::question_draft d;
    d.item.clear();
    d.target.clear();
    d.section = w.pick(4) == 0 ? "Quarterly report" : "";
    d.body = edit_words(w, q.body, q.id, false);
    d.subparts = 0;
    count("edit_question");
    return wf::edit_question(r, q.id, d, now);
  }
  if (!clerk && choice < 29 && !mine.empty()) {
    auto& q = any(w, mine);
    if (w.pick(5) == 0) {
      count("withdraw_question");
      return wf::set_question_status(r, q.id, "withdrawn", now);
    }
    count("submit_question");
    return wf::submit_question(r, q.id, now);
  }
  if (choice < 36) {  // annotate
    auto item = any(w, items);
    auto bs = val(wf::blocks(r, item.id));
    if (bs.empty()) return {};
    auto b = any(w, bs);
    if (b.text.size() < 4) return {};
    wf::annotation_draft a;
    a.block = b.id;
    a.start = static_cast<std::int64_t>(w.pick(b.text.size() / 2));
    a.end = a.start + 1 + static_cast<std::int64_t>(w.pick(b.text.size() - static_cast<std::size_t>(a.start) - 1));
    a.kind = w.pick(2) ? "note" : "highlight";
    a.body = a.kind == "note" ? "Note " + w.words.word("new") : "";
    static const char* vis[] = {"private", "priority", "panel"};
    a.visibility = vis[w.pick(3)];
    if (a.visibility == "priority") {
      if (pris.empty()) a.visibility = "panel";
      else a.priority = any(w, pris).id;
    }
    count("annotate");
    auto id = wf::annotate(r, a, now);
    if (!id) return id.err();
    w.words.new_row = *id;
    return {};
  }
  if (choice < 41) {  // edit or delete own annotation
    std::vector<wf::annotation> own;
    for (auto& a : val(wf::annotations(r, m)))
      if (a.author == t.member) own.push_back(a);
    if (own.empty()) return {};
    auto a = any(w, own);
    if (w.pick(4) == 0) {
      count("delete_annotation");
      w.words.delete_row(a.id);
      return wf::delete_annotation(r, a.id, now);
    }
    count("edit_annotation");
    return wf::edit_annotation(r, a.id, a.kind == "note" ? edit_words(w, a.body, a.id, false) : "", a.visibility, a.priority, now);
  }
  if (choice < 44) {
    auto ps = val(wf::packs(r, m));
    if (ps.empty()) return {};
    count("mark_read");
    return wf::mark_read(r, any(w, ps).id, now);
  }
  if (choice < 54 && !led.empty()) {  // KLOEs: draft or edit the lines
    auto ks = val(wf::kloes(r));
    std::vector<wf::kloe> ours;
    for (auto& k : ks)
      for (auto& p : led)
        if (k.priority == p.id) ours.push_back(k);
    if (ours.empty() || w.pick(3) == 0) {
      wf::kloe k;
      k.priority = any(w, led).id;
      k.topic = "Topic " + std::to_string(w.pick(1000));
      k.bullets = "Line " + w.words.word("new") + "\nLine " + w.words.word("new");
      k.approach = w.pick(2) ? "Agenda" : "SSR";
      count("draft_kloe");
      auto id = wf::draft_kloe(r, k, now);
      if (!id) return id.err();
      w.words.new_row = *id;
      return {};
    }
    auto k = any(w, ours);
    wf::kloe e;
    e.id = k.id;
    e.bullets = edit_words(w, k.bullets, k.id, true);
    if (w.pick(5) == 0) e.approach = w.pick(2) ? "Agenda" : "SSR";
    count("edit_kloe");
    return wf::edit_kloe(r, e, now);
  }
  if (chair && choice < 80) {  // the board
    std::size_t c = w.pick(9);
    if (c == 0 && qs.size() >= 2) {
      std::vector<std::string> ids{any(w, qs).id, any(w, qs).id};
      if (ids[0] == ids[1]) return {};
      count("group_drafts");
      auto g = wf::group_drafts(r, m, ids, now);
      return g ? result<void>{} : result<void>(g.err());
    }
    if (c == 1 && !groups.empty()) {
      auto g = any(w, groups);
      wf::consolidated_draft d;
      d.body = "Merged " + w.words.word(g.id) + " " + w.words.word(g.id);
      d.section.clear();
      d.target.clear();
      count("merge_group");
      if (std::getenv("PACKLINE_DEBUG")) history.push_back("merge " + g.id + " [" + g.body + "] -> [" + d.body + "] by " + t.member);
      return wf::merge_group(r, g.id, d, now);
    }
    if (c == 2 && !submitted.empty()) {
      wf::consolidated_draft d;
      d.meeting = m;
      d.sources = {any(w, submitted).id};
      if (w.pick(3) == 0 && list.size() > 0 && !list.back().sources.empty()) d.sources.push_back(list.back().sources[0]);
      d.body = "Final " + w.words.word("new") + " " + w.words.word("new");
      d.section = w.pick(3) == 0 ? "Finance" : "In quarter";
      d.lead = any(w, members).id;
      count("consolidate");
      auto id = wf::consolidate(r, d, now);
      if (!id) return id.err();
      w.words.new_row = *id;
      return {};
    }
    if (c == 3 && !list.empty()) {
      auto x = any(w, list);
      wf::consolidated_draft d;
      d.section = w.pick(2) ? "" : (w.pick(2) ? "Finance" : "Quarterly report");
      d.target.clear();
      d.lead = w.pick(2) ? "" : any(w, members).id;
      d.body = w.pick(2) ? edit_words(w, x.body, x.id, false) : "";
      count("edit_consolidated");
      return wf::edit_consolidated(r, x.id, d, now);
    }
    if (c == 4 && !list.empty()) {
      auto x = any(w, list);
      for (auto& word : markers_in(x.body)) w.words.remove(word);  // the first part's wording replaces it
      std::vector<std::string> bodies{"Part " + w.words.word(x.id), "Part " + w.words.word("new")};
      count("split_consolidated");
      if (std::getenv("PACKLINE_DEBUG")) history.push_back("split " + x.id + " [" + x.body + "] -> [" + bodies[0] + "] by " + t.member);
      auto ids = wf::split_consolidated(r, x.id, bodies, now);
      if (!ids) return ids.err();
      w.words.new_row = (*ids)[1];
      return {};
    }
    if (c == 5 && list.size() >= 2) {
      std::size_t i = w.pick(list.size()), j = w.pick(list.size() + 1);
      std::vector<wf::consolidated> rest;
      for (std::size_t k = 0; k < list.size(); ++k)
        if (k != i) rest.push_back(list[k]);
      j = std::min(j, rest.size());
      count("move_consolidated");
      return wf::move_consolidated(r, list[i].id, j ? rest[j - 1].id : "", j < rest.size() ? rest[j].id : "", now);
    }
    if (c == 6 && !list.empty() && w.pick(3) == 0) {
      auto x = any(w, list);
      w.words.delete_row(x.id);
      count("remove_consolidated");
      return wf::remove_consolidated(r, x.id, now);
    }
    if (c == 7 && !submitted.empty()) {
      count("hold_over");
      return wf::set_question_status(r, any(w, submitted).id, "held_over", now);
    }
    auto fp = val(wf::forward_plan(r));
    if (fp.empty()) return {};
    wf::forward_item f = any(w, fp);
    wf::forward_item e;
    e.id = f.id;
    e.notes = edit_words(w, f.notes.empty() ? "Notes" : f.notes, f.id, false);
    count("edit_forward_item");
    return wf::edit_forward_item(r, e, now);
  }
  if (clerk && choice < 95) {
    std::size_t c = w.pick(7);
    if (c == 0 && w.pick(4) == 0) {  // republish the pack with a paragraph changed
      std::string text(demo::sample_pack());
      auto at = text.find("The Commissioner's report");
      if (at != std::string::npos) text.insert(at, "Revised " + std::to_string(w.pick(5)) + ". ");
      auto p = pack::parse_text(text);
      REQUIRE(p.ok());
      wf::import_options o;
      o.meeting_id = m;
      o.source = "sample-pack.txt";
      count("import_pack");
      auto rep = wf::import_pack(r, *p, o, now);
      return rep ? result<void>{} : result<void>(rep.err());
    }
    if (c == 1 && !list.empty()) {
      count("record_response");
      bool written = w.pick(2);
      auto id = wf::record_response(r, any(w, list).id, "Answer " + std::to_string(w.pick(100)), written ? "" : "01:20:24",
                                    written, now);
      return id ? result<void>{} : result<void>(id.err());
    }
    if (c == 2) {
      wf::action a;
      a.meeting = m;
      a.text = "Action " + std::to_string(w.pick(100));
      a.due = "2027-01-15";
      if (!list.empty()) a.consolidated = any(w, list).id;
      count("add_action");
      auto id = wf::add_action(r, a, now);
      return id ? result<void>{} : result<void>(id.err());
    }
    if (c == 3) {
      auto as = val(wf::actions(r, m));
      if (as.empty()) return {};
      count("set_action_status");
      return wf::set_action_status(r, any(w, as).id, w.pick(2) ? "closed" : "open", now);
    }
    if (c == 4) {
      wf::submission_draft s;
      s.meeting = m;
      s.name = "Resident " + std::to_string(w.pick(12));
      s.kind = w.pick(2) ? "question" : "statement";
      s.body = "What is being done about " + std::to_string(w.pick(100)) + "?";
      s.received_at = static_cast<std::int64_t>(t0 - w.pick(10) * 86'400'000ull);
      count("record_submission");
      auto x = wf::record_submission(r, s, now);
      return x ? result<void>{} : result<void>(x.err());
    }
    auto fp = val(wf::forward_plan(r));
    if (fp.empty()) return {};
    wf::forward_item f = any(w, fp);
    wf::forward_item e;
    e.id = f.id;
    e.notes = edit_words(w, f.notes.empty() ? "Notes" : f.notes, f.id, false);
    if (w.pick(3) == 0) e.approach = w.pick(2) ? "Agenda" : "SSR";
    count("edit_forward_item");
    return wf::edit_forward_item(r, e, now);
  }
  return {};
}

void run(std::uint64_t seed, std::uint64_t n_ops) {
  CAPTURE(seed);
  world w(seed);
  auto demo_envs = demo::envelopes(t0 - 86'400'000);
  REQUIRE(demo_envs.ok());
  w.log = *demo_envs;
  // The setup tablet is the clerk's: the demo pack's members, two leads per priority.
  tablet& clerk = w.add("", "clerk", "Dana Whitfield");
  w.pull(clerk, true);
  auto ms = val(wf::members(*clerk.r));
  std::map<std::string, std::string> id_of;
  for (auto& x : ms) id_of[x.name] = x.id;
  REQUIRE(id_of.count("Dana Whitfield"));
  clerk.member = id_of["Dana Whitfield"];
  REQUIRE(wf::sign_in(*clerk.r, clerk.member).ok());
  auto meetings = val(wf::meetings(*clerk.r));
  REQUIRE(meetings.size() == 1);
  w.meeting = meetings[0].id;
  auto pris = val(wf::priorities(*clerk.r));
  if (pris.size() < 2) {
    REQUIRE(wf::add_priority(*clerk.r, 1, "Cut crime", w.now(clerk)).ok());
    REQUIRE(wf::add_priority(*clerk.r, 2, "Support victims", w.now(clerk)).ok());
    pris = val(wf::priorities(*clerk.r));
  }
  std::string tom, jo, alex, priya, sam;
  for (auto& x : ms) {
    if (x.role == "chair") alex = x.id;
    else if (x.role == "vice_chair") priya = x.id;
    else if (x.role == "independent_member") sam = x.id;
    else if (x.role == "member" && tom.empty()) tom = x.id;
    else if (x.role == "member") jo = x.id;
  }
  REQUIRE(!alex.empty());
  REQUIRE(!priya.empty());
  REQUIRE(!sam.empty());
  REQUIRE(!jo.empty());
  REQUIRE(wf::set_priority_leads(*clerk.r, pris[0].id, {tom, jo}, w.now(clerk)).ok());
  REQUIRE(wf::set_priority_leads(*clerk.r, pris[1].id, {jo}, w.now(clerk)).ok());
  w.collect(clerk);
  w.push(clerk);
  for (auto [member, role] : {std::pair{alex, "chair"}, {priya, "vice_chair"}, {tom, "member"}, {tom, "member"}, {jo, "member"},
                              {sam, "independent_member"}}) {
    tablet& t = w.add(member, role, "");
    w.pull(t, true);
    REQUIRE(wf::sign_in(*t.r, member).ok());
  }
  // (tablets 3 and 4 are one member's: Tom's two tablets)

  for (std::uint64_t step = 0; step < n_ops; ++step) {
    w.clocks.advance(1 + w.pick(20'000));
    if (w.clocks.maybe_change(w.rng, 50)) ++w.clock_changes;  // a clock set wrong, or put right
    tablet& t = w.tablets[w.pick(w.tablets.size())];
    std::size_t what = w.pick(100);
    if (what < 8) {
      t.online = !t.online;  // offline periods come and go
      continue;
    }
    if (what < 25) {
      if (t.online) {
        w.push(t);
        w.pull(t, false);
      }
      continue;
    }
    w.words.begin();
    auto r = act(w, t);
    w.words.end(r.ok());
    if (!r) {
      auto code = r.err().code;
      INFO("operation refused: " << r.err().message);
      CHECK((code == errc::forbidden || code == errc::bad_state || code == errc::not_found));
      ++w.refused;
    } else {
      ++w.done;
    }
    w.collect(t);
    if (t.online && w.pick(3) == 0) w.push(t);
  }
  // Everyone back online; the server delivers everything, in any order.
  for (int round = 0; round < 2; ++round)
    for (auto& t : w.tablets) {
      t.online = true;
      w.collect(t);
      w.push(t);
    }
  for (auto& t : w.tablets) w.pull(t, true);
  for (auto& t : w.tablets) REQUIRE(t.r->waiting_count() == 0);

  // The same for everyone: every workflow query.
  const std::string want = shared_view(*w.tablets[0].r, w.meeting);
  for (std::size_t i = 1; i < w.tablets.size(); ++i) {
    CAPTURE(i);
    CHECK(shared_view(*w.tablets[i].r, w.meeting) == want);
  }
  // Per member: what they may read reads the same on every tablet (here,
  // as in an open panel, every tablet holds every row; the query decides).
  std::set<std::string> members;
  for (auto& t : w.tablets) members.insert(t.member);
  std::string texts = want;
  for (auto& m : members) {
    std::string first;
    for (std::size_t i = 0; i < w.tablets.size(); ++i) {
      auto& t = w.tablets[i];
      REQUIRE(wf::sign_in(*t.r, m).ok());
      std::string v = member_view(*t.r, w.meeting);
      if (i == 0) first = v;
      CAPTURE(m);
      CAPTURE(i);
      CHECK(v == first);
      REQUIRE(wf::sign_in(*t.r, t.member).ok());
    }
    texts += first;
  }
  // No typed word lost: every marked word not removed by an edit and not in a
  // deleted row is in what someone can read.
  std::set<std::string> present = markers_in(texts);
  std::size_t checked = 0;
  for (auto& word : w.words.typed) {
    if (w.words.removed.count(word) || w.words.deleted_rows.count(w.words.container[word])) continue;
    ++checked;
    CAPTURE(word);
    CAPTURE(w.words.container[word]);
    CHECK(present.count(word) == 1);
    if (!present.count(word) && std::getenv("PACKLINE_DEBUG")) {
      std::istringstream in(texts);
      for (std::string line; std::getline(in, line);)
        if (line.find(w.words.container[word]) != std::string::npos) MESSAGE(line);
      for (auto& h : history)
        if (h.find(w.words.container[word]) != std::string::npos) MESSAGE(h);
    }
  }
  // Nothing refused for good: what one tablet refused, every other refused
  // too, for the same reason (the rules judge the same change the same way).
  auto refused_of = [&](tablet& t) {
    std::set<std::string> out;
    for (auto& x : val(t.r->refused_changes())) out.insert(to_hex(x.actor) + "/" + std::to_string(x.seq) + " " + x.reason);
    return out;
  };
  for (auto& t : w.tablets) {
    std::set<std::string> mine = refused_of(t), others;
    for (auto& u : w.tablets)
      if (&u != &t)
        for (auto& x : refused_of(u)) others.insert(x);
    CAPTURE(t.member);
    for (auto& x : mine) CHECK_MESSAGE(others.count(x) == 1, "refused only here: " << x);
  }
  // An edit made after seeing everything wins on every tablet, whatever the
  // clocks say: the clerk (clock right), the chair (a year ahead), the
  // vice-chair (a year behind, after the chair), the clerk again.
  w.clocks.set_skew(0, 0);
  w.clocks.set_skew(1, test::year_ms);
  w.clocks.set_skew(2, -test::year_ms);
  auto fp = val(wf::forward_plan(*w.tablets[0].r));
  REQUIRE(!fp.empty());
  for (std::size_t i : {0, 1, 2, 0}) {
    tablet& t = w.tablets[i];
    CAPTURE(i);
    wf::forward_item e;
    e.id = fp[0].id;
    e.kloes = "Seen everything, then set by tablet " + std::to_string(i) + " at " + std::to_string(w.now(t));
    e.approach = i == 2 ? "SSR" : "Agenda";
    REQUIRE(wf::edit_forward_item(*t.r, e, w.now(t)).ok());
    w.collect(t);
    w.push(t);
    for (auto& u : w.tablets) {
      w.pull(u, true);
      auto row = val(wf::forward_plan(*u.r));
      auto it = std::find_if(row.begin(), row.end(), [&](auto& f) { return f.id == e.id; });
      REQUIRE(it != row.end());
      CHECK(it->kloes == e.kloes);
      CHECK(it->approach == e.approach);
    }
    w.clocks.advance(1'000);
  }
  for (std::size_t i = 1; i < w.tablets.size(); ++i) CHECK(shared_view(*w.tablets[i].r, w.meeting) == shared_view(*w.tablets[0].r, w.meeting));

  std::ostringstream ops;
  for (auto& [k, v] : w.ops_done) ops << " " << k << "=" << v;
  MESSAGE("seed " << seed << ": " << w.done << " operations done, " << w.refused << " refused by the rules; " << w.log.size()
                  << " changes, " << w.deliveries << " deliveries (" << w.duplicates << " duplicates); " << checked
                  << " typed words traced; " << w.clock_changes << " clock changes; " << refused_of(w.tablets[0]).size()
                  << " changes refused on arrival;" << ops.str());
}

}  // namespace

TEST_CASE("workflow convergence: seven tablets of six members run every workflow operation offline and agree") {
  std::uint64_t ops = env_or("PACKLINE_PROPERTY_OPS", 500);
  std::uint64_t seeds = env_or("PACKLINE_PROPERTY_SEEDS", 3), first = env_or("PACKLINE_PROPERTY_FIRST_SEED", 1);
  for (std::uint64_t s = first; s < first + seeds; ++s) run(s, ops);
}
