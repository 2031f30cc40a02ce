// Panel workflow over the replica. Rows are read from the materialised tables
// and written as LWW field ops through commit_checked(), which runs every op
// through rules::check() for the signed-in member first. Derived facts (what
// became of a draft, which public submissions are accepted, where an
// annotation now sits, which actions carry over) are computed when read, from
// replicated rows only, so every replica shows the same answer.
#include "packline/workflow.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "packline/crypto.hpp"
#include "packline/limits.hpp"
#include "packline/fractional.hpp"
#include "packline/rules.hpp"

namespace packline::workflow {
namespace {

// ---- small helpers --------------------------------------------------------

// "5 - 14", or "5" for one page.
std::string range_of(std::int64_t a, std::int64_t b) {
  return a == b ? std::to_string(a) : std::to_string(a) + " - " + std::to_string(b);
}


std::string hex_of(const row& r, std::string_view f) {
  const value* v = r.get(f);
  return v && std::holds_alternative<bytes>(*v) ? to_hex(std::get<bytes>(*v)) : std::string{};
}
bytes bytes_of(const row& r, std::string_view f) {
  const value* v = r.get(f);
  return v && std::holds_alternative<bytes>(*v) ? std::get<bytes>(*v) : bytes{};
}
std::int64_t int_of(const row& r, std::string_view f, std::int64_t dflt = 0) {
  const value* v = r.get(f);
  if (v && std::holds_alternative<std::int64_t>(*v)) return std::get<std::int64_t>(*v);
  if (v && std::holds_alternative<bool>(*v)) return std::get<bool>(*v) ? 1 : 0;
  return dflt;
}
result<bytes> id_arg(const std::string& hex, const char* what) {
  bytes b = from_hex(hex);
  if (b.size() != 16)
    return make_error(errc::invalid_argument, hex.empty() ? std::string("choose the ") + what + " first"
                                                          : std::string("that ") + what + " is not known on this tablet");
  return b;
}
op set(const char* table, const bytes& row, const char* field, value v) { return set_op(table, row, field, std::move(v)); }
value str(std::string s) { return value{std::move(s)}; }
value num(std::int64_t v) { return value{v}; }

// Ids that every replica derives alike (agenda items by meeting and number,
// blocks by pack and index, settings by key), so re-imports update in place.
bytes derived_id(std::string_view kind, const bytes& scope, std::string_view key) {
  bytes in = to_bytes(kind);
  in.push_back(0);
  append(in, scope);
  in.push_back(0);
  append(in, key);
  bytes h = crypto::sha256(in);
  h.resize(16);
  return h;
}

std::vector<std::string> split_ids(const std::string& s) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from < s.size()) {
    auto c = s.find(',', from);
    std::string id = s.substr(from, c == std::string::npos ? std::string::npos : c - from);
    if (!id.empty()) out.push_back(id);
    if (c == std::string::npos) break;
    from = c + 1;
  }
  return out;
}
std::string join_ids(const std::vector<std::string>& ids) {
  std::string s;
  for (auto& i : ids) {
    if (!s.empty()) s += ',';
    s += i;
  }
  return s;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A name as the panel compares it: "Cllr Mike Short" is "mike short".
std::string name_key(std::string s) {
  s = lower(pack::normalise(s));
  for (const char* t : {"cllr ", "councillor "})
    if (s.rfind(t, 0) == 0) s = s.substr(std::string_view(t).size());
  return s;
}

result<std::optional<row>> find_row(replica& r, const std::string& table, const bytes& id) {
  auto rows = r.rows(table, "id", id);
  if (!rows) return rows.err();
  if (rows->empty()) return std::optional<row>{};
  return std::optional<row>{std::move(rows->front())};
}

result<row> need_row(replica& r, const std::string& table, const std::string& hex, const char* what) {
  auto id = id_arg(hex, what);
  if (!id) return id.err();
  auto f = find_row(r, table, *id);
  if (!f) return f.err();
  if (!*f) return make_error(errc::not_found, std::string("there is no such ") + what);
  return std::move(**f);
}

// ---- who is writing, and the rules ---------------------------------------

struct actor {
  bytes member;
  rules::role role = rules::role::none;
  std::string name;
};

result<actor> me(replica& r) {
  std::string id = signed_in_member(r);
  if (id.empty()) return make_error(errc::bad_state, "sign in as a panel member first");
  auto m = need_row(r, "member", id, "member");
  if (!m) return make_error(errc::bad_state, "the member signed in on this device is not on this panel");
  return actor{m->id, rules::parse_role(m->text("role")), m->text("name")};
}

// Runs every op through rules::check with what the replica knows of its row.
result<void> check_ops(replica& r, const actor& a, const std::vector<op>& ops) {
  std::map<std::pair<std::string, bytes>, std::optional<row>> cache;
  std::optional<bool> has_clerk;
  for (const op& o : ops) {
    rules::row_change c;
    c.table = o.table;
    c.row = o.row;
    c.field = o.field;
    c.val = o.val;
    c.actor = a.member;
    const char* af = rules::author_field(o.table);
    c.names_author = af && rules::sets_field(ops, o.table, o.row, af);
    if (af || o.table == "member") {
      auto key = std::make_pair(o.table, o.row);
      auto it = cache.find(key);
      if (it == cache.end()) {
        // A deleted row still names its author: bringing it back is theirs alone.
        auto f = r.rows(o.table, "id", o.row, {}, true);
        if (!f) return f.err();
        it = cache.emplace(key, f->empty() ? std::optional<row>{} : std::optional<row>{std::move(f->front())}).first;
      }
      if (it->second) {
        c.row_exists = true;
        if (af) c.row_author = bytes_of(*it->second, af);
      }
    }
    if (o.table == "member" && o.field == "role") {
      if (!has_clerk) {
        auto ms = r.rows("member", "role", str("clerk"));
        if (!ms) return ms.err();
        has_clerk = !ms->empty();
      }
      c.panel_has_clerk = *has_clerk;
    }
    if (o.table == "kloe") {
      bytes pri = rules::kloe_priority(c.row_exists ? bytes_of(*cache[{o.table, o.row}], "priority") : bytes{}, ops, o.row);
      auto pr = find_row(r, "priority", pri);
      if (!pr) return pr.err();
      if (*pr) c.leads = rules::lead_ids((*pr)->text("leads"));
    }
    PL_TRY(rules::check(c, a.role));
  }
  return {};
}

result<std::uint64_t> commit_checked(replica& r, const actor& a, std::vector<op> ops, std::uint64_t now_ms) {
  PL_TRY(check_ops(r, a, ops));
  return r.commit(std::move(ops), now_ms);
}

// Commits an edit (nothing when there is nothing to change).
result<void> commit_edit(replica& r, const actor& a, std::vector<op> ops, std::uint64_t now_ms) {
  if (ops.empty()) return {};
  auto c = commit_checked(r, a, std::move(ops), now_ms);
  if (!c) return c.err();
  return {};
}
// An edit call's field: left as it is when the caller gives no value.
void set_given(std::vector<op>& ops, const char* table, const bytes& row, const char* field, const std::string& v) {
  if (!v.empty()) ops.push_back(set(table, row, field, str(v)));
}

// Deletes a row (a tombstone), as the rules allow the signed-in member.
result<void> tombstone(replica& r, const char* table, const std::string& id, const char* what, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, table, id, what);
  if (!x) return x.err();
  return commit_edit(r, *a, {set(table, x->id, "deleted", num(1))}, now_ms);
}

// Long text (bodies, bullets) is a text CRDT field: the edit from its current
// text to `text`, so concurrent edits of one draft merge instead of one
// overwriting the other.
result<void> add_text(replica& r, std::vector<op>& ops, const char* table, const bytes& row, const char* field,
                      const std::string& text, const crypto::secret* key = nullptr) {
  auto t = r.text_ops(table, row, field, text, key);
  if (!t) return t.err();
  for (auto& o : *t) ops.push_back(std::move(o));
  return {};
}

// The limits on long text, in words (limits.hpp), with the count in the message.
std::string thousands(std::int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}
result<void> check_words(const std::string& text, std::int64_t max, const char* what) {
  std::int64_t n = pack::count_words(text);
  if (n <= max) return {};
  return make_error(errc::invalid_argument, std::string(what) + " can have at most " + thousands(max) + " words; this one has " +
                                                thousands(n) + ". Shorten it and save again.");
}

