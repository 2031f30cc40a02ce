// Agenda packs into the replica: a parsed pack written as meeting, items,
// documents and blocks (re-imports update in place, the clerk's corrections
// kept), the plan and answers a pack carries, and its blocks read back with
// what changed between versions.
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

// ---- packs ----------------------------------------------------------------

namespace {

struct chunker {
  replica& r;
  const actor& a;
  std::uint64_t now;
  const pack::progress_fn& progress;
  std::size_t total;
  std::vector<op> ops;
  std::size_t bytes_est = 0, done = 0, changes = 0;

  // Keep each change well inside limits::max_envelope_bytes and max_ops_per_change.
  static constexpr std::size_t max_ops = 1500;
  static constexpr std::size_t max_bytes = limits::max_envelope_bytes / 2;

  static std::size_t size_of(const op& o) {
    std::size_t n = o.table.size() + o.field.size() + o.row.size() + 12;
    if (auto* s = std::get_if<std::string>(&o.val)) n += s->size();
    if (auto* b = std::get_if<bytes>(&o.val)) n += b->size();
    return n + 9 + o.text.content.size() + 2 * (o.text.left.actor.size() + o.text.right.actor.size() + o.text.id.actor.size());
  }
  result<void> add(op o, std::size_t units = 0) {
    std::size_t n = size_of(o);
    if (!ops.empty() && (ops.size() + 1 > max_ops || bytes_est + n > max_bytes)) PL_TRY(flush());
    bytes_est += n;
    ops.push_back(std::move(o));
    done += units;
    return {};
  }
  result<void> flush() {
    if (ops.empty()) return {};
    auto c = commit_checked(r, a, std::move(ops), now);
    if (!c) return c.err();
    ops.clear();
    bytes_est = 0;
    ++changes;
    if (progress) progress("write", std::min(done, total), total);
    return {};
  }
};


}  // namespace

// A person's name for matching: lower case, titles off ("Cllr", "Councillor", "Mr", ...).
std::string person_key(const std::string& name) {
  std::string k = name_key(name);
  for (const char* t : {"mr ", "mrs ", "ms ", "miss ", "dr "})
    if (k.rfind(t, 0) == 0) k = k.substr(std::string_view(t).size());
  return k;
}

