// After the meeting: the answers given, actions with their owners and dates,
// and the actions that carry over to the next meeting.
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

// ---- after the meeting -----------------------------------------------------

namespace {
// A response row; the drafts merged into the answered question become
// answered / answered_in_writing. `to` may be null (an answer the documents
// record but do not tie to a question on the list).
// `draft`: the member's draft it answers, when the import can tell.
void response_ops(std::vector<op>& ops, const bytes& id, const bytes& meeting, const row* to, const std::string& text,
                  const std::string& recording_time, bool written, const bytes& member, std::uint64_t now_ms,
                  const row* draft = nullptr) {
  ops.push_back(set("response", id, "meeting", meeting));
  if (to) ops.push_back(set("response", id, "consolidated", to->id));
  if (draft) {
    ops.push_back(set("response", id, "question", draft->id));
    if (!to) ops.push_back(set("question", draft->id, "status", str(written ? "answered_in_writing" : "answered")));
  }
  ops.push_back(set("response", id, "text", str(text)));
  ops.push_back(set("response", id, "recording_time", str(recording_time)));
  ops.push_back(set("response", id, "written", num(written ? 1 : 0)));
  ops.push_back(set("response", id, "created_by", member));
  ops.push_back(set("response", id, "created_at", num(static_cast<std::int64_t>(now_ms))));
  if (!to) return;
  for (auto& s : split_ids(to->text("sources"))) {
    bytes q = from_hex(s);
    if (q.size() == 16) ops.push_back(set("question", q, "status", str(written ? "answered_in_writing" : "answered")));
  }
}

bool valid_recording_time(const std::string& t) {
  if (t.empty()) return true;
  int h, m, s;
  char tail;
  return std::sscanf(t.c_str(), "%d:%d:%d%c", &h, &m, &s, &tail) == 3 && h >= 0 && m >= 0 && m < 60 && s >= 0 && s < 60;
}
}  // namespace

result<std::string> record_response(replica& r, const std::string& consolidated_id, const std::string& text,
                                    const std::string& recording_time, bool written, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "consolidated_question", consolidated_id, "consolidated question");
  if (!x) return x.err();
  if (text.empty()) return make_error(errc::invalid_argument, "the answer is empty");
  if (!valid_recording_time(recording_time))
    return make_error(errc::invalid_argument, "a recording time reads like 01:20:24 (hours:minutes:seconds)");
  bytes id = new_row_id();
  std::vector<op> ops;
  response_ops(ops, id, bytes_of(*x, "meeting"), &*x, text, recording_time, written, a->member, now_ms);
  auto cm = commit_checked(r, *a, std::move(ops), now_ms);
  if (!cm) return cm.err();
  return to_hex(id);
}

namespace {
// Share of the words of `part` that are in `whole`.
double coverage(const std::string& part, const std::string& whole) {
  auto x = word_set(part), y = word_set(whole);
  if (x.empty()) return 0;
  std::size_t common = 0;
  for (auto& w : x) common += y.count(w);
  return static_cast<double>(common) / static_cast<double>(x.size());
}

}  // namespace

namespace detail {
result<void> import_answers(replica& r, const pack::parsed& p, const bytes& meeting, const bytes& member,
                            std::uint64_t now_ms, std::vector<op>& ops, import_report& rep) {
  // A recorded answer belongs to a question on the list when the list's
  // wording is (mostly) in what the document prints; else, for the panel's
  // own questions (they name a "Question Lead"), to the one it numbers.
  // Below this share of words the documents do not say.
  constexpr double same_question = 0.6;
  std::map<std::string, std::optional<bytes>> meeting_on;  // minutes date → meeting
  std::map<bytes, std::vector<row>> lists, drafts;
  for (const auto& an : p.answers) {
    bytes m = meeting;
    if (!an.meeting_date.empty() && an.meeting_date != p.meeting.date) {
      if (!meeting_on.count(an.meeting_date)) {
        auto ms = r.rows("meeting", "date", str(an.meeting_date));
        if (!ms) return ms.err();
        meeting_on[an.meeting_date] = ms->empty() ? std::nullopt : std::optional<bytes>(ms->front().id);
      }
      if (!meeting_on[an.meeting_date]) {
        ++rep.answers_unplaced;  // minutes of a meeting this panel has no record of
        continue;
      }
      m = *meeting_on[an.meeting_date];
    }
    if (!lists.count(m)) {
      auto rows = r.rows("consolidated_question", "meeting", m, "position");
      if (!rows) return rows.err();
      auto& l = lists[m];
      for (auto& x : *rows)
        if (x.text("status") != grouped) l.push_back(std::move(x));
    }
    const auto& list = lists[m];
    const std::string& printed = an.question.empty() ? an.text : an.question;
    const row* to = nullptr;
    double best = same_question;
    for (auto& x : list)
      if (double c = coverage(x.text("body"), printed); c >= best) {
        best = c;
        to = &x;
      }
    if (!to && !an.number.empty() && !an.lead.empty()) {
      std::size_t n = static_cast<std::size_t>(std::atoi(an.number.c_str()));
      if (n >= 1 && n <= list.size()) to = &list[n - 1];
    }
    // The member's own draft, where the words tell: the draft whose wording
    // is most in what the document prints, among the list question's sources
    // (or, off the list, the meeting's drafts not withdrawn).
    if (!drafts.count(m)) {
      auto rows = r.rows("question", "meeting", m, "created_at");
      if (!rows) return rows.err();
      auto& d = drafts[m];
      for (auto& x : *rows)
        if (x.text("status") != "withdrawn") d.push_back(std::move(x));
    }
    std::vector<std::string> sources = to ? split_ids(to->text("sources")) : std::vector<std::string>{};
    const row* draft = nullptr;
    double best_draft = same_question;
    for (auto& x : drafts[m]) {
      if (to && std::find(sources.begin(), sources.end(), to_hex(x.id)) == sources.end()) continue;
      if (double c = coverage(words_of(r, x).value_or(""), printed); c >= best_draft) {
        best_draft = c;
        draft = &x;
      }
    }
    std::string text = an.text;
    if (!to && !draft && !an.question.empty()) text = "Question " + an.number + ": " + an.question + "\n\n" + text;
    bytes id = derived_id("response", m, pack::text_hash(an.number + "\n" + an.question + "\n" + an.text));
    response_ops(ops, id, m, to, text, an.recording_time, an.written, member, now_ms, draft);
    ++rep.answers;
    if (to) ++rep.answers_linked;
    if (draft) ++rep.answers_to_drafts;
  }
  return {};
}
}  // namespace detail