// A position key between two neighbours of an ordered list ("" = an end).
result<std::string> between(const std::string& lo, const std::string& hi) { return key_between(lo, hi); }

// ---- dates and times (UK local time for deadlines) ------------------------

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}
int weekday(std::int64_t days) { return static_cast<int>(((days % 7) + 10) % 7); }  // 0 = Monday (1970-01-01 was a Thursday)
std::int64_t last_sunday(int y, int m) {
  std::int64_t d = days_from_civil(y, m, 31);
  while (weekday(d) != 6) --d;
  return d;
}
}  // namespace

std::optional<std::int64_t> uk_local_to_ms(const std::string& s) {
  int y, mo, d, h = 0, mi = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi) < 3) return std::nullopt;
  std::int64_t days = days_from_civil(y, mo, d);
  std::int64_t utc = (days * 86400 + h * 3600 + mi * 60) * 1000;
  // BST from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
  std::int64_t start = (last_sunday(y, 3) * 86400 + 3600) * 1000, end = (last_sunday(y, 10) * 86400 + 3600) * 1000;
  std::int64_t guess = utc - 3600 * 1000;
  if (guess >= start && guess < end) utc = guess;
  return utc;
}

namespace {
std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

// ---- anchors --------------------------------------------------------------

constexpr std::size_t context_bytes = 32;  // prefix/suffix kept around a quote

// Cut to a UTF-8 character boundary.
std::size_t char_start(const std::string& s, std::size_t i) {
  while (i > 0 && i < s.size() && (static_cast<unsigned char>(s[i]) & 0xc0) == 0x80) --i;
  return std::min(i, s.size());
}

struct cand { const row* r; std::string text; };

}  // namespace

const char* to_string(anchor_status s) {
  switch (s) {
    case anchor_status::exact: return "exact";
    case anchor_status::moved: return "moved";
    case anchor_status::text_changed: return "text_changed";
    case anchor_status::orphaned: return "orphaned";
  }
  return "orphaned";
}

// ---- members --------------------------------------------------------------

namespace {
std::string role_refused(const std::string& role) {
  return "“" + role + "” is not a role on the panel: choose chair, vice-chair, member, independent member, clerk or officer";
}
}  // namespace

result<std::vector<member>> members(replica& r) {
  auto rows = r.rows("member", {}, {}, "name");
  if (!rows) return rows.err();
  std::vector<member> out;
  for (auto& x : *rows) out.push_back({to_hex(x.id), x.text("name"), x.text("role")});
  return out;
}

std::string signed_in_member(replica& r) { return r.setting("member"); }

result<void> sign_in(replica& r, const std::string& member_id) {
  auto m = id_arg(member_id, "member");
  if (!m) return m.err();
  auto f = find_row(r, "member", *m);
  if (!f) return f.err();
  if (!*f) return make_error(errc::not_found, "there is no such member on this panel");
  return r.set_setting("member", member_id);
}

std::string my_role(replica& r) {
  auto a = me(r);
  return a ? rules::to_string(a->role) : std::string{};
}

result<std::string> register_member(replica& r, const std::string& name, const std::string& role, std::uint64_t now_ms) {
  if (name.empty()) return make_error(errc::invalid_argument, "a member needs a name");
  if (rules::parse_role(role) == rules::role::none) return make_error(errc::invalid_argument, role_refused(role));
  bytes id = new_row_id();
  // A new member writes their own row; the rules decide whether the role is theirs to take.
  std::vector<op> ops{set("member", id, "name", str(name)), set("member", id, "role", str(role)),
                      set("member", id, "created_by", id), set("member", id, "created_at", num(static_cast<std::int64_t>(now_ms)))};
  auto c = commit_checked(r, actor{id, rules::role::member, name}, std::move(ops), now_ms);
  if (!c) return c.err();
  PL_TRY(r.set_setting("member", to_hex(id)));
  return to_hex(id);
}

result<std::string> add_member(replica& r, const std::string& name, const std::string& role, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  if (name.empty()) return make_error(errc::invalid_argument, "a member needs a name");
  if (rules::parse_role(role) == rules::role::none) return make_error(errc::invalid_argument, role_refused(role));
  // A member already on the panel (say from a pack's front sheet) keeps their
  // row: only the role is set.
  auto known = r.rows("member");
  if (!known) return known.err();
  for (auto& x : *known)
    if (name_key(x.text("name")) == name_key(name)) {
      PL_TRY(commit_edit(r, *a, {set("member", x.id, "role", str(role))}, now_ms));
      return to_hex(x.id);
    }
  bytes id = new_row_id();
  auto c = commit_checked(r, *a,
                          {set("member", id, "name", str(name)), set("member", id, "role", str(role)),
                           set("member", id, "created_by", a->member),
                           set("member", id, "created_at", num(static_cast<std::int64_t>(now_ms)))},
                          now_ms);
  if (!c) return c.err();
  return to_hex(id);
}

result<std::string> found_panel(replica& r, const std::string& name, const std::string& role, std::uint64_t now_ms) {
  if (name.empty()) return make_error(errc::invalid_argument, "a member needs a name");
  if (rules::parse_role(role) == rules::role::none) return make_error(errc::invalid_argument, role_refused(role));
  bytes member = new_row_id();
  PL_TRY(r.found_space(crypto::random_bytes(16), member, role, now_ms));
  // No member is signed in yet: the founder's own row goes in unchecked, as
  // the keyring (just founded, admin-signed) already makes it a member.
  auto c = r.commit({set("member", member, "name", str(name)), set("member", member, "role", str(role)),
                     set("member", member, "created_by", member),
                     set("member", member, "created_at", num(static_cast<std::int64_t>(now_ms)))},
                    now_ms);
  if (!c) return c.err();
  PL_TRY(sign_in(r, to_hex(member)));
  return to_hex(member);
}

result<invite> invite_member(replica& r, const std::string& name, const std::string& role, std::uint64_t now_ms,
                             std::uint64_t ttl_ms) {
  if (!r.is_admin()) return make_error(errc::forbidden, "only the device that set up the panel can invite members");
  auto m = add_member(r, name, role, now_ms);
  if (!m) return m.err();
  auto code = r.create_invite(from_hex(*m), role, now_ms, ttl_ms);
  if (!code) return code.err();
  return invite{*m, *code};
}

// ---- meetings and items ---------------------------------------------------

namespace {
meeting to_meeting(const row& x) {
  meeting m;
  m.id = to_hex(x.id);
  m.title = x.text("title");
  m.date = x.text("date");
  m.time = x.text("time");
  m.venue = x.text("venue");
  m.kind = x.text("kind");
  m.status = x.text("status");
  m.body = x.text("body");
  m.chair = x.text("chair");
  m.vice_chair = x.text("vice_chair");
  m.public_deadline = x.text("public_deadline");
  m.pack = hex_of(x, "pack");
  m.quorum = int_of(x, "quorum");
  return m;
}
agenda_item to_item(const row& x) {
  agenda_item it;
  it.id = to_hex(x.id);
  it.meeting = hex_of(x, "meeting");
  it.number = x.text("number");
  it.title = x.text("title");
  it.pages = x.text("pages");
  it.description = x.text("description");
  it.exempt = int_of(x, "exempt") != 0;
  it.first_page = int_of(x, "first_page");
  it.last_page = int_of(x, "last_page");
  it.document = x.text("document");
  it.removed = int_of(x, "removed") != 0;
  it.placed = int_of(x, "placed") != 0;
  return it;
}
}  // namespace

result<std::vector<meeting>> meetings(replica& r) {
  auto rows = r.rows("meeting", {}, {}, "date");
  if (!rows) return rows.err();
  std::vector<meeting> out;
  for (auto& x : *rows) out.push_back(to_meeting(x));
  return out;
}

result<meeting> meeting_by_id(replica& r, const std::string& meeting_id) {
  auto m = need_row(r, "meeting", meeting_id, "meeting");
  if (!m) return m.err();
  return to_meeting(*m);
}

result<std::vector<agenda_item>> items(replica& r, const std::string& meeting_id, bool include_removed) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  auto rows = r.rows("pack_item", "meeting", *m, "position");
  if (!rows) return rows.err();
  std::vector<agenda_item> out;
  for (auto& x : *rows) {
    auto it = to_item(x);
    if (it.removed && !include_removed) continue;
    it.meeting = meeting_id;
    out.push_back(std::move(it));
  }
  return out;
}