namespace {

// The meeting a pack is for: the one given, or the one of its date and
// body, or (none yet) the id a new one gets.
struct meeting_ref {
  bytes id;
  std::optional<row> existing;
};
result<meeting_ref> meeting_of(replica& r, const pack::parsed& p, const std::string& given) {
  meeting_ref out;
  if (!given.empty()) {
    auto m = need_row(r, "meeting", given, "meeting");
    if (!m) return m.err();
    out.id = m->id;
    out.existing = std::move(*m);
    return out;
  }
  auto ms = r.rows("meeting", "date", str(p.meeting.date));
  if (!ms) return ms.err();
  for (auto& m : *ms)
    if (lower(m.text("body")) == lower(p.meeting.body) || lower(m.text("title")) == lower(p.meeting.title) ||
        m.text("body").empty()) {
      out.id = m.id;
      out.existing = m;
      return out;
    }
  // Derived, so two clerks importing the same pack offline make one meeting.
  out.id = derived_id("meeting", {}, p.meeting.date + "\n" + lower(p.meeting.body));
  return out;
}

// Item ids: stable per meeting and number, so drafts and the clerk's
// corrections survive republication.
std::vector<bytes> item_ids_of(const pack::parsed& p, const bytes& meeting_id) {
  std::vector<bytes> ids;
  for (auto& it : p.items)
    ids.push_back(p.kind == "supplement" ? derived_id("supplement", meeting_id, p.fingerprint)
                                         : derived_id("item", meeting_id, it.number));
  return ids;
}

// The clerk's corrections of a meeting's earlier versions as they apply to
// the parsed pack `p` (items `ids`): what each would do, and the item fields
// to write for them.
struct corrections_plan {
  std::vector<correction_match> list;
  std::map<bytes, std::map<std::string, value>> fields;  // item → field → value
  std::vector<bytes> readded;                             // items the clerk added, listed again
};
result<corrections_plan> plan_corrections(replica& r, const bytes& meeting, const pack::parsed& p, const std::vector<bytes>& ids) {
  corrections_plan out;
  if (p.kind == "supplement") return out;
  auto cs = r.rows("agenda_correction", "meeting", meeting, "created_at");
  if (!cs) return cs.err();
  if (cs->empty()) return out;
  auto olds = r.rows("pack_item", "meeting", meeting, "position");
  if (!olds) return olds.err();
  std::map<bytes, const row*> old;
  for (auto& x : *olds) old[x.id] = &x;
  std::map<bytes, std::size_t> index;
  for (std::size_t k = 0; k < ids.size(); ++k) index[ids[k]] = k;
  std::vector<bytes> order = ids;
  bool moved = false;
  std::map<std::int64_t, std::string> page_text;  // the new version's pages, to find a placed item's first page
  auto label = [&](const bytes& item, std::string& number, std::string& title) {
    auto k = index.find(item);
    if (k != index.end()) number = p.items[k->second].number, title = p.items[k->second].title;
    else if (old.count(item)) number = old[item]->text("number"), title = old[item]->text("title");
  };
  auto name = [&](const bytes& item) {
    std::string n, t;
    label(item, n, t);
    return n.empty() ? "“" + t + "”" : "item " + n;
  };
  for (auto& c : *cs) {
    correction_match m;
    bytes item = bytes_of(c, "item");
    m.item = to_hex(item);
    m.field = c.text("field");
    label(item, m.number, m.title);
    std::string v = c.text("value");
    bool listed = index.count(item) > 0;
    bool present = listed || std::find(out.readded.begin(), out.readded.end(), item) != out.readded.end();
    auto k = index.find(item);
    const pack::item* parsed_item = k == index.end() ? nullptr : &p.items[k->second];
    if (m.field == "added") {
      m.what = "add " + name(item) + (m.title.empty() || m.number.empty() ? "" : " “" + m.title + "”");
      if (listed) m.note = "this version lists it";
      else if (!old.count(item)) m.note = "the item is gone";
      else {
        m.value = "1";
        out.readded.push_back(item);
        order.push_back(item);
        moved = true;
        out.fields[item]["removed"] = num(0);
      }
    } else if (!present) {
      m.what = m.field + " of " + name(item);
      m.note = "the item is not in this version";
    } else if (m.field == "title" || m.field == "number") {
      m.what = (m.field == "title" ? "rename " + name(item) + " to “" + v + "”" : "number “" + m.title + "” as " + v);
      std::string now = parsed_item ? (m.field == "title" ? parsed_item->title : parsed_item->number)
                                    : old[item]->text(m.field);
      if (now == v && parsed_item) m.note = "already so in this version";
      else m.value = v, out.fields[item][m.field] = str(v);
    } else if (m.field == "exempt") {
      bool want = v == "1";
      m.what = (want ? "mark " : "unmark ") + name(item) + " as exempt";
      if (parsed_item && parsed_item->exempt == want) m.note = "already so in this version";
      else m.value = v, out.fields[item]["exempt"] = num(want ? 1 : 0);
    } else if (m.field == "position") {
      bytes after = v.empty() ? bytes{} : from_hex(v);
      m.what = "place " + name(item) + (after.empty() ? " first" : " after " + name(after));
      auto at = std::find(order.begin(), order.end(), item);
      auto prev = at == order.begin() ? bytes{} : *(at - 1);
      if (prev == after) m.note = "already so in this version";
      else if (!after.empty() && std::find(order.begin(), order.end(), after) == order.end())
        m.note = "the item it followed is not in this version";
      else {
        m.value = v;
        order.erase(at);
        auto to = after.empty() ? order.begin() : std::find(order.begin(), order.end(), after) + 1;
        order.insert(to, item);
        moved = true;
      }
    } else if (m.field == "pages") {
      std::int64_t f = 0, l = 0;
      std::sscanf(v.c_str(), "%lld-%lld", reinterpret_cast<long long*>(&f), reinterpret_cast<long long*>(&l));
      if (page_text.empty())
        for (auto& b : p.blocks)
          if (b.page > 0 && b.kind != "page_marker") page_text[b.page] += b.text + "\n";
      std::int64_t shift = 0;
      bool seen = false;
      for (auto& [page, text] : page_text)
        if (pack::text_hash(text) == c.text("anchor")) {
          shift = page - f;
          seen = true;
          break;
        }
      m.what = "give " + name(item) + " pages " + range_of(f, l);
      if (f <= 0 || l < f) m.note = "no pages";
      else if (!seen && l > p.pages) m.note = "this version has " + std::to_string(p.pages) + " pages";
      else {
        f += shift, l += shift;
        l = std::min<std::int64_t>(l, p.pages);
        if (shift != 0) m.note = "its first page is now page " + std::to_string(f);
        else if (!seen) m.note = "its first page's text is not in this version: the same page numbers";
        m.value = std::to_string(f) + "-" + std::to_string(l);
        auto& fs = out.fields[item];
        fs["first_page"] = num(f);
        fs["last_page"] = num(l);
        fs["pages"] = str(range_of(f, l));
        fs["placed"] = num(1);
      }
    }
    out.list.push_back(std::move(m));
  }
  if (moved)
    for (std::size_t k = 0; k < order.size(); ++k) out.fields[order[k]]["position"] = num(static_cast<std::int64_t>(k + 1));
  return out;
}

}  // namespace