namespace {
}  // namespace

result<std::vector<response>> responses(replica& r, const std::string& meeting_id) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  auto rows = r.rows("response", "meeting", *m, "created_at");
  if (!rows) return rows.err();
  std::vector<response> out;
  for (auto& x : *rows)
    out.push_back({to_hex(x.id), meeting_id, hex_of(x, "consolidated"), x.text("text"), x.text("recording_time"),
                   int_of(x, "written") != 0, hex_of(x, "question")});
  return out;
}

result<std::string> add_action(replica& r, const action& ac, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto m = id_arg(ac.meeting, "meeting");
  if (!m) return m.err();
  if (ac.text.empty()) return make_error(errc::invalid_argument, "an action needs a description");
  int y, mo, d;
  if (!ac.due.empty() && std::sscanf(ac.due.c_str(), "%d-%d-%d", &y, &mo, &d) != 3)
    return make_error(errc::invalid_argument, "a due date reads like 2021-02-04");
  bytes id = new_row_id();
  std::vector<op> ops{set("action", id, "meeting", *m),         set("action", id, "text", str(ac.text)),
                      set("action", id, "owner", str(ac.owner)), set("action", id, "due", str(ac.due)),
                      set("action", id, "status", str("open")),  set("action", id, "created_by", a->member),
                      set("action", id, "created_at", num(static_cast<std::int64_t>(now_ms)))};
  if (!ac.consolidated.empty()) {
    auto c = id_arg(ac.consolidated, "consolidated question");
    if (!c) return c.err();
    ops.push_back(set("action", id, "consolidated", *c));
  }
  auto cm = commit_checked(r, *a, std::move(ops), now_ms);
  if (!cm) return cm.err();
  return to_hex(id);
}

result<void> set_action_status(replica& r, const std::string& action_id, const std::string& status, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  if (status != "open" && status != "closed") return make_error(errc::invalid_argument, "an action is open or closed");
  auto x = need_row(r, "action", action_id, "action");
  if (!x) return x.err();
  std::vector<op> ops{set("action", x->id, "status", str(status))};
  if (status == "closed") ops.push_back(set("action", x->id, "closed_at", num(static_cast<std::int64_t>(now_ms))));
  auto cm = commit_checked(r, *a, std::move(ops), now_ms);
  if (!cm) return cm.err();
  return {};
}

result<std::vector<action>> actions(replica& r, const std::string& meeting_id) {
  auto m = meeting_by_id(r, meeting_id);
  if (!m) return m.err();
  auto ms = meetings(r);
  if (!ms) return ms.err();
  std::map<std::string, std::string> date_of;
  for (auto& x : *ms) date_of[x.id] = x.date;
  auto rows = r.rows("action", {}, {}, "created_at");
  if (!rows) return rows.err();
  std::vector<action> own, carried;
  for (auto& x : *rows) {
    action ac{to_hex(x.id), hex_of(x, "meeting"), hex_of(x, "consolidated"), x.text("text"), x.text("owner"),
              x.text("due"), x.text("status")};
    if (ac.meeting == meeting_id) own.push_back(ac);
    else if (ac.status == "open" && !date_of[ac.meeting].empty() && date_of[ac.meeting] < m->date) {
      ac.carried = true;
      carried.push_back(ac);
    }
  }
  own.insert(own.end(), carried.begin(), carried.end());
  return own;
}

}  // namespace packline::workflow