// ---- the clerk's corrections to an agenda ---------------------------------

namespace {

// The signed-in clerk (the rules check each op again; this says it plainly first).
result<actor> clerk(replica& r) {
  auto a = me(r);
  if (!a) return a.err();
  if (a->role != rules::role::clerk) return make_error(errc::forbidden, "only the clerk corrects the agenda");
  return a;
}

// A correction kept for the next version: one row per item and field.
void keep_correction(std::vector<op>& ops, const actor& a, const bytes& meeting, const bytes& item, const char* field,
                     const std::string& v, std::uint64_t now_ms, const std::string& anchor = {}) {
  bytes id = derived_id("agenda_correction", item, field);
  ops.push_back(set("agenda_correction", id, "meeting", meeting));
  ops.push_back(set("agenda_correction", id, "item", item));
  ops.push_back(set("agenda_correction", id, "field", str(field)));
  ops.push_back(set("agenda_correction", id, "value", str(v)));
  ops.push_back(set("agenda_correction", id, "anchor", str(anchor)));
  ops.push_back(set("agenda_correction", id, "created_by", a.member));
  ops.push_back(set("agenda_correction", id, "created_at", num(static_cast<std::int64_t>(now_ms))));
}

// Positions 1..n for the meeting's items with `item` after `after` ("" : first).
result<void> place_after(replica& r, std::vector<op>& ops, const bytes& meeting, const bytes& item, const bytes& after) {
  auto xs = r.rows("pack_item", "meeting", meeting, "position");
  if (!xs) return xs.err();
  std::vector<const row*> order;
  const row* self = nullptr;
  for (auto& x : *xs) {
    if (int_of(x, "removed") != 0) continue;
    if (x.id == item) self = &x;
    else order.push_back(&x);
  }
  auto to = order.begin();
  if (!after.empty()) {
    to = std::find_if(order.begin(), order.end(), [&](const row* x) { return x->id == after; });
    if (to == order.end()) return make_error(errc::not_found, "the item to place it after is not on this agenda");
    ++to;
  }
  order.insert(to, self);
  for (std::size_t k = 0; k < order.size(); ++k) {
    auto pos = static_cast<std::int64_t>(k + 1);
    if (!order[k]) ops.push_back(set("pack_item", item, "position", num(pos)));
    else if (int_of(*order[k], "position") != pos) ops.push_back(set("pack_item", order[k]->id, "position", num(pos)));
  }
  return {};
}

result<row> item_row(replica& r, const std::string& item_id) { return need_row(r, "pack_item", item_id, "agenda item"); }

}  // namespace

result<std::string> add_item(replica& r, const std::string& meeting_id, const std::string& number, const std::string& title,
                             const std::string& after_item, std::uint64_t now_ms) {
  auto a = clerk(r);
  if (!a) return a.err();
  auto m = need_row(r, "meeting", meeting_id, "meeting");
  if (!m) return m.err();
  std::string t = pack::normalise(title);
  if (t.empty()) return make_error(errc::invalid_argument, "an agenda item needs a title");
  bytes after;
  if (!after_item.empty()) {
    auto x = item_row(r, after_item);
    if (!x) return x.err();
    after = x->id;
  }
  bytes id = new_row_id();
  auto now = static_cast<std::int64_t>(now_ms);
  std::string n = pack::normalise(number);
  std::vector<op> ops{set("pack_item", id, "meeting", m->id),     set("pack_item", id, "pack", bytes_of(*m, "pack")),
                      set("pack_item", id, "number", str(n)),     set("pack_item", id, "title", str(t)),
                      set("pack_item", id, "pages", str("")),     set("pack_item", id, "first_page", num(0)),
                      set("pack_item", id, "last_page", num(0)),  set("pack_item", id, "exempt", num(0)),
                      set("pack_item", id, "removed", num(0)),    set("pack_item", id, "placed", num(0)),
                      set("pack_item", id, "created_by", a->member), set("pack_item", id, "created_at", num(now))};
  PL_TRY(place_after(r, ops, m->id, id, after));
  keep_correction(ops, *a, m->id, id, "added", "1", now_ms);
  keep_correction(ops, *a, m->id, id, "number", n, now_ms);
  keep_correction(ops, *a, m->id, id, "title", t, now_ms);
  keep_correction(ops, *a, m->id, id, "position", after.empty() ? std::string{} : to_hex(after), now_ms);
  auto c = commit_checked(r, *a, std::move(ops), now_ms);
  if (!c) return c.err();
  return to_hex(id);
}