result<import_plan> plan_import(replica& r, const pack::parsed& p) {
  import_plan plan;
  if (p.kind == "supplement") return plan;
  auto known = r.rows("member");
  if (!known) return known.err();
  std::string chair;  // the panel's chair, if it has one
  for (auto& x : *known)
    if (x.text("role") == "chair") chair = x.text("name");
  const auto& m = p.meeting;
  std::set<std::string> seen;
  for (const auto& name : m.members) {
    if (!seen.insert(person_key(name)).second) continue;
    member_match mm;
    mm.name = name;
    bool independent = std::find(m.independent_members.begin(), m.independent_members.end(), name) != m.independent_members.end();
    bool vice = std::find(m.vice_chairs.begin(), m.vice_chairs.end(), name) != m.vice_chairs.end() || name == m.vice_chair;
    mm.role = name == m.chair ? "chair" : vice ? "vice_chair" : independent ? "independent_member" : "member";
    for (auto& x : *known)
      if (person_key(x.text("name")) == person_key(name)) mm.member = to_hex(x.id);
    if (mm.member.empty() && mm.role == "chair") {
      if (!chair.empty()) {
        mm.role = "member";
        mm.note = "the panel already has a chair (" + chair + "); added as a member";
      }
      chair = name;
    }
    plan.members.push_back(std::move(mm));
  }
  auto have = r.rows("priority");
  if (!have) return have.err();
  for (const auto& pr : p.priorities) {
    priority_match pm;
    pm.number = pr.number;
    pm.title = pr.title;
    for (auto& x : *have)
      if (lower(x.text("title")) == lower(pr.title) || int_of(x, "number") == pr.number) pm.priority = to_hex(x.id);
    plan.priorities.push_back(std::move(pm));
  }
  auto mt = meeting_of(r, p, {});
  if (!mt) return mt.err();
  auto cs = plan_corrections(r, mt->id, p, item_ids_of(p, mt->id));
  if (!cs) return cs.err();
  plan.corrections = std::move(cs->list);
  return plan;
}

