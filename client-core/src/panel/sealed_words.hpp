// The words of private and group notes, shared by the workflow's files that
// write or read them (annotations, reading, plan): sealed under the author's
// member key or a priority group's key, opened where this tablet holds it.
// Private to the panel layer.
#pragma once
#include <optional>
#include <string>

#include "panel/workflow_support.hpp"

namespace packline::workflow::detail {

// Who may read an annotation: "private" (its author), "priority" (the leads
// of that priority) or "panel"; returns the priority for "priority".
inline result<bytes> check_visibility(replica& r, const std::string& visibility, const std::string& priority) {
  if (visibility == "private" || visibility == "panel") return bytes{};
  if (visibility != "priority") return make_error(errc::invalid_argument, "visibility is private, priority or panel");
  auto p = id_arg(priority, "priority");
  if (!p) return make_error(errc::invalid_argument, "choose the priority group that may read this");
  auto x = find_row(r, "priority", *p);
  if (!x) return x.err();
  if (!*x) return make_error(errc::not_found, "there is no such priority");
  return *p;
}

// A priority group's key (group_key rows, made when the priority's leads
// are set): the slot its characters are typed under in a note's body
// (replica::keyed_text; slots from 2, the private slot being 1), and the
// quote and context sealed whole under it (group_magic, the key's row id,
// then the AEAD of the words).
constexpr std::string_view group_magic = "PLG1";
inline std::uint32_t group_slot(const bytes& g) {
  return 2 + ((static_cast<std::uint32_t>(g[0]) << 16 | static_cast<std::uint32_t>(g[1]) << 8 | g[2]) & 0x3fffff);
}
struct group_key {
  bytes id;  // its group_key row
  crypto::secret key;
};
// The group key of row `g`, if this device was given it.
inline std::optional<crypto::secret> group_key_of(replica& r, const row& g) {
  const value* w = g.get("wraps");
  if (!w || !std::holds_alternative<bytes>(*w)) return std::nullopt;
  auto k = r.open_group_key(std::get<bytes>(*w));
  if (!k) return std::nullopt;
  return std::move(*k);
}
// The priority's current group key (the one new notes use), if this device holds it.
inline std::optional<group_key> current_group_key(replica& r, const bytes& priority) {
  auto p = find_row(r, "priority", priority);
  if (!p || !*p) return std::nullopt;
  bytes g = bytes_of(**p, "group_key");
  auto gr = g.size() == 16 ? find_row(r, "group_key", g) : result<std::optional<row>>(std::nullopt);
  if (!gr || !*gr || bytes_of(**gr, "priority") != priority) return std::nullopt;
  auto k = group_key_of(r, **gr);
  if (!k) return std::nullopt;
  return group_key{g, std::move(*k)};
}

// Why this device cannot share a note with the priority's leads.
inline error no_group_key(replica& r, const bytes& priority) {
  std::string title = "that priority";
  if (auto p = find_row(r, "priority", priority); p && *p) title = (**p).text("title");
  return make_error(errc::no_key, "only the leads of " + title + " share notes with them, on a tablet that holds "
                                  "their key (the chair gives it when setting the leads)");
}

// In a secured panel a private annotation's quote and context are sealed
// under the member key, and a priority group's under the group's current
// key, so other members' replicas hold only ciphertext. The test is the
// change's own sealing (a space epoch), not secured(): a founder that has
// not reached the server yet writes under epoch 1 before any ack.
inline result<value> seal_words(replica& r, const std::string& visibility, const group_key* group, std::string v) {
  if (r.write_epoch() == 0 || visibility == "panel") return str(std::move(v));
  if (visibility == "private") {
    auto b = r.seal_private(v);
    if (!b) return b.err();
    return value{std::move(*b)};
  }
  bytes ad = to_bytes(group_magic);
  append(ad, group->id);
  auto ct = crypto::aead_seal(group->key, ad, to_bytes(v));
  if (!ct) return ct.err();
  append(ad, *ct);
  return value{std::move(ad)};
}
// The words, or nullopt where this device cannot open them.
inline std::optional<std::string> opened_words(replica& r, const row& x, const char* f) {
  const value* v = x.get(f);
  if (!v || !std::holds_alternative<bytes>(*v)) return x.text(f);
  const bytes& b = std::get<bytes>(*v);
  if (replica::is_private(*v)) {
    auto o = r.open_private(b);
    if (!o) return std::nullopt;
    return *o;
  }
  if (b.size() < group_magic.size() + 16 + crypto::aead_overhead || !std::equal(group_magic.begin(), group_magic.end(), b.begin()))
    return std::nullopt;
  bytes g(b.begin() + 4, b.begin() + 20);
  auto gr = find_row(r, "group_key", g);
  if (!gr || !*gr) return std::nullopt;
  auto k = group_key_of(r, **gr);
  if (!k) return std::nullopt;
  auto pt = crypto::aead_open(*k, bytes(b.begin(), b.begin() + 20), bytes(b.begin() + 20, b.end()));
  if (!pt) return std::nullopt;
  return std::string(pt->begin(), pt->end());
}
inline std::string open_words(replica& r, const row& x, const char* f) { return opened_words(r, x, f).value_or(std::string{}); }
inline result<value> seal_words(replica& r, bool private_words, std::string v) {
  return seal_words(r, private_words ? "private" : "panel", nullptr, std::move(v));
}

// The ops that write an annotation's quote and context and who may read them.
inline result<void> annotation_words(replica& r, std::vector<op>& ops, const bytes& id, const std::string& visibility,
                              const bytes& priority, std::array<std::string, 3> words) {
  static constexpr std::array<const char*, 3> fields = {"quote", "prefix", "suffix"};
  std::optional<group_key> group;
  if (visibility == "priority" && r.write_epoch() != 0) {
    group = current_group_key(r, priority);
    if (!group) return no_group_key(r, priority);
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto v = seal_words(r, visibility, group ? &*group : nullptr, std::move(words[i]));
    if (!v) return v.err();
    ops.push_back(set("annotation", id, fields[i], std::move(*v)));
  }
  ops.push_back(set("annotation", id, "visibility", str(visibility)));
  ops.push_back(set("annotation", id, "priority", priority.empty() ? value{} : value{priority}));
  return {};
}

// A note's body is long text whose characters are each sealed under the key
// of the readers it was typed for (replica::keyed_text): slot 0 open (the
// panel, or an open panel), private_slot the author's key for this note
// (replica::words_key, never disclosed), group_slot(g) the priority group's
// key g. The keys this device holds for note `id` of `author` on `priority`.
constexpr std::uint32_t private_slot = 1;
inline replica::text_keys note_keys(replica& r, const bytes& author, const bytes& id, const bytes& priority) {
  replica::text_keys keys;
  if (auto k = r.words_key(author, id)) keys.emplace(private_slot, std::move(*k));
  if (priority.size() == 16)
    if (auto gs = r.rows("group_key", "priority", priority))
      for (auto& g : *gs)
        if (auto k = group_key_of(r, g)) keys.emplace(group_slot(g.id), std::move(*k));
  return keys;
}

// The slot new words of a note with `visibility` are typed under.
inline result<std::uint32_t> note_slot(replica& r, const std::string& visibility, const bytes& priority, const replica::text_keys& keys) {
  if (visibility == "panel" || r.write_epoch() == 0) return 0u;
  if (visibility == "private") {
    if (!keys.count(private_slot))
      return make_error(errc::no_key, "this tablet has not received your private key yet: connect once, then save the note again");
    return private_slot;
  }
  auto group = current_group_key(r, priority);
  if (!group) return no_group_key(r, priority);
  return group_slot(group->id);
}

// The ops that make note `id`'s body read `body`. `retype` when its readers
// change: the words are typed anew under the new readers' key, so nothing
// typed for the old readers stays live, and nothing typed later is under a
// key the old readers hold.
inline result<void> note_body(replica& r, std::vector<op>& ops, const bytes& author, const bytes& id, const std::string& visibility,
                       const bytes& priority, const std::string& body, bool retype) {
  auto keys = note_keys(r, author, id, priority);
  auto slot = note_slot(r, visibility, priority, keys);
  if (!slot) return slot.err();
  auto t = r.keyed_text_ops("annotation", id, "body", body, keys, *slot, retype);
  if (!t) return t.err();
  for (auto& o : *t) ops.push_back(std::move(o));
  return {};
}

// The note's body as this device reads it (a note from an earlier build,
// sealed whole, in sealed_body until its author edits it).
inline std::string note_text(replica& r, const row& x, std::size_t* hidden = nullptr) {
  const value* legacy = x.get("sealed_body");
  if (legacy && std::holds_alternative<bytes>(*legacy)) {
    auto w = opened_words(r, x, "sealed_body");
    if (hidden) *hidden = w ? 0 : 1;
    return w.value_or(std::string{});
  }
  return r.keyed_text("annotation", x.id, "body", note_keys(r, bytes_of(x, "author"), x.id, bytes_of(x, "priority")), hidden);
}

}  // namespace packline::workflow::detail