result<void> rename_item(replica& r, const std::string& item_id, const std::string& number, const std::string& title,
                         std::uint64_t now_ms) {
  auto a = clerk(r);
  if (!a) return a.err();
  auto x = item_row(r, item_id);
  if (!x) return x.err();
  bytes meeting = bytes_of(*x, "meeting");
  std::vector<op> ops;
  std::string n = pack::normalise(number), t = pack::normalise(title);
  if (!n.empty() && n != x->text("number")) {
    ops.push_back(set("pack_item", x->id, "number", str(n)));
    keep_correction(ops, *a, meeting, x->id, "number", n, now_ms);
  }
  if (!t.empty() && t != x->text("title")) {
    ops.push_back(set("pack_item", x->id, "title", str(t)));
    keep_correction(ops, *a, meeting, x->id, "title", t, now_ms);
  }
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<void> move_item(replica& r, const std::string& item_id, const std::string& after_item, std::uint64_t now_ms) {
  auto a = clerk(r);
  if (!a) return a.err();
  auto x = item_row(r, item_id);
  if (!x) return x.err();
  bytes after;
  if (!after_item.empty()) {
    auto y = item_row(r, after_item);
    if (!y) return y.err();
    if (y->id == x->id) return make_error(errc::invalid_argument, "an item cannot follow itself");
    after = y->id;
  }
  bytes meeting = bytes_of(*x, "meeting");
  std::vector<op> ops;
  PL_TRY(place_after(r, ops, meeting, x->id, after));
  keep_correction(ops, *a, meeting, x->id, "position", after.empty() ? std::string{} : to_hex(after), now_ms);
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<void> set_item_pages(replica& r, const std::string& item_id, std::int64_t first, std::int64_t last, std::uint64_t now_ms) {
  auto a = clerk(r);
  if (!a) return a.err();
  auto x = item_row(r, item_id);
  if (!x) return x.err();
  auto pk = find_row(r, "pack", bytes_of(*x, "pack"));
  if (!pk) return pk.err();
  std::int64_t pages = *pk ? int_of(**pk, "pages") : 0;
  if (!*pk || pages <= 0 || int_of(**pk, "pages_exact") == 0)
    return make_error(errc::invalid_argument, "this pack has no page breaks, so its items cannot be placed by page");
  if (first < 1 || last < first) return make_error(errc::invalid_argument, "an item's last page cannot come before its first");
  if (last > pages) return make_error(errc::invalid_argument, "the pack has only " + std::to_string(pages) + " pages");
  // The first page's text identifies that page in a revised version.
  std::string text;
  auto bs = r.rows("block", "pack", (*pk)->id, "position");
  if (!bs) return bs.err();
  for (auto& b : *bs)
    if (int_of(b, "page") == first && b.text("kind") != "page_marker") text += b.text("text") + "\n";
  std::string anchor = pack::text_hash(text);
  bytes meeting = bytes_of(*x, "meeting");
  std::vector<op> ops{set("pack_item", x->id, "first_page", num(first)), set("pack_item", x->id, "last_page", num(last)),
                      set("pack_item", x->id, "pages", str(range_of(first, last))), set("pack_item", x->id, "placed", num(1))};
  keep_correction(ops, *a, meeting, x->id, "pages", std::to_string(first) + "-" + std::to_string(last), now_ms, anchor);
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<void> set_item_exempt(replica& r, const std::string& item_id, bool exempt, std::uint64_t now_ms) {
  auto a = clerk(r);
  if (!a) return a.err();
  auto x = item_row(r, item_id);
  if (!x) return x.err();
  std::vector<op> ops{set("pack_item", x->id, "exempt", num(exempt ? 1 : 0))};
  keep_correction(ops, *a, bytes_of(*x, "meeting"), x->id, "exempt", exempt ? "1" : "0", now_ms);
  return commit_edit(r, *a, std::move(ops), now_ms);
}

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

// Answers the pack records (minutes, question-and-answer appendices) as
// responses of their meeting; defined with the responses below.
result<void> import_answers(replica& r, const pack::parsed& p, const bytes& meeting, const bytes& member,
                            std::uint64_t now_ms, std::vector<op>& ops, import_report& rep);

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

namespace {
block_view to_block(const row& x) {
  return {to_hex(x.id), hex_of(x, "item"), x.text("kind"), x.text("text"), x.text("hash"), int_of(x, "page"),
          int_of(x, "position")};
}
result<std::vector<row>> pack_blocks(replica& r, const bytes& pack_id) { return r.rows("block", "pack", pack_id, "position"); }

std::set<std::string> word_set(const std::string& s) {
  std::set<std::string> out;
  std::string w;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!w.empty()) out.insert(std::exchange(w, {}));
  }
  if (!w.empty()) out.insert(w);
  return out;
}
double similarity(const std::string& a, const std::string& b) {
  auto x = word_set(a), y = word_set(b);
  if (x.empty() && y.empty()) return 1;
  std::size_t common = 0;
  for (auto& w : x) common += y.count(w);
  return static_cast<double>(common) / static_cast<double>(x.size() + y.size() - common);
}

// Items whose pages the clerk chose in the reader: a passage on such a page
// is that item's (the narrowest range first), others stay with the item the
// import gave them. Derived from replicated rows when read, so every tablet
// shows the same agenda whatever order the clerk's changes arrive in.
struct placement {
  struct placed { bytes id; std::int64_t first, last, position; };
  std::vector<placed> items;
  bytes owner(const row& block) const {
    std::int64_t page = int_of(block, "page");
    const placed* best = nullptr;
    for (auto& p : items)
      if (page >= p.first && page <= p.last &&
          (!best || std::make_tuple(p.last - p.first, p.position, p.id) < std::make_tuple(best->last - best->first, best->position, best->id)))
        best = &p;
    return best ? best->id : bytes_of(block, "item");
  }
};
result<placement> placement_of(replica& r, const bytes& pack_id) {
  placement out;
  if (pack_id.empty()) return out;
  auto xs = r.rows("pack_item", "pack", pack_id);
  if (!xs) return xs.err();
  for (auto& x : *xs)
    if (int_of(x, "placed") != 0 && int_of(x, "removed") == 0 && int_of(x, "first_page") > 0)
      out.items.push_back({x.id, int_of(x, "first_page"), int_of(x, "last_page"), int_of(x, "position")});
  return out;
}
}  // namespace

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

// ---- annotations ----------------------------------------------------------

namespace {

// Who may read an annotation: "private" (its author), "priority" (the leads
// of that priority) or "panel"; returns the priority for "priority".
result<bytes> check_visibility(replica& r, const std::string& visibility, const std::string& priority) {
  if (visibility == "private" || visibility == "panel") return bytes{};
  if (visibility != "priority") return make_error(errc::invalid_argument, "visibility is private, priority or panel");
  auto p = id_arg(priority, "priority");
  if (!p) return make_error(errc::invalid_argument, "choose the priority group that may read this");
  auto x = find_row(r, "priority", *p);
  if (!x) return x.err();
  if (!*x) return make_error(errc::not_found, "there is no such priority");
  return *p;
}

// Issue 4: in a secured panel a private annotation's words are sealed under
// the member key, so other members' replicas hold only ciphertext. The test
// is the change's own sealing (a space epoch), not secured(): a founder that
// has not reached the server yet writes under epoch 1 before any ack.
result<value> seal_words(replica& r, bool private_words, std::string v) {
  if (!private_words || r.write_epoch() == 0) return str(std::move(v));
  auto b = r.seal_private(v);
  if (!b) return b.err();
  return value{std::move(*b)};
}
std::string open_words(replica& r, const row& x, const char* f) {
  const value* v = x.get(f);
  if (v && replica::is_private(*v)) {
    auto o = r.open_private(std::get<bytes>(*v));
    return o ? *o : std::string{};
  }
  return x.text(f);
}

// The ops that write an annotation's words and who may read them.
result<void> annotation_words(replica& r, std::vector<op>& ops, const bytes& id, const std::string& visibility,
                              const bytes& priority, std::array<std::string, 4> words) {
  static constexpr std::array<const char*, 4> fields = {"quote", "prefix", "suffix", "body"};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto v = seal_words(r, visibility == "private", std::move(words[i]));
    if (!v) return v.err();
    ops.push_back(set("annotation", id, fields[i], std::move(*v)));
  }
  ops.push_back(set("annotation", id, "visibility", str(visibility)));
  ops.push_back(set("annotation", id, "priority", priority.empty() ? value{} : value{priority}));
  return {};
}

}  // namespace

result<std::string> annotate(replica& r, const annotation_draft& d, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto b = need_row(r, "block", d.block, "block");
  if (!b) return b.err();
  if (d.kind != "highlight" && d.kind != "note") return make_error(errc::invalid_argument, "an annotation is a highlight or a note");
  auto pri = check_visibility(r, d.visibility, d.priority);
  if (!pri) return pri.err();
  if (d.kind == "note" && d.body.empty()) return make_error(errc::invalid_argument, "a note needs some text");
  PL_TRY(check_words(d.body, limits::max_note_words, "A note"));
  std::string text = b->text("text");
  if (d.start < 0 || d.end <= d.start || static_cast<std::size_t>(d.end) > text.size())
    return make_error(errc::invalid_argument, "the selected range is outside the paragraph");
  std::size_t s = char_start(text, static_cast<std::size_t>(d.start)), e = char_start(text, static_cast<std::size_t>(d.end));
  std::size_t ps = char_start(text, s > context_bytes ? s - context_bytes : 0);
  std::size_t se = char_start(text, std::min(text.size(), e + context_bytes));
  auto placed = placement_of(r, bytes_of(*b, "pack"));
  if (!placed) return placed.err();
  bytes item = placed->owner(*b);
  auto it = find_row(r, "pack_item", item);
  if (!it) return it.err();
  bytes meeting = *it ? bytes_of(**it, "meeting") : bytes{};
  bytes id = new_row_id();
  std::vector<op> ops{
      set("annotation", id, "meeting", meeting),
      set("annotation", id, "item", item),
      set("annotation", id, "pack", bytes_of(*b, "pack")),
      set("annotation", id, "block", b->id),
      set("annotation", id, "block_hash", str(b->text("hash"))),
      set("annotation", id, "start_offset", num(static_cast<std::int64_t>(s))),
      set("annotation", id, "end_offset", num(static_cast<std::int64_t>(e))),
      set("annotation", id, "kind", str(d.kind)),
      set("annotation", id, "author", a->member),
      set("annotation", id, "created_by", a->member),
      set("annotation", id, "created_at", num(static_cast<std::int64_t>(now_ms))),
  };
  PL_TRY(annotation_words(r, ops, id, d.visibility, *pri,
                          {text.substr(s, e - s), text.substr(ps, s - ps), text.substr(e, se - e), d.body}));
  auto c = commit_checked(r, *a, std::move(ops), now_ms);
  if (!c) return c.err();
  return to_hex(id);
}

result<void> edit_annotation(replica& r, const std::string& id, const std::string& body, const std::string& visibility,
                             const std::string& priority, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "annotation", id, "annotation");
  if (!x) return x.err();
  auto pri = check_visibility(r, visibility, priority);
  if (!pri) return pri.err();
  if (x->text("kind") == "note" && body.empty()) return make_error(errc::invalid_argument, "a note needs some text");
  PL_TRY(check_words(body, limits::max_note_words, "A note"));
  // The words are written again: sealed when they become private, open when they stop being so.
  std::vector<op> ops{set("annotation", x->id, "edited_at", num(static_cast<std::int64_t>(now_ms)))};
  PL_TRY(annotation_words(r, ops, x->id, visibility, *pri,
                          {open_words(r, *x, "quote"), open_words(r, *x, "prefix"), open_words(r, *x, "suffix"), body}));
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<void> delete_annotation(replica& r, const std::string& id, std::uint64_t now_ms) {
  return tombstone(r, "annotation", id, "annotation", now_ms);
}

result<void> restore_annotation(replica& r, const std::string& id, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto rid = id_arg(id, "annotation");
  if (!rid) return rid.err();
  auto found = r.rows("annotation", "id", *rid, {}, true);
  if (!found) return found.err();
  if (found->empty()) return make_error(errc::not_found, "there is no such annotation");
  const row& x = found->front();
  if (int_of(x, "deleted") == 0) return {};  // not deleted: nothing to bring back
  // The author is written again for tablets whose rules take a deleted row for a new one.
  return commit_edit(r, *a, {set("annotation", x.id, "deleted", num(0)), set("annotation", x.id, "author", a->member)},
                     now_ms);
}