result<import_report> import_pack(replica& r, const pack::parsed& p, const import_options& o, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  if (a->role != rules::role::clerk) return make_error(errc::forbidden, "only the clerk publishes packs and meetings");
  const bool supplement = p.kind == "supplement";
  const auto now = static_cast<std::int64_t>(now_ms);
  import_report rep;
  rep.kind = p.kind;

  // The meeting: given, or found by date and body, or new.
  if (o.meeting_id.empty() && supplement)
    return make_error(errc::invalid_argument, "choose the meeting this supplement belongs to");
  auto found = meeting_of(r, p, o.meeting_id);
  if (!found) return found.err();
  bytes meeting_id = found->id;
  std::optional<row> existing = std::move(found->existing);
  bytes prev_pack = existing ? bytes_of(*existing, "pack") : bytes{};
  // Versions so far.
  auto old_packs = r.rows("pack", "meeting", meeting_id, "version");
  if (!old_packs) return old_packs.err();
  std::int64_t version = 1;
  for (auto& pk : *old_packs) {
    version = std::max(version, int_of(pk, "version") + 1);
    if (pk.text("fingerprint") == p.fingerprint && (supplement || pk.id == prev_pack)) {
      rep.meeting = to_hex(meeting_id);
      rep.pack = to_hex(pk.id);
      rep.version = int_of(pk, "version");
      rep.unchanged = true;
      rep.items = p.items.size();
      rep.blocks = p.blocks.size();
      return rep;
    }
  }
  bytes pack_id = derived_id("pack", meeting_id, std::to_string(version) + "\n" + p.fingerprint);
  rep.meeting = to_hex(meeting_id);
  rep.pack = to_hex(pack_id);
  rep.version = version;

  auto old_items = r.rows("pack_item", "meeting", meeting_id, "position");
  if (!old_items) return old_items.err();
  std::vector<bytes> item_ids = item_ids_of(p, meeting_id);
  std::int64_t supplement_pos = 1000;
  int supplements = 0;
  for (auto& x : *old_items)
    if (!x.text("number").empty() && x.text("number")[0] == 'S') ++supplements;
  // The clerk's corrections of earlier versions, applied again when asked.
  corrections_plan fixes;
  if (o.reapply_corrections) {
    auto cp = plan_corrections(r, meeting_id, p, item_ids);
    if (!cp) return cp.err();
    fixes = std::move(*cp);
    for (auto& c : fixes.list) rep.corrections += c.value.empty() ? 0 : 1;
  }

  std::size_t total = p.blocks.size() + p.items.size() + 1;
  chunker ch{r, *a, now_ms, o.progress, total, {}, 0, 0, 0};
  if (o.progress) o.progress("write", 0, total);

  // Blocks first; the version becomes current in the last change.
  PL_TRY(ch.add(set("pack", pack_id, "meeting", meeting_id)));
  PL_TRY(ch.add(set("pack", pack_id, "version", num(version))));
  PL_TRY(ch.add(set("pack", pack_id, "title", str(supplement ? (o.title.empty() ? p.items[0].title : o.title) : p.meeting.title))));
  PL_TRY(ch.add(set("pack", pack_id, "source", str(o.source))));
  PL_TRY(ch.add(set("pack", pack_id, "fingerprint", str(p.fingerprint))));
  PL_TRY(ch.add(set("pack", pack_id, "kind", str(p.kind))));
  PL_TRY(ch.add(set("pack", pack_id, "pages", num(p.pages))));
  PL_TRY(ch.add(set("pack", pack_id, "pages_exact", num(p.pages_exact ? 1 : 0))));
  PL_TRY(ch.add(set("pack", pack_id, "blocks", num(static_cast<std::int64_t>(p.blocks.size())))));
  PL_TRY(ch.add(set("pack", pack_id, "created_by", a->member)));
  PL_TRY(ch.add(set("pack", pack_id, "created_at", num(now))));
  for (std::size_t i = 0; i < p.blocks.size(); ++i) {
    const auto& b = p.blocks[i];
    bytes id = derived_id("block", pack_id, std::to_string(i));
    value item = b.item >= 0 ? value{item_ids[static_cast<std::size_t>(b.item)]} : value{};
    PL_TRY(ch.add(set("block", id, "pack", pack_id)));
    PL_TRY(ch.add(set("block", id, "item", item)));
    PL_TRY(ch.add(set("block", id, "position", num(static_cast<std::int64_t>(i)))));
    PL_TRY(ch.add(set("block", id, "page", num(b.page))));
    PL_TRY(ch.add(set("block", id, "kind", str(b.kind))));
    PL_TRY(ch.add(set("block", id, "text", str(b.text))));
    PL_TRY(ch.add(set("block", id, "hash", str(pack::text_hash(b.text))), 1));
  }
  PL_TRY(ch.flush());

  // Meeting, items, forward plan and priorities in the last change.
  std::vector<op> last;
  if (!supplement) {
    const auto& m = p.meeting;
    last.push_back(set("meeting", meeting_id, "title", str(m.title)));
    last.push_back(set("meeting", meeting_id, "body", str(m.body)));
    last.push_back(set("meeting", meeting_id, "date", str(m.date)));
    if (!m.time.empty()) last.push_back(set("meeting", meeting_id, "time", str(m.time)));
    if (!m.venue.empty()) last.push_back(set("meeting", meeting_id, "venue", str(m.venue)));
    if (!m.membership.empty()) last.push_back(set("meeting", meeting_id, "membership", str(m.membership)));
    if (!m.chair.empty()) last.push_back(set("meeting", meeting_id, "chair", str(m.chair)));
    if (!m.vice_chair.empty()) last.push_back(set("meeting", meeting_id, "vice_chair", str(m.vice_chair)));
    if (m.quorum) last.push_back(set("meeting", meeting_id, "quorum", num(m.quorum)));
    if (!m.public_deadline.empty()) last.push_back(set("meeting", meeting_id, "public_deadline", str(m.public_deadline)));
    last.push_back(set("meeting", meeting_id, "status", str("published")));
    if (!existing) {
      last.push_back(set("meeting", meeting_id, "kind", str("formal")));
      last.push_back(set("meeting", meeting_id, "created_by", a->member));
      last.push_back(set("meeting", meeting_id, "created_at", num(now)));
    }
    last.push_back(set("meeting", meeting_id, "pack", pack_id));
  }
  std::set<bytes> listed;
  // An item's field as the pack gives it, or as a correction re-applied sets it.
  auto item_field = [&](const bytes& id, const char* field, value v) {
    auto f = fixes.fields.find(id);
    if (f != fixes.fields.end()) {
      auto c = f->second.find(field);
      if (c != f->second.end()) v = c->second;
    }
    last.push_back(set("pack_item", id, field, std::move(v)));
  };
  for (std::size_t k = 0; k < p.items.size(); ++k) {
    const auto& it = p.items[k];
    const bytes& id = item_ids[k];
    listed.insert(id);
    bool known = std::any_of(old_items->begin(), old_items->end(), [&](const row& x) { return x.id == id; });
    last.push_back(set("pack_item", id, "meeting", meeting_id));
    last.push_back(set("pack_item", id, "pack", pack_id));
    item_field(id, "position", num(supplement ? supplement_pos + supplements : static_cast<std::int64_t>(k + 1)));
    if (!(supplement && known))
      item_field(id, "number", str(supplement ? "S" + std::to_string(supplements + 1) : it.number));
    item_field(id, "title", str(supplement && !o.title.empty() ? o.title : it.title));
    item_field(id, "pages", str(it.pages));
    item_field(id, "first_page", num(it.first_page));
    item_field(id, "last_page", num(it.last_page));
    last.push_back(set("pack_item", id, "description", str(it.description)));
    item_field(id, "exempt", num(it.exempt ? 1 : 0));
    last.push_back(set("pack_item", id, "document", str(it.document)));
    last.push_back(set("pack_item", id, "removed", num(0)));
    item_field(id, "placed", num(0));
    if (!known) {
      last.push_back(set("pack_item", id, "created_by", a->member));
      last.push_back(set("pack_item", id, "created_at", num(now)));
    }
  }
  // Items the clerk added to an earlier version, added again.
  for (auto& id : fixes.readded) {
    listed.insert(id);
    last.push_back(set("pack_item", id, "pack", pack_id));
    for (auto& [field, v] : fixes.fields[id]) last.push_back(set("pack_item", id, field.c_str(), v));
  }
  if (!supplement) {
    auto added = r.rows("agenda_correction", "meeting", meeting_id);
    if (!added) return added.err();
    std::set<bytes> by_clerk;
    for (auto& c : *added)
      if (c.text("field") == "added") by_clerk.insert(bytes_of(c, "item"));
    for (auto& x : *old_items)
      if (!listed.count(x.id) && int_of(x, "removed") == 0 &&
          (by_clerk.count(x.id) || (!x.text("number").empty() && x.text("number")[0] != 'S')))
        last.push_back(set("pack_item", x.id, "removed", num(1)));
  }
  // A row's notes come from the pack while nobody has written any: the chair
  // and the clerk edit them in the app, and a republication leaves their words.
  auto old_plan = r.rows("forward_plan");
  if (!old_plan) return old_plan.err();
  std::set<bytes> has_notes;
  for (auto& x : *old_plan)
    if (!x.text("notes").empty()) has_notes.insert(x.id);
  for (std::size_t i = 0; i < p.forward_plan.size(); ++i) {
    const auto& f = p.forward_plan[i];
    bytes id = derived_id("forward_plan", {}, f.meeting_label + "\n" + f.title);
    last.push_back(set("forward_plan", id, "position", num(static_cast<std::int64_t>(i))));
    last.push_back(set("forward_plan", id, "meeting_label", str(f.meeting_label)));
    last.push_back(set("forward_plan", id, "meeting_date", str(f.meeting_date)));
    last.push_back(set("forward_plan", id, "title", str(f.title)));
    if (!has_notes.count(id)) PL_TRY(add_text(r, last, "forward_plan", id, "notes", f.notes));
    last.push_back(set("forward_plan", id, "raised_by", str(f.raised_by)));
    last.push_back(set("forward_plan", id, "lead", str(f.lead)));
    last.push_back(set("forward_plan", id, "kloes", str(f.kloes)));
    last.push_back(set("forward_plan", id, "approach", str(f.approach)));
    last.push_back(set("forward_plan", id, "source", pack_id));
  }
  auto plan = plan_import(r, p);
  if (!plan) return plan.err();
  std::size_t added_priorities = 0;
  if (!supplement && o.add_members) {
    // Confirmed front-sheet members: a row for each name not on the panel
    // yet, with the role the pack states (never a second chair; roles of
    // existing members are the clerk's to change).
    for (const auto& mm : plan->members) {
      if (!mm.member.empty()) continue;
      bytes id = derived_id("member", {}, name_key(mm.name));
      last.push_back(set("member", id, "name", str(mm.name)));
      last.push_back(set("member", id, "role", str(mm.role)));
      last.push_back(set("member", id, "created_by", a->member));
      last.push_back(set("member", id, "created_at", num(now)));
      ++rep.members;
    }
  }
  PL_TRY(import_answers(r, p, meeting_id, a->member, now_ms, last, rep));
  if (o.add_priorities) {
    for (const auto& pm : plan->priorities) {
      if (!pm.priority.empty()) continue;
      bytes id = derived_id("priority", {}, lower(pm.title));
      last.push_back(set("priority", id, "number", num(pm.number)));
      last.push_back(set("priority", id, "title", str(pm.title)));
      last.push_back(set("priority", id, "plan", str(p.meeting.date.substr(0, 4))));
      last.push_back(set("priority", id, "created_by", a->member));
      last.push_back(set("priority", id, "created_at", num(now)));
      ++added_priorities;
    }
  }
  rep.plan = std::move(*plan);
  for (auto& x : last) PL_TRY(ch.add(std::move(x)));
  ch.done = total;
  PL_TRY(ch.flush());

  rep.items = p.items.size();
  rep.blocks = p.blocks.size();
  rep.changes = ch.changes;
  rep.forward_plan = p.forward_plan.size();
  rep.priorities = added_priorities;
  if (!prev_pack.empty() && !supplement) {
    auto changed = pack_changes(r, to_hex(prev_pack), to_hex(pack_id));
    if (!changed) return changed.err();
    rep.changed_blocks = std::move(*changed);
    auto ann = annotations(r, to_hex(meeting_id));
    if (!ann) return ann.err();
    rep.annotations = std::move(*ann);
  }
  return rep;
}

