// Panel workflow over the replica (members, meetings, agenda items, question
// drafts). Ids cross this API as lower-case hex; rows are read from the
// materialised tables and written as LWW field ops.
#include "packline/workflow.hpp"

namespace packline::workflow {
namespace {

std::string hex_of(const row& r, std::string_view f) {
  const value* v = r.get(f);
  return v && std::holds_alternative<bytes>(*v) ? to_hex(std::get<bytes>(*v)) : std::string{};
}
std::int64_t int_of(const row& r, std::string_view f) {
  const value* v = r.get(f);
  return v && std::holds_alternative<std::int64_t>(*v) ? std::get<std::int64_t>(*v) : 0;
}
result<bytes> id_arg(const std::string& hex, const char* what) {
  bytes b = from_hex(hex);
  if (b.size() != 16) return make_error(errc::invalid_argument, std::string("not a valid ") + what + " id");
  return b;
}
op set(const char* table, const bytes& row, const char* field, value v) {
  return op{op_kind::set, table, row, field, std::move(v)};
}

}  // namespace

result<std::vector<member>> members(replica& r) {
  auto rows = r.rows("member", {}, {}, "name");
  if (!rows) return rows.err();
  std::vector<member> out;
  for (auto& x : *rows) out.push_back({to_hex(x.id), x.text("name"), x.text("role")});
  return out;
}

result<std::vector<meeting>> meetings(replica& r) {
  auto rows = r.rows("meeting", {}, {}, "date");
  if (!rows) return rows.err();
  std::vector<meeting> out;
  for (auto& x : *rows)
    out.push_back({to_hex(x.id), x.text("title"), x.text("date"), x.text("time"), x.text("venue"), x.text("kind"), x.text("status")});
  return out;
}

result<std::vector<agenda_item>> items(replica& r, const std::string& meeting_id) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  auto rows = r.rows("pack_item", "meeting", *m, "position");
  if (!rows) return rows.err();
  std::vector<agenda_item> out;
  for (auto& x : *rows)
    out.push_back({to_hex(x.id), meeting_id, x.text("number"), x.text("title"), x.text("pages"), x.text("description"),
                   int_of(x, "exempt") != 0});
  return out;
}

result<std::vector<question>> questions(replica& r, const std::string& meeting_id) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  auto rows = r.rows("question", "meeting", *m, "created_at");
  if (!rows) return rows.err();
  std::vector<question> out;
  for (auto& x : *rows)
    out.push_back({to_hex(x.id), meeting_id, hex_of(x, "item"), hex_of(x, "author"), x.text("target"), x.text("section"),
                   x.text("body"), x.text("status"), int_of(x, "created_at")});
  return out;
}

std::string signed_in_member(replica& r) { return r.setting("member"); }

result<void> sign_in(replica& r, const std::string& member_id) {
  auto m = id_arg(member_id, "member");
  if (!m) return m.err();
  auto rows = r.rows("member");
  if (!rows) return rows.err();
  for (auto& x : *rows)
    if (x.id == *m) return r.set_setting("member", member_id);
  return make_error(errc::not_found, "there is no such member on this panel");
}

result<std::string> draft_question(replica& r, const std::string& item_id, const std::string& body, std::uint64_t now_ms) {
  std::string me = signed_in_member(r);
  if (me.empty()) return make_error(errc::bad_state, "sign in before drafting a question");
  auto item = id_arg(item_id, "agenda item");
  if (!item) return item.err();
  std::string text = body;
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
  if (text.empty()) return make_error(errc::invalid_argument, "the question is empty");
  auto found = r.rows("pack_item");
  if (!found) return found.err();
  const row* it = nullptr;
  for (auto& x : *found)
    if (x.id == *item) it = &x;
  if (!it) return make_error(errc::not_found, "that agenda item is not in this pack");
  bytes id = new_row_id();
  bytes author = from_hex(me);
  std::vector<op> ops{
      set("question", id, "meeting", *it->get("meeting")),
      set("question", id, "item", *item),
      set("question", id, "author", author),
      set("question", id, "body", text),
      set("question", id, "status", std::string("draft")),
      set("question", id, "created_by", author),
      set("question", id, "created_at", static_cast<std::int64_t>(now_ms)),
  };
  auto c = r.commit(std::move(ops), now_ms);
  if (!c) return c.err();
  return to_hex(id);
}

}  // namespace packline::workflow