// ---- what a member has read ------------------------------------------------

namespace {
bytes reading_id(const bytes& member, const bytes& meeting) { return derived_id("reading", member, to_hex(meeting)); }
}  // namespace

result<void> mark_read(replica& r, const std::string& pack_id, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto p = need_row(r, "pack", pack_id, "pack version");
  if (!p) return p.err();
  bytes meeting = bytes_of(*p, "meeting");
  bytes id = reading_id(a->member, meeting);
  auto mark = seal_words(r, true, to_hex(p->id));
  if (!mark) return mark.err();
  return commit_edit(r, *a,
                     {set("reading", id, "member", a->member), set("reading", id, "meeting", meeting),
                      set("reading", id, "pack", std::move(*mark)), set("reading", id, "read_at", num(static_cast<std::int64_t>(now_ms)))},
                     now_ms);
}

result<reading> changed_since_read(replica& r, const std::string& meeting_id) {
  auto a = me(r);
  if (!a) return a.err();
  auto m = need_row(r, "meeting", meeting_id, "meeting");
  if (!m) return m.err();
  reading out;
  out.meeting = meeting_id;
  bytes current = bytes_of(*m, "pack");
  if (current.empty()) return out;
  out.current_pack = to_hex(current);
  auto cur = find_row(r, "pack", current);
  if (!cur) return cur.err();
  if (*cur) out.current_version = int_of(**cur, "version");
  auto mark = find_row(r, "reading", reading_id(a->member, m->id));
  if (!mark) return mark.err();
  if (!*mark || bytes_of(**mark, "member") != a->member) return out;
  // The mark opens only on the member's own devices (a value nobody can open
  // counts as never marked).
  std::string read = open_words(r, **mark, "pack");
  auto rp = id_arg(read, "pack version");
  if (!rp) return out;
  auto rrow = find_row(r, "pack", *rp);
  if (!rrow) return rrow.err();
  if (!*rrow || bytes_of(**rrow, "meeting") != m->id) return out;
  out.read_pack = read;
  out.read_version = int_of(**rrow, "version");
  if (*rp == current) return out;
  auto changed = pack_changes(r, read, out.current_pack);
  if (!changed) return changed.err();
  out.changed = std::move(*changed);
  return out;
}

namespace {

// Where does an anchor made on an earlier version sit in `cands` (the
// current version's blocks, same item first)?
void resolve(annotation& an, const row& ann, const std::optional<row>& old_block, const std::vector<cand>& cands) {
  (void)ann;
  const std::string quote = an.quote, prefix = an.prefix, suffix = an.suffix;  // opened if private (issue 4)
  const std::string hash = ann.text("block_hash");
  const bytes item = bytes_of(ann, "item");
  auto place = [&](anchor_status st, const row& b, std::size_t s, std::size_t e, const std::string& text) {
    an.status = st;
    an.block = to_hex(b.id);
    an.page = int_of(b, "page");
    an.cur_start = static_cast<std::int64_t>(s);
    an.cur_end = static_cast<std::int64_t>(e);
    an.current_text = text.substr(s, e - s);
  };
  // 1. Same paragraph text, same item, same offsets: exact (pages estimated
  // from text may shift when other text grows; they do not make it move).
  for (auto& c : cands) {
    if (c.r->text("hash") != hash || bytes_of(*c.r, "item") != item) continue;
    std::size_t s = static_cast<std::size_t>(an.start), e = static_cast<std::size_t>(an.end);
    if (e <= c.text.size() && c.text.compare(s, e - s, quote) == 0) {
      place(anchor_status::exact, *c.r, s, e, c.text);
      return;
    }
  }
  // 2. The quote with its context, elsewhere: moved.
  for (auto& c : cands) {
    auto at = c.text.find(prefix + quote + suffix);
    if (at == std::string::npos) continue;
    place(anchor_status::moved, *c.r, at + prefix.size(), at + prefix.size() + quote.size(), c.text);
    return;
  }
  // 3. The context around it survives but the words between changed. A side
  // shorter than min_ctx counts when it reached the paragraph's edge.
  constexpr std::size_t min_ctx = 8;
  const std::size_t old_size = old_block ? old_block->text("text").size() : std::string::npos;
  const bool pre_edge = prefix.size() < min_ctx && static_cast<std::size_t>(an.start) == prefix.size();
  const bool suf_edge = suffix.size() < min_ctx && old_size != std::string::npos &&
                        static_cast<std::size_t>(an.end) + suffix.size() == old_size;
  const bool pre_ok = prefix.size() >= min_ctx || pre_edge, suf_ok = suffix.size() >= min_ctx || suf_edge;
  if (pre_ok && suf_ok && (prefix.size() >= min_ctx || suffix.size() >= min_ctx)) {
    for (auto& c : cands) {
      std::size_t s = std::string::npos, e = std::string::npos;
      if (prefix.size() >= min_ctx) {
        auto p = c.text.find(prefix);
        if (p != std::string::npos) s = p + prefix.size();
      } else if (c.text.compare(0, prefix.size(), prefix) == 0) {
        s = prefix.size();
      }
      if (s == std::string::npos) continue;
      if (suffix.size() >= min_ctx) {
        auto q = c.text.find(suffix, s);
        if (q != std::string::npos) e = q;
      } else if (c.text.size() >= s + suffix.size() &&
                 c.text.compare(c.text.size() - suffix.size(), suffix.size(), suffix) == 0) {
        e = c.text.size() - suffix.size();
      }
      if (e == std::string::npos || e < s) continue;
      place(anchor_status::text_changed, *c.r, s, e, c.text);
      return;
    }
  }
  // 4. The quote alone, once, in the same item (a short quote is no evidence).
  if (quote.size() >= 12) {
    const cand* only = nullptr;
    std::size_t at = 0, hits = 0;
    for (auto& c : cands) {
      if (bytes_of(*c.r, "item") != item) continue;
      for (auto p = c.text.find(quote); p != std::string::npos; p = c.text.find(quote, p + 1)) {
        ++hits;
        only = &c;
        at = p;
      }
    }
    if (hits == 1) {
      place(anchor_status::moved, *only->r, at, at + quote.size(), only->text);
      return;
    }
  }
  an.status = anchor_status::orphaned;
  an.block.clear();
  an.page = 0;
  an.current_text.clear();
}

}  // namespace

result<std::vector<annotation>> annotations(replica& r, const std::string& meeting_id) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  std::string me_id = signed_in_member(r);
  auto ps = priorities(r);
  if (!ps) return ps.err();
  std::set<std::string> my_groups;  // the priorities this member leads
  for (auto& p : *ps)
    if (std::find(p.leads.begin(), p.leads.end(), me_id) != p.leads.end()) my_groups.insert(p.id);
  auto rows = r.rows("annotation", "meeting", *m, "created_at");
  if (!rows) return rows.err();
  std::map<bytes, std::vector<row>> current;  // pack → blocks
  std::map<bytes, placement> placements;
  std::vector<annotation> out;
  for (auto& x : *rows) {
    annotation an;
    an.id = to_hex(x.id);
    an.meeting = meeting_id;
    an.item = hex_of(x, "item");
    an.author = hex_of(x, "author");
    an.kind = x.text("kind");
    an.body = open_words(r, x, "body");
    an.visibility = x.text("visibility");
    an.priority = hex_of(x, "priority");
    an.quote = open_words(r, x, "quote");
    an.prefix = open_words(r, x, "prefix");
    an.suffix = open_words(r, x, "suffix");
    an.start = int_of(x, "start_offset");
    an.end = int_of(x, "end_offset");
    an.created_at = int_of(x, "created_at");
    an.edited_at = int_of(x, "edited_at");
    // Private notes are for their author's devices only; a priority group's
    // for the leads of that priority.
    if (an.author != me_id && (an.visibility == "private" || (an.visibility == "priority" && !my_groups.count(an.priority))))
      continue;
    auto it = find_row(r, "pack_item", bytes_of(x, "item"));
    if (!it) return it.err();
    bytes pk = *it ? bytes_of(**it, "pack") : bytes{};
    if (!current.count(pk)) {
      auto bs = pack_blocks(r, pk);
      if (!bs) return bs.err();
      current[pk] = std::move(*bs);
    }
    auto ob = find_row(r, "block", bytes_of(x, "block"));
    if (!ob) return ob.err();
    std::vector<cand> cands;
    bytes item = bytes_of(x, "item");
    for (auto& b : current[pk])
      if (bytes_of(b, "item") == item) cands.push_back({&b, b.text("text")});
    for (auto& b : current[pk])
      if (bytes_of(b, "item") != item) cands.push_back({&b, b.text("text")});
    resolve(an, x, *ob, cands);
    // The item the passage is in now (the clerk may have placed it in another).
    auto pl = placements.find(pk);
    if (pl == placements.end()) {
      auto p = placement_of(r, pk);
      if (!p) return p.err();
      pl = placements.emplace(pk, std::move(*p)).first;
    }
    if (!an.block.empty() && !pl->second.items.empty())
      for (auto& b : current[pk])
        if (to_hex(b.id) == an.block) an.item = to_hex(pl->second.owner(b));
    out.push_back(std::move(an));
  }
  return out;
}