result<std::vector<pack_version>> packs(replica& r, const std::string& meeting_id) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  auto rows = r.rows("pack", "meeting", *m, "version");
  if (!rows) return rows.err();
  std::vector<pack_version> out;
  for (auto& x : *rows)
    out.push_back({to_hex(x.id), meeting_id, x.text("title"), x.text("source"), x.text("kind"), x.text("fingerprint"),
                   int_of(x, "version"), int_of(x, "pages"), int_of(x, "blocks"), int_of(x, "created_at")});
  return out;
}


result<std::vector<block_view>> blocks(replica& r, const std::string& item_id) {
  auto it = need_row(r, "pack_item", item_id, "agenda item");
  if (!it) return it.err();
  bytes pk = bytes_of(*it, "pack");
  auto placed = placement_of(r, pk);
  if (!placed) return placed.err();
  auto rows = placed->items.empty() ? r.rows("block", "item", it->id, "position") : pack_blocks(r, pk);
  if (!rows) return rows.err();
  std::vector<block_view> out;
  for (auto& x : *rows)
    if (bytes_of(x, "pack") == pk && (placed->items.empty() || placed->owner(x) == it->id)) out.push_back(to_block(x));
  std::sort(out.begin(), out.end(), [](const block_view& a, const block_view& b) { return a.position < b.position; });
  return out;
}

