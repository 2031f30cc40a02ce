// Members' annotations on a pack: written, edited, deleted and restored; a
// private note's words sealed under its author's member key, a priority
// group's note under the group's key.
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
#include "panel/sealed_words.hpp"
#include "panel/workflow_support.hpp"

namespace packline::workflow {
using namespace detail;

const char* to_string(anchor_status s) {
  switch (s) {
    case anchor_status::exact: return "exact";
    case anchor_status::moved: return "moved";
    case anchor_status::text_changed: return "text_changed";
    case anchor_status::orphaned: return "orphaned";
  }
  return "orphaned";
}
// ---- annotations ----------------------------------------------------------


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
  PL_TRY(annotation_words(r, ops, id, d.visibility, *pri, {text.substr(s, e - s), text.substr(ps, s - ps), text.substr(e, se - e)}));
  PL_TRY(note_body(r, ops, a->member, id, d.visibility, *pri, d.body, false));
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
  if (bytes_of(*x, "author") != a->member) return make_error(errc::forbidden, "only the author edits an annotation");
  if (x->text("kind") == "note" && body.empty()) return make_error(errc::invalid_argument, "a note needs some text");
  PL_TRY(check_words(body, limits::max_note_words, "A note"));
  // Only what changes is written, so an edit of the words made on another
  // tablet at the same time does not undo a change of readers. When the
  // readers change, the quote and context are sealed for the new ones and
  // the body is typed anew under their key (note_body); so are open words
  // left in a note that is not the panel's (a group's note from an earlier
  // build) and a note from before bodies were text.
  const value* legacy = x->get("sealed_body");
  const bool from_legacy = legacy && std::holds_alternative<bytes>(*legacy);
  const bool same_readers = x->text("visibility") == visibility && bytes_of(*x, "priority") == *pri;
  const bool open_words_left = r.write_epoch() != 0 && visibility != "panel" && !x->text("body").empty();
  const bool retype = from_legacy || !same_readers || open_words_left;
  std::vector<op> ops{set("annotation", x->id, "edited_at", num(static_cast<std::int64_t>(now_ms)))};
  if (!same_readers || open_words_left) {
    std::array<std::string, 3> words;
    for (std::size_t i = 0; const char* f : {"quote", "prefix", "suffix"}) {
      auto w = opened_words(r, *x, f);
      if (!w) return make_error(errc::no_key, "this tablet cannot open this note yet, so it cannot change it");
      words[i++] = std::move(*w);
    }
    PL_TRY(annotation_words(r, ops, x->id, visibility, *pri, std::move(words)));
  }
  PL_TRY(note_body(r, ops, a->member, x->id, visibility, *pri, body, retype));
  if (from_legacy) ops.push_back(set("annotation", x->id, "sealed_body", value{}));
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

}  // namespace packline::workflow