result<annotation> annotation_by_id(replica& r, const std::string& annotation_id) {
  auto x = need_row(r, "annotation", annotation_id, "annotation");
  if (!x) return x.err();
  auto all = annotations(r, hex_of(*x, "meeting"));
  if (!all) return all.err();
  for (auto& a : *all)
    if (a.id == to_hex(x->id)) return std::move(a);
  return make_error(errc::not_found, "there is no such annotation you may read");
}

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

// A question's words are sealed to its author while it is a draft made in a
// secured panel (sealed_words; replica::words_key); on submit the author
// discloses the draft's key (words_key) and every member reads them. The
// key, empty when the words are open; errc::no_key on another member's
// device before that.
result<crypto::secret> words_key_of(replica& r, const row& x) {
  if (int_of(x, "sealed_words") != 1) return crypto::secret{};
  const value* k = x.get("words_key");
  if (k && std::holds_alternative<bytes>(*k) && std::get<bytes>(*k).size() == crypto::aead_key_bytes)
    return crypto::secret(std::get<bytes>(*k));
  return r.words_key(bytes_of(x, "author"), x.id);
}

// The question's words, or nullopt where this device may not read them.
std::optional<std::string> words_of(replica& r, const row& x) {
  auto k = words_key_of(r, x);
  if (!k) return std::nullopt;
  if (k->empty()) return x.text("body");
  return r.text("question", x.id, "body", &*k);
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

// ---- panel rules and public participation ---------------------------------

panel_rules rules_of(replica& r) {
  panel_rules p;
  auto rows = r.rows("panel_setting");
  if (!rows) return p;
  for (auto& x : *rows) {
    std::string k = x.text("key"), v = x.text("value");
    auto as_int = [&](std::int64_t& to) {
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (end && *end == '\0' && !v.empty() && n >= 0) to = n;
    };
    if (k == "questions_per_councillor") as_int(p.questions_per_councillor);
    else if (k == "subparts_count") p.subparts_count = v != "false" && v != "0";
    else if (k == "public_max_words") as_int(p.public_max_words);
    else if (k == "public_per_person") as_int(p.public_per_person);
    else if (k == "public_accept_first") as_int(p.public_accept_first);
    else if (k == "public_deadline_rule") p.public_deadline_rule = v;
  }
  return p;
}

result<void> set_rule(replica& r, const std::string& key, const std::string& v, std::uint64_t now_ms) {
  static const std::set<std::string> keys = {"questions_per_councillor", "subparts_count", "public_max_words",
                                             "public_per_person", "public_accept_first", "public_deadline_rule"};
  if (!keys.count(key)) return make_error(errc::invalid_argument, "no panel rule called " + key);
  auto a = me(r);
  if (!a) return a.err();
  bytes id = derived_id("panel_setting", {}, key);
  auto c = commit_checked(r, *a, {set("panel_setting", id, "key", str(key)), set("panel_setting", id, "value", str(v))}, now_ms);
  if (!c) return c.err();
  return {};
}

result<std::string> public_deadline(replica& r, const std::string& meeting_id) {
  auto m = meeting_by_id(r, meeting_id);
  if (!m) return m.err();
  if (!m->public_deadline.empty()) return m->public_deadline;
  int y, mo, d;
  if (std::sscanf(m->date.c_str(), "%d-%d-%d", &y, &mo, &d) != 3)
    return make_error(errc::bad_state, "the meeting has no date, so it has no deadline");
  // "monday-before 08:30": the Monday before the meeting, at that time.
  std::string rule = rules_of(r).public_deadline_rule;
  std::string at = rule.size() >= 5 ? rule.substr(rule.size() - 5) : "08:30";
  std::int64_t days = days_from_civil(y, mo, d) - 1;
  while (weekday(days) != 0) --days;
  civil_from_days(days, y, mo, d);
  return std::to_string(y) + "-" + two(mo) + "-" + two(d) + " " + at;
}

result<std::vector<submission>> submissions(replica& r, const std::string& meeting_id) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  auto rows = r.rows("public_submission", "meeting", *m, "received_at");
  if (!rows) return rows.err();
  panel_rules pr = rules_of(r);
  auto dl = public_deadline(r, meeting_id);
  std::optional<std::int64_t> deadline_ms = dl ? uk_local_to_ms(*dl) : std::nullopt;
  std::vector<submission> out;
  std::map<std::string, std::int64_t> per_person, per_kind;
  for (auto& x : *rows) {
    submission s;
    s.id = to_hex(x.id);
    s.meeting = meeting_id;
    s.name = x.text("name");
    s.kind = x.text("kind");
    s.body = x.text("body");
    s.words = int_of(x, "words");
    s.received_at = int_of(x, "received_at");
    if (s.words > pr.public_max_words)
      s.reason = "it has " + std::to_string(s.words) + " words; the limit is " + std::to_string(pr.public_max_words);
    else if (deadline_ms && s.received_at > *deadline_ms)
      s.reason = "it arrived after the deadline (" + *dl + ")";
    else if (per_person[name_key(s.name)] >= pr.public_per_person)
      s.reason = pr.public_per_person == 1 ? "one question or statement per person per meeting"
                                           : "at most " + std::to_string(pr.public_per_person) + " per person per meeting";
    else if (per_kind[s.kind] >= pr.public_accept_first)
      s.reason = "the first " + std::to_string(pr.public_accept_first) + " " + s.kind + "s were already accepted";
    s.accepted = s.reason.empty();
    if (s.accepted) {
      ++per_person[name_key(s.name)];
      ++per_kind[s.kind];
    }
    out.push_back(std::move(s));
  }
  return out;
}

result<submission> record_submission(replica& r, const submission_draft& d, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto m = id_arg(d.meeting, "meeting");
  if (!m) return m.err();
  if (d.kind != "question" && d.kind != "statement")
    return make_error(errc::invalid_argument, "a public submission is a question or a statement");
  if (d.name.empty() || d.body.empty()) return make_error(errc::invalid_argument, "a submission needs a name and its text");
  bytes id = new_row_id();
  auto c = commit_checked(r, *a,
                          {set("public_submission", id, "meeting", *m), set("public_submission", id, "name", str(d.name)),
                           set("public_submission", id, "kind", str(d.kind)), set("public_submission", id, "body", str(d.body)),
                           set("public_submission", id, "words", num(pack::count_words(d.body))),
                           set("public_submission", id, "received_at", num(d.received_at)),
                           set("public_submission", id, "created_by", a->member),
                           set("public_submission", id, "created_at", num(static_cast<std::int64_t>(now_ms)))},
                          now_ms);
  if (!c) return c.err();
  auto all = submissions(r, d.meeting);
  if (!all) return all.err();
  for (auto& s : *all)
    if (s.id == to_hex(id)) return s;
  return make_error(errc::storage, "the submission was not recorded");
}

// ---- priorities, KLOEs, forward plan ---------------------------------------

result<std::vector<priority>> priorities(replica& r) {
  auto rows = r.rows("priority", {}, {}, "number");
  if (!rows) return rows.err();
  std::vector<priority> out;
  for (auto& x : *rows) out.push_back({to_hex(x.id), x.text("title"), x.text("plan"), int_of(x, "number"), split_ids(x.text("leads"))});
  return out;
}