result<block_view> block_by_id(replica& r, const std::string& block_id) {
  auto b = need_row(r, "block", block_id, "block");
  if (!b) return b.err();
  return to_block(*b);
}

result<std::vector<block_change>> pack_changes(replica& r, const std::string& from_pack, const std::string& to_pack) {
  auto from = need_row(r, "pack", from_pack, "pack version");
  if (!from) return from.err();
  bytes to_id;
  if (to_pack.empty()) {
    auto m = find_row(r, "meeting", bytes_of(*from, "meeting"));
    if (!m) return m.err();
    if (!*m) return make_error(errc::not_found, "the pack's meeting is missing");
    to_id = bytes_of(**m, "pack");
  } else {
    auto t = id_arg(to_pack, "pack version");
    if (!t) return t.err();
    to_id = *t;
  }
  auto a = pack_blocks(r, from->id), b = pack_blocks(r, to_id);
  if (!a) return a.err();
  if (!b) return b.err();
  std::multiset<std::string> old_h, new_h;
  for (auto& x : *a) old_h.insert(x.text("hash"));
  for (auto& x : *b) new_h.insert(x.text("hash"));
  std::vector<const row*> removed, added;
  for (auto& x : *a)
    if (!new_h.count(x.text("hash"))) removed.push_back(&x);
  for (auto& x : *b)
    if (!old_h.count(x.text("hash"))) added.push_back(&x);
  std::vector<block_change> out;
  std::vector<bool> used(removed.size(), false);
  // Pair an added block with the most similar removed one of the same item: "changed".
  for (auto* n : added) {
    double best = 0.5;
    std::size_t pick = removed.size();
    for (std::size_t i = 0; i < removed.size(); ++i) {
      if (used[i] || bytes_of(*removed[i], "item") != bytes_of(*n, "item")) continue;
      double s = similarity(removed[i]->text("text"), n->text("text"));
      if (s > best) { best = s; pick = i; }
    }
    block_change c;
    c.item = hex_of(*n, "item");
    c.new_block = to_hex(n->id);
    c.new_text = n->text("text");
    c.page = int_of(*n, "page");
    if (pick < removed.size()) {
      used[pick] = true;
      c.kind = "changed";
      c.old_block = to_hex(removed[pick]->id);
      c.old_text = removed[pick]->text("text");
    } else {
      c.kind = "added";
    }
    out.push_back(std::move(c));
  }
  for (std::size_t i = 0; i < removed.size(); ++i) {
    if (used[i]) continue;
    block_change c;
    c.kind = "removed";
    c.item = hex_of(*removed[i], "item");
    c.old_block = to_hex(removed[i]->id);
    c.old_text = removed[i]->text("text");
    c.page = int_of(*removed[i], "page");
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace packline::workflow
