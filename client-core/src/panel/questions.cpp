// Members' draft questions: drafted, edited, submitted to the chair, and
// their status as the meeting goes (asked, answered, withdrawn).
#include "packline/panel/workflow.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "packline/base/fractional.hpp"
#include "packline/base/limits.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/rules/rules.hpp"
#include "panel/workflow_support.hpp"

namespace packline::workflow {
using namespace detail;

// ---- questions ------------------------------------------------------------

namespace {

// A question's status as members read it ("answered in writing").
std::string status_words(std::string s) {
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

bool counts_as_asked(const std::string& status) {
  return status == "submitted" || status == "consolidated" || status == "asked" || status == "answered" ||
         status == "answered_in_writing";
}

question to_question(const row& x, const std::string& meeting_id) {
  question q;
  q.id = to_hex(x.id);
  q.meeting = meeting_id;
  q.item = hex_of(x, "item");
  q.author = hex_of(x, "author");
  q.target = x.text("target");
  q.section = x.text("section");
  q.body = x.text("body");
  q.status = x.text("status");
  q.created_at = int_of(x, "created_at");
  q.priority = hex_of(x, "priority");
  q.subparts = std::max<std::int64_t>(1, int_of(x, "subparts", 1));
  return q;
}



}  // namespace

result<std::vector<question>> questions(replica& r, const std::string& meeting_id) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  auto rows = r.rows("question", "meeting", *m, "created_at");
  if (!rows) return rows.err();
  auto list = consolidated_list(r, meeting_id);
  if (!list) return list.err();
  std::map<std::string, std::vector<const consolidated*>> merged;
  for (auto& c : *list)
    for (auto& s : c.sources) merged[s].push_back(&c);
  auto answers = responses(r, meeting_id);
  if (!answers) return answers.err();
  std::map<std::string, const response*> answer_to;  // consolidated id -> its answer
  for (auto& a : *answers)
    if (!a.consolidated.empty()) answer_to[a.consolidated] = &a;
  std::vector<question> out;
  const std::string me_id = signed_in_member(r);
  for (auto& x : *rows) {
    question q = to_question(x, meeting_id);
    // A draft is its author's own until submitted (drafts from before this
    // rule have no private_draft and stay as they were).
    if (q.status == "draft" && q.author != me_id && int_of(x, "private_draft") == 1) continue;
    auto words = words_of(r, x);
    if (!words) continue;  // sealed to its author (e.g. withdrawn before it was submitted)
    q.body = std::move(*words);
    std::string into, each;
    bool any_answer = false;
    for (auto* c : merged[q.id]) {
      into += (into.empty() ? "Q" : " and Q") + std::to_string(c->number);
      // A draft in several questions: each one's own outcome.
      auto a = answer_to.find(c->id);
      any_answer = any_answer || a != answer_to.end();
      each += (each.empty() ? "Q" : "; Q") + std::to_string(c->number) +
              (a == answer_to.end() ? " not answered yet" : a->second->written ? " answered in writing" : " answered at the meeting");
    }
    if (merged[q.id].size() > 1 && any_answer && q.status != "withdrawn") q.outcome = each;
    else if (q.status == "held_over") q.outcome = "held over to the next meeting";
    else if (q.status == "withdrawn") q.outcome = "withdrawn";
    else if (q.status == "answered_in_writing") q.outcome = "answered in writing" + (into.empty() ? "" : " (" + into + ")");
    else if (q.status == "answered") q.outcome = "answered at the meeting" + (into.empty() ? "" : " (" + into + ")");
    else if (!into.empty()) q.outcome = "merged into " + into;
    else q.outcome.clear();  // nothing happened to it yet: its status says it all
    out.push_back(std::move(q));
  }
  return out;
}

result<std::string> draft_question(replica& r, const question_draft& d, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto item = id_arg(d.item, "agenda item");
  if (!item) return item.err();
  std::string text = d.body;
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
  if (text.empty()) return make_error(errc::invalid_argument, "the question is empty");
  PL_TRY(check_words(text, limits::max_question_words, "A question"));
  if (d.subparts < 1 || d.subparts > 26) return make_error(errc::invalid_argument, "a question has 1 to 26 parts");
  auto it = find_row(r, "pack_item", *item);
  if (!it) return it.err();
  if (!*it) return make_error(errc::not_found, "that agenda item is not in this pack");
  bytes id = new_row_id();
  // In a secured panel the words are sealed to the author until submitted
  // (the test is the change's own sealing, as for private notes).
  const bool sealed = r.write_epoch() != 0;
  crypto::secret key;
  if (sealed) {
    auto k = r.words_key(a->member, id);
    if (!k) return make_error(errc::no_key, "this tablet has not received your private key yet: connect once, then save the draft again");
    key = std::move(*k);
  }
  std::vector<op> ops{
      set("question", id, "meeting", *(*it)->get("meeting")),
      set("question", id, "item", *item),
      set("question", id, "author", a->member),
      set("question", id, "status", str("draft")),
      set("question", id, "private_draft", num(1)),
      set("question", id, "target", str(d.target)),
      set("question", id, "section", str(d.section)),
      set("question", id, "subparts", num(d.subparts)),
      set("question", id, "created_by", a->member),
      set("question", id, "created_at", num(static_cast<std::int64_t>(now_ms))),
  };
  if (!d.priority.empty()) {
    auto p = id_arg(d.priority, "priority");
    if (!p) return p.err();
    ops.push_back(set("question", id, "priority", *p));
  }
  if (sealed) ops.push_back(set("question", id, "sealed_words", num(1)));
  PL_TRY(add_text(r, ops, "question", id, "body", text, sealed ? &key : nullptr));
  auto c = commit_checked(r, *a, std::move(ops), now_ms);
  if (!c) return c.err();
  return to_hex(id);
}

result<std::string> draft_question(replica& r, const std::string& item_id, const std::string& body, std::uint64_t now_ms) {
  question_draft d;
  d.item = item_id;
  d.body = body;
  return draft_question(r, d, now_ms);
}

result<void> edit_question(replica& r, const std::string& question_id, const question_draft& d, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto q = need_row(r, "question", question_id, "question");
  if (!q) return q.err();
  std::vector<op> ops;
  PL_TRY(check_words(d.body, limits::max_question_words, "A question"));
  if (!d.body.empty()) {
    auto k = words_key_of(r, *q);
    if (!k) return make_error(errc::forbidden, "only the author edits a draft");
    PL_TRY(add_text(r, ops, "question", q->id, "body", d.body, k->empty() ? nullptr : &*k));
  }
  if (!d.target.empty()) ops.push_back(set("question", q->id, "target", str(d.target)));
  if (!d.section.empty()) ops.push_back(set("question", q->id, "section", str(d.section)));
  if (d.subparts >= 1) ops.push_back(set("question", q->id, "subparts", num(d.subparts)));
  if (!d.priority.empty()) {
    auto p = id_arg(d.priority, "priority");
    if (!p) return p.err();
    ops.push_back(set("question", q->id, "priority", *p));
  }
  if (!d.item.empty()) {
    auto i = id_arg(d.item, "agenda item");
    if (!i) return i.err();
    ops.push_back(set("question", q->id, "item", *i));
  }
  if (ops.empty()) return {};
  auto c = commit_checked(r, *a, std::move(ops), now_ms);
  if (!c) return c.err();
  return {};
}

result<void> submit_question(replica& r, const std::string& question_id, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto q = need_row(r, "question", question_id, "question");
  if (!q) return q.err();
  if (bytes_of(*q, "author") != a->member) return make_error(errc::forbidden, "only the author submits a draft");
  if (q->text("status") != "draft") return make_error(errc::bad_state, "only a draft can be submitted; this question is " + status_words(q->text("status")) + " already");
  panel_rules pr = rules_of(r);
  auto all = r.rows("question", "meeting", *q->get("meeting"));
  if (!all) return all.err();
  auto parts = [&](const row& x) { return pr.subparts_count ? std::max<std::int64_t>(1, int_of(x, "subparts", 1)) : 1; };
  std::int64_t used = 0;
  for (auto& x : *all)
    if (x.id != q->id && bytes_of(x, "author") == a->member && counts_as_asked(x.text("status"))) used += parts(x);
  std::int64_t want = parts(*q);
  if (used + want > pr.questions_per_councillor) {
    std::string msg = "the panel allows " + std::to_string(pr.questions_per_councillor) +
                      " questions per councillor per meeting";
    if (pr.subparts_count) msg += " (sub-divided questions count towards that)";
    msg += "; you have already submitted " + std::to_string(used) + (used == 1 ? " question" : " questions");
    if (want > 1) msg += " and this one has " + std::to_string(want) + " parts";
    msg += ". Your draft is kept.";
    return make_error(errc::forbidden, msg);
  }
  std::vector<op> ops{set("question", q->id, "status", str("submitted")),
                      set("question", q->id, "submitted_at", num(static_cast<std::int64_t>(now_ms)))};
  // Submitted, the words are the panel's: the draft's key is disclosed.
  auto k = words_key_of(r, *q);
  if (!k) return k.err();
  if (!k->empty()) ops.push_back(set("question", q->id, "words_key", k->expose()));
  auto c = commit_checked(r, *a, std::move(ops), now_ms);
  if (!c) return c.err();
  return {};
}

result<void> set_question_status(replica& r, const std::string& question_id, const std::string& status, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto q = need_row(r, "question", question_id, "question");
  if (!q) return q.err();
  if (status == "submitted") return submit_question(r, question_id, now_ms);
  auto c = commit_checked(r, *a, {set("question", q->id, "status", str(status))}, now_ms);
  if (!c) return c.err();
  return {};
}

}  // namespace packline::workflow