result<std::string> add_priority(replica& r, std::int64_t number, const std::string& title, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  if (title.empty()) return make_error(errc::invalid_argument, "a priority needs a title");
  if (number < 1) return make_error(errc::invalid_argument, "a priority needs its number in the plan (1 or more)");
  bytes id = derived_id("priority", {}, lower(title));
  auto c = commit_checked(r, *a,
                          {set("priority", id, "number", num(number)), set("priority", id, "title", str(title)),
                           set("priority", id, "created_by", a->member),
                           set("priority", id, "created_at", num(static_cast<std::int64_t>(now_ms)))},
                          now_ms);
  if (!c) return c.err();
  return to_hex(id);
}

result<void> set_priority_leads(replica& r, const std::string& priority_id, const std::vector<std::string>& member_ids,
                                std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto p = need_row(r, "priority", priority_id, "priority");
  if (!p) return p.err();
  for (auto& m : member_ids) {
    auto x = need_row(r, "member", m, "member");
    if (!x) return x.err();
  }
  auto c = commit_checked(r, *a, {set("priority", p->id, "leads", str(join_ids(member_ids)))}, now_ms);
  if (!c) return c.err();
  return {};
}

namespace {
kloe to_kloe(const row& x) {
  return {to_hex(x.id), hex_of(x, "priority"), x.text("topic"), hex_of(x, "owner"), x.text("bullets"),
          x.text("target_meeting"), x.text("approach"), x.text("status")};
}
result<void> check_approach(const std::string& a) {
  if (a == "Agenda" || a == "SSR") return {};
  return make_error(errc::invalid_argument, "the approach is Agenda or SSR (Spotlight Scrutiny Review)");
}
}  // namespace

result<std::string> draft_kloe(replica& r, const kloe& k, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto p = need_row(r, "priority", k.priority, "priority");
  if (!p) return p.err();
  if (k.topic.empty()) return make_error(errc::invalid_argument, "a KLOE needs a topic");
  PL_TRY(check_words(k.bullets, limits::max_note_words, "A KLOE's lines of enquiry"));
  PL_TRY(check_approach(k.approach.empty() ? std::string("Agenda") : k.approach));
  bytes id = new_row_id();
  std::vector<op> ops{set("kloe", id, "priority", p->id), set("kloe", id, "topic", str(k.topic)),
                      set("kloe", id, "owner", a->member),
                      set("kloe", id, "target_meeting", str(k.target_meeting)),
                      set("kloe", id, "approach", str(k.approach.empty() ? "Agenda" : k.approach)),
                      set("kloe", id, "status", str(k.status.empty() ? "draft" : k.status)),
                      set("kloe", id, "created_by", a->member),
                      set("kloe", id, "created_at", num(static_cast<std::int64_t>(now_ms)))};
  PL_TRY(add_text(r, ops, "kloe", id, "bullets", k.bullets));
  auto c = commit_checked(r, *a, std::move(ops), now_ms);
  if (!c) return c.err();
  return to_hex(id);
}

result<void> edit_kloe(replica& r, const kloe& k, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "kloe", k.id, "KLOE");
  if (!x) return x.err();
  if (!k.approach.empty()) PL_TRY(check_approach(k.approach));
  PL_TRY(check_words(k.bullets, limits::max_note_words, "A KLOE's lines of enquiry"));
  std::vector<op> ops;
  set_given(ops, "kloe", x->id, "topic", k.topic);
  if (!k.bullets.empty()) PL_TRY(add_text(r, ops, "kloe", x->id, "bullets", k.bullets));
  set_given(ops, "kloe", x->id, "target_meeting", k.target_meeting);
  set_given(ops, "kloe", x->id, "approach", k.approach);
  set_given(ops, "kloe", x->id, "status", k.status);
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<std::vector<kloe>> kloes(replica& r, const std::string& priority_id) {
  result<std::vector<row>> rows = priority_id.empty() ? r.rows("kloe", {}, {}, "created_at") : [&]() -> result<std::vector<row>> {
    auto p = id_arg(priority_id, "priority");
    if (!p) return p.err();
    return r.rows("kloe", "priority", *p, "created_at");
  }();
  if (!rows) return rows.err();
  std::vector<kloe> out;
  for (auto& x : *rows) out.push_back(to_kloe(x));
  return out;
}

result<std::vector<forward_item>> forward_plan(replica& r) {
  auto rows = r.rows("forward_plan", {}, {}, "position");
  if (!rows) return rows.err();
  std::vector<forward_item> out;
  for (auto& x : *rows)
    out.push_back({to_hex(x.id), x.text("meeting_label"), x.text("meeting_date"), x.text("title"), x.text("notes"),
                   x.text("raised_by"), x.text("lead"), x.text("kloes"), x.text("approach"), int_of(x, "position")});
  return out;
}

result<void> edit_forward_item(replica& r, const forward_item& f, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "forward_plan", f.id, "forward plan row");
  if (!x) return x.err();
  if (!f.approach.empty()) PL_TRY(check_approach(f.approach));
  PL_TRY(check_words(f.notes, limits::max_note_words, "A forward plan row's notes"));
  std::vector<op> ops;
  if (!f.notes.empty()) PL_TRY(add_text(r, ops, "forward_plan", x->id, "notes", f.notes));
  for (auto [field, v] : {std::pair{"lead", &f.lead}, {"kloes", &f.kloes}, {"approach", &f.approach}})
    set_given(ops, "forward_plan", x->id, field, *v);
  return commit_edit(r, *a, std::move(ops), now_ms);
}

// ---- consolidation ---------------------------------------------------------

namespace {
// A group is a consolidated_question row with status "grouped": drafts put
// together, not merged yet, not on the list.
constexpr const char* grouped = "grouped";

result<std::vector<consolidated>> consolidated_rows(replica& r, const std::string& meeting_id, bool groups) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  auto rows = r.rows("consolidated_question", "meeting", *m, "position");
  if (!rows) return rows.err();
  std::vector<consolidated> out;
  std::int64_t n = 0;
  for (auto& x : *rows)
    if ((x.text("status") == grouped) == groups)
      out.push_back({to_hex(x.id), meeting_id, x.text("position"), x.text("section"), x.text("body"), hex_of(x, "lead"),
                     x.text("lead_label"), hex_of(x, "priority"), x.text("target"), x.text("status"),
                     split_ids(x.text("sources")), ++n});
  return out;
}
}  // namespace

result<std::vector<consolidated>> consolidated_list(replica& r, const std::string& meeting_id) {
  return consolidated_rows(r, meeting_id, false);
}
result<std::vector<consolidated>> groups(replica& r, const std::string& meeting_id) {
  return consolidated_rows(r, meeting_id, true);
}

namespace {
result<void> fill_consolidated(replica& r, std::vector<op>& ops, const bytes& id, const consolidated_draft& c) {
  PL_TRY(check_words(c.body, limits::max_question_words, "A question"));
  if (!c.body.empty()) PL_TRY(add_text(r, ops, "consolidated_question", id, "body", c.body));
  if (!c.section.empty()) ops.push_back(set("consolidated_question", id, "section", str(c.section)));
  if (!c.target.empty()) ops.push_back(set("consolidated_question", id, "target", str(c.target)));
  if (!c.lead_label.empty()) ops.push_back(set("consolidated_question", id, "lead_label", str(c.lead_label)));
  if (!c.lead.empty()) {
    auto l = need_row(r, "member", c.lead, "member");
    if (!l) return make_error(errc::invalid_argument, "the question lead is not a member of the panel");
    ops.push_back(set("consolidated_question", id, "lead", l->id));
  }
  if (!c.priority.empty()) {
    auto p = id_arg(c.priority, "priority");
    if (!p) return p.err();
    ops.push_back(set("consolidated_question", id, "priority", *p));
  }
  return {};
}

// Checks that the drafts are the meeting's. When merged (not only grouped),
// drafts put in become "consolidated" and drafts taken out go back to "submitted".
result<void> source_statuses(replica& r, std::vector<op>& ops, const bytes& meeting, const std::vector<std::string>& before,
                             const std::vector<std::string>& after, bool merged = true) {
  for (auto& s : after) {
    auto q = need_row(r, "question", s, "question");
    if (!q) return q.err();
    if (bytes_of(*q, "meeting") != meeting) return make_error(errc::invalid_argument, "a merged draft belongs to another meeting");
    if (merged) ops.push_back(set("question", q->id, "status", str("consolidated")));
  }
  if (merged)
    for (auto& s : before)
      if (std::find(after.begin(), after.end(), s) == after.end())
        ops.push_back(set("question", from_hex(s), "status", str("submitted")));
  return {};
}
}  // namespace

namespace {
// A new row at the end of the list (or of the groups).
result<std::string> add_consolidated(replica& r, const consolidated_draft& c, bool group, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto m = id_arg(c.meeting, "meeting");
  if (!m) return m.err();
  if (!group && c.body.empty()) return make_error(errc::invalid_argument, "a question on the final list needs its wording");
  consolidated_draft d = c;
  if (!group && d.section.empty()) d.section = "In quarter";
  if (!group && d.target.empty()) d.target = "PCC";
  if (group && c.sources.size() < 2) return make_error(errc::invalid_argument, "a group has at least two drafts");
  auto list = consolidated_rows(r, c.meeting, group);
  if (!list) return list.err();
  bytes id = new_row_id();
  auto pos = between(list->empty() ? std::string{} : list->back().position, {});
  if (!pos) return pos.err();
  std::vector<op> ops{set("consolidated_question", id, "meeting", *m),
                      set("consolidated_question", id, "position", str(*pos)),
                      set("consolidated_question", id, "sources", str(join_ids(c.sources))),
                      set("consolidated_question", id, "status", str(group ? grouped : "listed")),
                      set("consolidated_question", id, "created_by", a->member),
                      set("consolidated_question", id, "created_at", num(static_cast<std::int64_t>(now_ms)))};
  PL_TRY(fill_consolidated(r, ops, id, d));
  PL_TRY(source_statuses(r, ops, *m, {}, c.sources, !group));
  auto cm = commit_checked(r, *a, std::move(ops), now_ms);
  if (!cm) return cm.err();
  return to_hex(id);
}
}  // namespace

result<std::string> consolidate(replica& r, const consolidated_draft& c, std::uint64_t now_ms) {
  return add_consolidated(r, c, false, now_ms);
}

result<std::string> group_drafts(replica& r, const std::string& meeting_id, const std::vector<std::string>& question_ids,
                                 std::uint64_t now_ms) {
  consolidated_draft c;
  c.meeting = meeting_id;
  c.sources = question_ids;
  return add_consolidated(r, c, true, now_ms);
}

result<void> merge_group(replica& r, const std::string& group_id, const consolidated_draft& c, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "consolidated_question", group_id, "group");
  if (!x) return x.err();
  if (x->text("status") != grouped) return make_error(errc::bad_state, "that group is already on the final question list");
  if (c.body.empty()) return make_error(errc::invalid_argument, "a question on the final list needs its wording");
  auto list = consolidated_list(r, hex_of(*x, "meeting"));
  if (!list) return list.err();
  auto pos = between(list->empty() ? std::string{} : list->back().position, {});
  if (!pos) return pos.err();
  auto sources = c.sources.empty() ? split_ids(x->text("sources")) : c.sources;
  std::vector<op> ops{set("consolidated_question", x->id, "status", str("listed")),
                      set("consolidated_question", x->id, "position", str(*pos)),
                      set("consolidated_question", x->id, "sources", str(join_ids(sources)))};
  consolidated_draft d = c;  // a group has no section or target of its own yet
  if (d.section.empty() && x->text("section").empty()) d.section = "In quarter";
  if (d.target.empty() && x->text("target").empty()) d.target = "PCC";
  PL_TRY(fill_consolidated(r, ops, x->id, d));
  PL_TRY(source_statuses(r, ops, bytes_of(*x, "meeting"), {}, sources));
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<void> edit_consolidated(replica& r, const std::string& id, const consolidated_draft& c, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "consolidated_question", id, "consolidated question");
  if (!x) return x.err();
  std::vector<op> ops;
  PL_TRY(fill_consolidated(r, ops, x->id, c));
  if (!c.sources.empty()) {
    ops.push_back(set("consolidated_question", x->id, "sources", str(join_ids(c.sources))));
    PL_TRY(source_statuses(r, ops, bytes_of(*x, "meeting"), split_ids(x->text("sources")), c.sources,
                           x->text("status") != grouped));
  }
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<std::vector<std::string>> split_consolidated(replica& r, const std::string& id, const std::vector<std::string>& bodies,
                                                    std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  if (bodies.size() < 2) return make_error(errc::invalid_argument, "a split gives at least two questions");
  for (auto& b : bodies) PL_TRY(check_words(b, limits::max_question_words, "A question"));
  auto x = need_row(r, "consolidated_question", id, "consolidated question");
  if (!x) return x.err();
  auto list = consolidated_list(r, hex_of(*x, "meeting"));
  if (!list) return list.err();
  // The parts go between it and the next question (the next greater key:
  // moves made at once on two tablets can leave neighbours with one key).
  std::string next;
  for (auto& c : *list)
    if (c.position > x->text("position") && (next.empty() || c.position < next)) next = c.position;
  std::vector<op> ops;
  PL_TRY(add_text(r, ops, "consolidated_question", x->id, "body", bodies[0]));
  std::vector<std::string> ids{id};
  std::string prev = x->text("position");
  for (std::size_t i = 1; i < bodies.size(); ++i) {
    bytes nid = new_row_id();
    auto pos = between(prev, next);
    if (!pos) return pos.err();
    prev = *pos;
    for (const char* f : {"meeting", "section", "lead", "lead_label", "priority", "target", "sources", "status"})
      if (const value* v = x->get(f)) ops.push_back(set("consolidated_question", nid, f, *v));
    ops.push_back(set("consolidated_question", nid, "position", str(prev)));
    PL_TRY(add_text(r, ops, "consolidated_question", nid, "body", bodies[i]));
    ops.push_back(set("consolidated_question", nid, "created_by", a->member));
    ops.push_back(set("consolidated_question", nid, "created_at", num(static_cast<std::int64_t>(now_ms))));
    ids.push_back(to_hex(nid));
  }
  auto cm = commit_checked(r, *a, std::move(ops), now_ms);
  if (!cm) return cm.err();
  return ids;
}

result<void> move_consolidated(replica& r, const std::string& id, const std::string& after_id, const std::string& before_id,
                               std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "consolidated_question", id, "consolidated question");
  if (!x) return x.err();
  std::string lo, hi;
  if (!after_id.empty()) {
    auto y = need_row(r, "consolidated_question", after_id, "consolidated question");
    if (!y) return y.err();
    lo = y->text("position");
  }
  if (!before_id.empty()) {
    auto y = need_row(r, "consolidated_question", before_id, "consolidated question");
    if (!y) return y.err();
    hi = y->text("position");
  }
  if (!lo.empty() && !hi.empty() && !(lo < hi)) {
    // Moves made at once on two tablets can leave neighbours with one key
    // (the list shows them by id): the question goes right after `after_id`.
    auto list = consolidated_list(r, hex_of(*x, "meeting"));
    if (!list) return list.err();
    hi.clear();
    for (auto& c : *list)
      if (c.position > lo && c.id != id && (hi.empty() || c.position < hi)) hi = c.position;
  }
  auto pos = between(lo, hi);
  if (!pos) return pos.err();
  auto cm = commit_checked(r, *a, {set("consolidated_question", x->id, "position", str(*pos))}, now_ms);
  if (!cm) return cm.err();
  return {};
}

result<void> remove_consolidated(replica& r, const std::string& id, std::uint64_t now_ms) {
  return tombstone(r, "consolidated_question", id, "consolidated question", now_ms);
}

result<void> unmerge(replica& r, const std::string& id, bool to_group, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "consolidated_question", id, "consolidated question");
  if (!x) return x.err();
  if (x->text("status") == grouped) return make_error(errc::bad_state, "that group is not on the final question list");
  auto sources = split_ids(x->text("sources"));
  if (to_group && sources.size() < 2) return make_error(errc::invalid_argument, "a group has at least two drafts");
  std::vector<op> ops{to_group ? set("consolidated_question", x->id, "status", str(grouped))
                               : set("consolidated_question", x->id, "deleted", num(1))};
  // Its drafts are submitted again, unless something else has happened to them since.
  for (auto& s : sources) {
    auto q = need_row(r, "question", s, "question");
    if (!q) return q.err();
    if (q->text("status") == "consolidated") ops.push_back(set("question", q->id, "status", str("submitted")));
  }
  return commit_edit(r, *a, std::move(ops), now_ms);
}

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
