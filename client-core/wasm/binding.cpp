// Embind binding of client-core for the webapp (API.md): bytes and plain
// values in and out, errors as {error: {code, message}}. No logic here beyond
// converting types (JS objects <-> core structs); everything else lives in the core.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include "packline/at_rest.hpp"
#include "packline/codec.hpp"
#include "packline/crypto.hpp"
#include "packline/export.hpp"
#include "packline/pack_import.hpp"
#include "packline/sync.hpp"
#include "packline/tablets.hpp"
#include "packline/workflow.hpp"

using emscripten::val;
using namespace packline;
namespace wf = packline::workflow;

namespace {

val err_val(const error& e) {
  val inner = val::object();
  inner.set("code", static_cast<unsigned>(e.code));
  inner.set("message", e.message);
  val o = val::object();
  o.set("error", inner);
  return o;
}

bytes to_bytes(const val& u8) { return emscripten::convertJSArrayToNumberVector<std::uint8_t>(u8); }

val to_u8(const bytes& b) {
  val view(emscripten::typed_memory_view(b.size(), b.data()));
  val out = val::global("Uint8Array").new_(b.size());
  out.call<void>("set", view);
  return out;
}

val frames_val(const std::vector<bytes>& frames) {
  val arr = val::array();
  for (auto& f : frames) arr.call<void>("push", to_u8(f));
  return arr;
}

val strings_val(const std::vector<std::string>& v) {
  val arr = val::array();
  for (auto& s : v) arr.call<void>("push", s);
  return arr;
}
std::vector<std::string> strings_of(const val& arr) {
  std::vector<std::string> out;
  if (arr.isUndefined() || arr.isNull()) return out;
  auto n = arr["length"].as<unsigned>();
  for (unsigned i = 0; i < n; ++i) out.push_back(arr[i].as<std::string>());
  return out;
}

// Optional fields of a JS object: missing or null keeps the struct's default.
void get(const val& o, const char* k, std::string& out) {
  val v = o[k];
  if (!v.isUndefined() && !v.isNull()) out = v.as<std::string>();
}
void get(const val& o, const char* k, std::int64_t& out) {
  val v = o[k];
  if (!v.isUndefined() && !v.isNull()) out = static_cast<std::int64_t>(v.as<double>());
}
void get(const val& o, const char* k, std::vector<std::string>& out) {
  val v = o[k];
  if (!v.isUndefined() && !v.isNull()) out = strings_of(v);
}

std::uint64_t ms(double now_ms) { return static_cast<std::uint64_t>(now_ms); }
double num(std::int64_t v) { return static_cast<double>(v); }

template <class T, class F>
val list_val(const result<std::vector<T>>& r, F&& fill) {
  if (!r) return err_val(r.err());
  val arr = val::array();
  for (auto& x : *r) {
    val o = val::object();
    fill(o, x);
    arr.call<void>("push", o);
  }
  return arr;
}
val done(const result<void>& r) { return r ? val::object() : err_val(r.err()); }
val id_val(const result<std::string>& r) {
  if (!r) return err_val(r.err());
  val o = val::object();
  o.set("id", *r);
  return o;
}

val value_val(const value& v) {
  if (std::holds_alternative<std::string>(v)) return val(std::get<std::string>(v));
  if (std::holds_alternative<std::int64_t>(v)) return val(num(std::get<std::int64_t>(v)));
  if (std::holds_alternative<double>(v)) return val(std::get<double>(v));
  if (std::holds_alternative<bool>(v)) return val(std::get<bool>(v));
  if (std::holds_alternative<bytes>(v)) return val(to_hex(std::get<bytes>(v)));
  return val::null();
}

void fill_meeting(val& o, const wf::meeting& m) {
  o.set("id", m.id); o.set("title", m.title); o.set("date", m.date); o.set("time", m.time);
  o.set("venue", m.venue); o.set("kind", m.kind); o.set("status", m.status); o.set("body", m.body);
  o.set("chair", m.chair); o.set("viceChair", m.vice_chair); o.set("publicDeadline", m.public_deadline);
  o.set("pack", m.pack); o.set("quorum", num(m.quorum));
}
void fill_block_change(val& o, const wf::block_change& c) {
  o.set("kind", c.kind); o.set("item", c.item); o.set("oldBlock", c.old_block); o.set("newBlock", c.new_block);
  o.set("oldText", c.old_text); o.set("newText", c.new_text); o.set("page", num(c.page));
}
void fill_annotation(val& o, const wf::annotation& a) {
  o.set("id", a.id); o.set("meeting", a.meeting); o.set("item", a.item); o.set("author", a.author);
  o.set("kind", a.kind); o.set("body", a.body); o.set("visibility", a.visibility); o.set("priority", a.priority);
  o.set("quote", a.quote); o.set("prefix", a.prefix); o.set("suffix", a.suffix);
  o.set("start", num(a.start)); o.set("end", num(a.end)); o.set("createdAt", num(a.created_at));
  o.set("editedAt", num(a.edited_at));
  o.set("status", std::string(wf::to_string(a.status))); o.set("block", a.block); o.set("page", num(a.page));
  o.set("curStart", num(a.cur_start)); o.set("curEnd", num(a.cur_end)); o.set("currentText", a.current_text);
  o.set("locked", a.locked);
}
void fill_question(val& o, const wf::question& q) {
  o.set("id", q.id); o.set("meeting", q.meeting); o.set("item", q.item); o.set("author", q.author);
  o.set("target", q.target); o.set("section", q.section); o.set("body", q.body); o.set("status", q.status);
  o.set("createdAt", num(q.created_at)); o.set("priority", q.priority); o.set("subparts", num(q.subparts));
  o.set("outcome", q.outcome);
}
wf::question_draft question_draft_of(const val& o) {
  wf::question_draft d;
  get(o, "item", d.item); get(o, "priority", d.priority); get(o, "target", d.target);
  get(o, "section", d.section); get(o, "body", d.body); get(o, "subparts", d.subparts);
  return d;
}
void fill_consolidated(val& o, const wf::consolidated& c) {
  o.set("id", c.id); o.set("meeting", c.meeting); o.set("position", c.position); o.set("section", c.section);
  o.set("body", c.body); o.set("lead", c.lead); o.set("leadLabel", c.lead_label); o.set("priority", c.priority);
  o.set("target", c.target); o.set("status", c.status); o.set("sources", strings_val(c.sources));
  o.set("number", num(c.number));
}
val submission_val(const wf::submission& s) {
  val o = val::object();
  o.set("id", s.id); o.set("meeting", s.meeting); o.set("name", s.name); o.set("kind", s.kind); o.set("body", s.body);
  o.set("words", num(s.words)); o.set("receivedAt", num(s.received_at)); o.set("accepted", s.accepted);
  o.set("reason", s.reason);
  return o;
}
wf::kloe kloe_of(const val& o) {
  wf::kloe k;
  get(o, "id", k.id); get(o, "priority", k.priority); get(o, "topic", k.topic); get(o, "owner", k.owner);
  get(o, "bullets", k.bullets); get(o, "targetMeeting", k.target_meeting); get(o, "approach", k.approach);
  get(o, "status", k.status);
  return k;
}
wf::consolidated_draft consolidated_of(const val& o) {
  wf::consolidated_draft c;
  get(o, "meeting", c.meeting); get(o, "sources", c.sources); get(o, "body", c.body); get(o, "section", c.section);
  get(o, "lead", c.lead); get(o, "leadLabel", c.lead_label); get(o, "priority", c.priority); get(o, "target", c.target);
  return c;
}

// A JS progress callback (stage, done, total), or none.
pack::progress_fn progress_of(const val& f) {
  if (f.isUndefined() || f.isNull()) return {};
  return [f](std::string_view stage, std::size_t d, std::size_t t) {
    f(std::string(stage), static_cast<double>(d), static_cast<double>(t));
  };
}

val plan_val(const wf::import_plan& plan) {
  val o = val::object();
  val ms = val::array();
  for (auto& m : plan.members) {
    val x = val::object();
    x.set("name", m.name); x.set("role", m.role); x.set("member", m.member); x.set("note", m.note);
    ms.call<void>("push", x);
  }
  val ps = val::array();
  for (auto& p : plan.priorities) {
    val x = val::object();
    x.set("number", num(p.number)); x.set("title", p.title); x.set("priority", p.priority);
    ps.call<void>("push", x);
  }
  val cs = val::array();
  for (auto& c : plan.corrections) {
    val x = val::object();
    x.set("item", c.item); x.set("number", c.number); x.set("title", c.title); x.set("field", c.field);
    x.set("value", c.value); x.set("what", c.what); x.set("note", c.note);
    cs.call<void>("push", x);
  }
  o.set("members", ms);
  o.set("priorities", ps);
  o.set("corrections", cs);
  return o;
}

val import_report_val(const result<wf::import_report>& r) {
  if (!r) return err_val(r.err());
  val o = val::object();
  o.set("meeting", r->meeting); o.set("pack", r->pack); o.set("kind", r->kind); o.set("version", num(r->version));
  o.set("items", static_cast<double>(r->items)); o.set("blocks", static_cast<double>(r->blocks));
  o.set("changes", static_cast<double>(r->changes)); o.set("forwardPlan", static_cast<double>(r->forward_plan));
  o.set("priorities", static_cast<double>(r->priorities)); o.set("unchanged", r->unchanged);
  val changed = val::array();
  for (auto& c : r->changed_blocks) { val x = val::object(); fill_block_change(x, c); changed.call<void>("push", x); }
  o.set("changedBlocks", changed);
  val anns = val::array();
  for (auto& a : r->annotations) { val x = val::object(); fill_annotation(x, a); anns.call<void>("push", x); }
  o.set("annotations", anns);
  o.set("membersAdded", static_cast<double>(r->members));
  o.set("corrections", static_cast<double>(r->corrections));
  o.set("plan", plan_val(r->plan));
  return o;
}

// The neutral form pdf.js gives (webapp/src/pdf.ts): {pages: [{text (runs
// joined by NUL), geom (Float64Array: x, y, width, size, bold per run),
// label}], outline: [{title, page, level}]}; the core groups each page's runs
// into lines, as it does for poppler natively.
pack::source source_of(const val& o) {
  pack::source s;
  val pages = o["pages"];
  unsigned n = pages["length"].as<unsigned>();
  for (unsigned i = 0; i < n; ++i) {
    val pg = pages[i];
    std::string text = pg["text"].as<std::string>();
    std::vector<double> g = emscripten::convertJSArrayToNumberVector<double>(pg["geom"]);
    std::vector<pack::text_run> runs;
    std::size_t from = 0;
    for (std::size_t k = 0; 5 * k + 4 < g.size(); ++k) {
      auto end = text.find('\0', from);
      runs.push_back({text.substr(from, end == std::string::npos ? std::string::npos : end - from), g[5 * k], g[5 * k + 1],
                      g[5 * k + 2], g[5 * k + 3], g[5 * k + 4] != 0});
      from = end == std::string::npos ? text.size() : end + 1;
    }
    pack::source_page sp;
    sp.lines = pack::lines_of_runs(std::move(runs));
    get(pg, "label", sp.label);
    s.pages.push_back(std::move(sp));
  }
  val ol = o["outline"];
  if (!ol.isUndefined() && !ol.isNull()) {
    unsigned k = ol["length"].as<unsigned>();
    for (unsigned i = 0; i < k; ++i)
      s.outline.push_back({ol[i]["title"].as<std::string>(), ol[i]["page"].as<int>(), ol[i]["level"].as<int>()});
  }
  return s;
}


// The webapp's import worker (webapp/src/import-worker.ts): structures a
// source off the page's thread; {json (the preview), parsed (bytes for
// client.planImport and client.importPack)} or {error}.
val parse_source(const val& src, const val& options) {
  auto progress = progress_of(options["onProgress"]);
  std::string title;
  get(options, "title", title);
  bool supplement = !options["supplement"].isUndefined() && options["supplement"].as<bool>();
  auto p = supplement ? pack::parse_supplement_source(source_of(src), title) : pack::parse_source(source_of(src), progress);
  if (!p) return err_val(p.err());
  val o = val::object();
  o.set("json", pack::preview_json(*p));
  o.set("parsed", to_u8(codec::encode_parsed(*p)));
  return o;
}
bool is_u8(const val& v) { return v.instanceof(val::global("Uint8Array")); }

class client {
 public:
  explicit client(std::unique_ptr<replica> r) : r_(std::move(r)), s_(*r_) {}

  // Sealed at rest once setPassphrase was called or the client was
  // opened with openSealedClient; plain bytes otherwise.
  val save() {
    auto b = r_->has_passphrase() ? r_->save_sealed() : r_->save();
    if (!b) return err_val(b.err());
    val o = val::object();
    o.set("bytes", to_u8(*b));
    return o;
  }
  val set_passphrase(const std::string& p) { return done(r_->set_passphrase(p)); }
  bool locked() { return r_->locked(); }
  // Locks the replica once its offline lease has run out; {locked} or an error.
  val lock_if_expired(double now_ms) {
    auto l = r_->lock_if_expired(ms(now_ms));
    if (!l) return err_val(l.err());
    val o = val::object();
    o.set("locked", *l);
    return o;
  }
  bool waiting_for_key() { return r_->waiting_for_key(); }
  val redeem_invite(const std::string& code, double now_ms) { return done(r_->redeem_invite(code, ms(now_ms))); }
  bool secured() const { return r_->secured(); }
  bool is_admin() const { return r_->is_admin(); }
  std::string my_member() const { return to_hex(r_->my_member()); }
  val found_panel(const std::string& name, const std::string& role, double now) {
    return id_val(wf::found_panel(*r_, name, role, ms(now)));
  }
  val invite_member(const std::string& name, const std::string& role, double now, double ttl_ms) {
    auto r = wf::invite_member(*r_, name, role, ms(now), ms(ttl_ms));
    if (!r) return err_val(r.err());
    val o = val::object();
    o.set("member", r->member);
    o.set("code", r->code);
    return o;
  }
  std::string device_id() const { return to_hex(r_->device_id()); }
  // The clerk's tablets desk (tablets.hpp), on the admin device only.
  val tablets(double now) {
    auto r = packline::tablets::list(*r_, ms(now));
    if (!r) return err_val(r.err());
    val members = val::array();
    for (auto& m : r->members) {
      val o = val::object();
      o.set("id", m.id); o.set("name", m.name); o.set("role", m.role); o.set("removed", m.removed);
      val ts = val::array();
      for (auto& t : m.tablets) {
        val x = val::object();
        x.set("device", t.device); x.set("status", t.status); x.set("joinedAt", static_cast<double>(t.joined_ms));
        x.set("lastChangeAt", static_cast<double>(t.last_change_ms)); x.set("thisTablet", t.this_tablet);
        ts.call<void>("push", x);
      }
      o.set("tablets", ts);
      members.call<void>("push", o);
    }
    val invites = val::array();
    for (auto& i : r->invites) {
      val x = val::object();
      x.set("id", i.id); x.set("member", i.member); x.set("name", i.name); x.set("role", i.role);
      x.set("expiresAt", static_cast<double>(i.expires_ms)); x.set("status", i.status); x.set("device", i.device);
      x.set("usedAt", static_cast<double>(i.used_ms));
      invites.call<void>("push", x);
    }
    val o = val::object();
    o.set("members", members);
    o.set("invites", invites);
    return o;
  }
  val revoke_tablet(const std::string& device, double now) { return done(packline::tablets::revoke(*r_, device, ms(now))); }
  val remove_member(const std::string& member, double now) {
    return done(packline::tablets::remove_member(*r_, member, ms(now)));
  }

  // ---- members and meetings ----
  val members() {
    return list_val(wf::members(*r_), [](val& o, const wf::member& m) {
      o.set("id", m.id); o.set("name", m.name); o.set("role", m.role);
    });
  }
  val meetings() { return list_val(wf::meetings(*r_), fill_meeting); }
  val meeting_by_id(const std::string& id) {
    auto m = wf::meeting_by_id(*r_, id);
    if (!m) return err_val(m.err());
    val o = val::object();
    fill_meeting(o, *m);
    return o;
  }
  val items(const std::string& meeting, bool include_removed) {
    return list_val(wf::items(*r_, meeting, include_removed), [](val& o, const wf::agenda_item& i) {
      o.set("id", i.id); o.set("meeting", i.meeting); o.set("number", i.number); o.set("title", i.title);
      o.set("pages", i.pages); o.set("description", i.description); o.set("exempt", i.exempt);
      o.set("firstPage", num(i.first_page)); o.set("lastPage", num(i.last_page));
      o.set("document", i.document); o.set("removed", i.removed); o.set("placed", i.placed);
    });
  }
  // The clerk's corrections to an agenda.
  val add_item(const std::string& meeting, const std::string& number, const std::string& title, const std::string& after,
               double now) {
    return id_val(wf::add_item(*r_, meeting, number, title, after, ms(now)));
  }
  val rename_item(const std::string& id, const std::string& number, const std::string& title, double now) {
    return done(wf::rename_item(*r_, id, number, title, ms(now)));
  }
  val move_item(const std::string& id, const std::string& after, double now) { return done(wf::move_item(*r_, id, after, ms(now))); }
  val set_item_pages(const std::string& id, double first, double last, double now) {
    return done(wf::set_item_pages(*r_, id, static_cast<std::int64_t>(first), static_cast<std::int64_t>(last), ms(now)));
  }
  val set_item_exempt(const std::string& id, bool exempt, double now) { return done(wf::set_item_exempt(*r_, id, exempt, ms(now))); }
  std::string signed_in_member() { return wf::signed_in_member(*r_); }
  std::string my_role() { return wf::my_role(*r_); }
  val sign_in(const std::string& member) { return done(wf::sign_in(*r_, member)); }
  val add_member(const std::string& name, const std::string& role, double now) {
    return id_val(wf::add_member(*r_, name, role, ms(now)));
  }

  // ---- packs ----
  // The preview: what was read (JSON, with evidence and confidence) and what
  // it would do to the panel's members and priorities (for the clerk to confirm).
  val preview(const result<pack::parsed>& p) {
    if (!p) return err_val(p.err());
    val o = val::object();
    o.set("json", pack::preview_json(*p));
    auto plan = wf::plan_import(*r_, *p);
    if (plan) o.set("plan", plan_val(*plan));
    return o;
  }
  // What importing a structured pack (parseSource's bytes) would do to the panel.
  val plan_import(const val& parsed) {
    auto p = codec::decode_parsed(to_bytes(parsed));
    if (!p) return err_val(p.err());
    auto plan = wf::plan_import(*r_, *p);
    if (!plan) return err_val(plan.err());
    val o = val::object();
    o.set("plan", plan_val(*plan));
    return o;
  }
  val preview_pages(const val& pages) { return preview(pack::parse_pages(strings_of(pages))); }
  val preview_text(const std::string& text) { return preview(pack::parse_text(text)); }
  val preview_supplement(const std::string& text) { return preview(pack::parse_supplement(text)); }
  val preview_source(const val& src, const val& options) {
    auto progress = progress_of(options["onProgress"]);
    if (!options["supplement"].isUndefined() && options["supplement"].as<bool>())
      return preview(pack::parse_supplement_source(source_of(src)));
    return preview(pack::parse_source(source_of(src), progress));
  }
  // Parses (pages: string[] one per PDF page, or text: string) and imports.
  val import_pack(const val& input, const val& options, double now) {
    auto progress = progress_of(options["onProgress"]);
    result<pack::parsed> p = make_error(errc::invalid_argument, "no pack text was given");
    std::string title;
    get(options, "title", title);
    bool supplement = !options["supplement"].isUndefined() && options["supplement"].as<bool>();
    bool structured = !input.isString() && !input.isArray() && input.typeOf().as<std::string>() == "object";
    if (structured && is_u8(input)) p = codec::decode_parsed(to_bytes(input));
    else if (supplement && structured) p = pack::parse_supplement_source(source_of(input), title);
    else if (supplement) p = pack::parse_supplement(input.as<std::string>(), title);
    else if (structured) p = pack::parse_source(source_of(input), progress);
    else if (input.isArray()) p = pack::parse_pages(strings_of(input), progress);
    else if (input.isString()) p = pack::parse_text(input.as<std::string>(), progress);
    if (!p) return err_val(p.err());
    wf::import_options o;
    get(options, "meeting", o.meeting_id); get(options, "source", o.source);
    o.title = title;
    o.progress = progress;
    o.add_members = !options["addMembers"].isUndefined() && options["addMembers"].as<bool>();
    o.add_priorities = !options["addPriorities"].isUndefined() && options["addPriorities"].as<bool>();
    o.reapply_corrections = !options["reapplyCorrections"].isUndefined() && options["reapplyCorrections"].as<bool>();
    return import_report_val(wf::import_pack(*r_, *p, o, ms(now)));
  }
  val packs(const std::string& meeting) {
    return list_val(wf::packs(*r_, meeting), [](val& o, const wf::pack_version& p) {
      o.set("id", p.id); o.set("meeting", p.meeting); o.set("title", p.title); o.set("source", p.source);
      o.set("kind", p.kind); o.set("fingerprint", p.fingerprint); o.set("version", num(p.version));
      o.set("pages", num(p.pages)); o.set("blocks", num(p.blocks)); o.set("createdAt", num(p.created_at));
    });
  }
  val blocks(const std::string& item) {
    return list_val(wf::blocks(*r_, item), [](val& o, const wf::block_view& b) {
      o.set("id", b.id); o.set("item", b.item); o.set("kind", b.kind); o.set("text", b.text); o.set("hash", b.hash);
      o.set("page", num(b.page)); o.set("position", num(b.position));
    });
  }
  val pack_changes(const std::string& from, const std::string& to) {
    return list_val(wf::pack_changes(*r_, from, to), fill_block_change);
  }
  val mark_read(const std::string& pack, double now) { return done(wf::mark_read(*r_, pack, ms(now))); }
  val changed_since_read(const std::string& meeting) {
    auto r = wf::changed_since_read(*r_, meeting);
    if (!r) return err_val(r.err());
    val o = val::object();
    o.set("meeting", r->meeting); o.set("readPack", r->read_pack); o.set("currentPack", r->current_pack);
    o.set("readVersion", num(r->read_version)); o.set("currentVersion", num(r->current_version));
    val changed = val::array();
    for (auto& c : r->changed) { val x = val::object(); fill_block_change(x, c); changed.call<void>("push", x); }
    o.set("changed", changed);
    return o;
  }

  // ---- annotations ----
  val annotate(const val& a, double now) {
    wf::annotation_draft d;
    get(a, "block", d.block); get(a, "start", d.start); get(a, "end", d.end); get(a, "kind", d.kind);
    get(a, "body", d.body); get(a, "visibility", d.visibility); get(a, "priority", d.priority);
    return id_val(wf::annotate(*r_, d, ms(now)));
  }
  val annotations(const std::string& meeting) { return list_val(wf::annotations(*r_, meeting), fill_annotation); }
  val edit_annotation(const std::string& id, const std::string& body, const std::string& visibility,
                      const std::string& priority, double now) {
    return done(wf::edit_annotation(*r_, id, body, visibility, priority, ms(now)));
  }
  val delete_annotation(const std::string& id, double now) { return done(wf::delete_annotation(*r_, id, ms(now))); }
  val restore_annotation(const std::string& id, double now) { return done(wf::restore_annotation(*r_, id, ms(now))); }

  // ---- questions ----
  val questions(const std::string& meeting) { return list_val(wf::questions(*r_, meeting), fill_question); }
  val draft_question(const val& d, double now) { return id_val(wf::draft_question(*r_, question_draft_of(d), ms(now))); }
  val edit_question(const std::string& id, const val& d, double now) {
    return done(wf::edit_question(*r_, id, question_draft_of(d), ms(now)));
  }
  val submit_question(const std::string& id, double now) { return done(wf::submit_question(*r_, id, ms(now))); }
  val set_question_status(const std::string& id, const std::string& s, double now) {
    return done(wf::set_question_status(*r_, id, s, ms(now)));
  }
  val rules() {
    auto p = wf::rules_of(*r_);
    val o = val::object();
    o.set("questionsPerCouncillor", num(p.questions_per_councillor)); o.set("subpartsCount", p.subparts_count);
    o.set("publicMaxWords", num(p.public_max_words)); o.set("publicPerPerson", num(p.public_per_person));
    o.set("publicAcceptFirst", num(p.public_accept_first)); o.set("publicDeadlineRule", p.public_deadline_rule);
    return o;
  }
  val public_deadline(const std::string& meeting) {
    auto d = wf::public_deadline(*r_, meeting);
    if (!d) return err_val(d.err());
    val o = val::object();
    o.set("deadline", *d);
    return o;
  }
  val record_submission(const val& d, double now) {
    wf::submission_draft x;
    get(d, "meeting", x.meeting); get(d, "name", x.name); get(d, "kind", x.kind); get(d, "body", x.body);
    get(d, "receivedAt", x.received_at);
    auto r = wf::record_submission(*r_, x, ms(now));
    if (!r) return err_val(r.err());
    return submission_val(*r);
  }
  val submissions(const std::string& meeting) {
    auto r = wf::submissions(*r_, meeting);
    if (!r) return err_val(r.err());
    val arr = val::array();
    for (auto& s : *r) arr.call<void>("push", submission_val(s));
    return arr;
  }

  // ---- priorities and KLOEs ----
  val priorities() {
    return list_val(wf::priorities(*r_), [](val& o, const wf::priority& p) {
      o.set("id", p.id); o.set("title", p.title); o.set("plan", p.plan); o.set("number", num(p.number));
      o.set("leads", strings_val(p.leads)); o.set("sharesNotes", p.shares_notes);
    });
  }
  val add_priority(double number, const std::string& title, double now) {
    return id_val(wf::add_priority(*r_, static_cast<std::int64_t>(number), title, ms(now)));
  }
  val set_priority_leads(const std::string& id, const val& leads, double now) {
    return done(wf::set_priority_leads(*r_, id, strings_of(leads), ms(now)));
  }
  val kloes(const std::string& priority) {
    return list_val(wf::kloes(*r_, priority), [](val& o, const wf::kloe& k) {
      o.set("id", k.id); o.set("priority", k.priority); o.set("topic", k.topic); o.set("owner", k.owner);
      o.set("bullets", k.bullets); o.set("targetMeeting", k.target_meeting); o.set("approach", k.approach);
      o.set("status", k.status);
    });
  }
  val draft_kloe(const val& k, double now) { return id_val(wf::draft_kloe(*r_, kloe_of(k), ms(now))); }
  val edit_kloe(const val& k, double now) { return done(wf::edit_kloe(*r_, kloe_of(k), ms(now))); }
  val forward_plan() {
    return list_val(wf::forward_plan(*r_), [](val& o, const wf::forward_item& f) {
      o.set("id", f.id); o.set("meetingLabel", f.meeting_label); o.set("meetingDate", f.meeting_date);
      o.set("title", f.title); o.set("notes", f.notes); o.set("raisedBy", f.raised_by); o.set("lead", f.lead);
      o.set("kloes", f.kloes); o.set("approach", f.approach); o.set("position", num(f.position));
    });
  }
  // Empty fields are left as they are (workflow::edit_forward_item).
  val edit_forward_item(const val& f, double now) {
    wf::forward_item x;
    get(f, "id", x.id); get(f, "notes", x.notes); get(f, "lead", x.lead); get(f, "kloes", x.kloes);
    get(f, "approach", x.approach);
    return done(wf::edit_forward_item(*r_, x, ms(now)));
  }
  // Fields of a row with concurrent writes: [{field, winner, others: []}].
  val conflicts(const std::string& table, const std::string& row_hex) {
    bytes row = from_hex(row_hex);
    auto r = r_->conflicts(table, row);
    if (!r) return err_val(r.err());
    val arr = val::array();
    for (auto& c : *r) {
      val o = val::object();
      o.set("row", to_hex(c.row)); o.set("field", c.field); o.set("winner", value_val(c.winner));
      val others = val::array();
      for (auto& v : c.others) others.call<void>("push", value_val(v));
      o.set("others", others);
      arr.call<void>("push", o);
    }
    return arr;
  }

  // ---- consolidation ----
  val consolidate(const val& c, double now) { return id_val(wf::consolidate(*r_, consolidated_of(c), ms(now))); }
  val edit_consolidated(const std::string& id, const val& c, double now) {
    return done(wf::edit_consolidated(*r_, id, consolidated_of(c), ms(now)));
  }
  val split_consolidated(const std::string& id, const val& bodies, double now) {
    auto r = wf::split_consolidated(*r_, id, strings_of(bodies), ms(now));
    if (!r) return err_val(r.err());
    val o = val::object();
    o.set("ids", strings_val(*r));
    return o;
  }
  val move_consolidated(const std::string& id, const std::string& after, const std::string& before, double now) {
    return done(wf::move_consolidated(*r_, id, after, before, ms(now)));
  }
  val remove_consolidated(const std::string& id, double now) { return done(wf::remove_consolidated(*r_, id, ms(now))); }
  val unmerge(const std::string& id, bool to_group, double now) { return done(wf::unmerge(*r_, id, to_group, ms(now))); }
  val consolidated_list(const std::string& meeting) { return list_val(wf::consolidated_list(*r_, meeting), fill_consolidated); }
  val group_drafts(const std::string& meeting, const val& ids, double now) {
    return id_val(wf::group_drafts(*r_, meeting, strings_of(ids), ms(now)));
  }
  val merge_group(const std::string& id, const val& c, double now) {
    return done(wf::merge_group(*r_, id, consolidated_of(c), ms(now)));
  }
  val groups(const std::string& meeting) { return list_val(wf::groups(*r_, meeting), fill_consolidated); }
  val export_list(const std::string& meeting, const std::string& format) {
    auto r = format == "html" ? exporter::html(*r_, meeting) : exporter::markdown(*r_, meeting);
    if (!r) return err_val(r.err());
    val o = val::object();
    o.set("text", *r);
    return o;
  }

  // ---- after the meeting ----
  val record_response(const std::string& cq, const std::string& text, const std::string& time, bool written, double now) {
    return id_val(wf::record_response(*r_, cq, text, time, written, ms(now)));
  }
  val responses(const std::string& meeting) {
    return list_val(wf::responses(*r_, meeting), [](val& o, const wf::response& x) {
      o.set("id", x.id); o.set("meeting", x.meeting); o.set("consolidated", x.consolidated); o.set("text", x.text);
      o.set("recordingTime", x.recording_time); o.set("written", x.written);
    });
  }
  val add_action(const val& a, double now) {
    wf::action x;
    get(a, "meeting", x.meeting); get(a, "consolidated", x.consolidated); get(a, "text", x.text);
    get(a, "owner", x.owner); get(a, "due", x.due); get(a, "status", x.status);
    return id_val(wf::add_action(*r_, x, ms(now)));
  }
  val set_action_status(const std::string& id, const std::string& s, double now) {
    return done(wf::set_action_status(*r_, id, s, ms(now)));
  }
  val actions(const std::string& meeting) {
    return list_val(wf::actions(*r_, meeting), [](val& o, const wf::action& x) {
      o.set("id", x.id); o.set("meeting", x.meeting); o.set("consolidated", x.consolidated); o.set("text", x.text);
      o.set("owner", x.owner); o.set("due", x.due); o.set("status", x.status); o.set("carried", x.carried);
    });
  }

  // ---- sync ----
  double pending_count() { return static_cast<double>(r_->pending_count()); }
  std::string sync_state() const { return to_string(s_.state()); }
  val snapshot_progress() const {
    auto p = s_.snapshot_progress();
    if (!p) return val::null();
    val o = val::object();
    o.set("received", static_cast<double>(p->received));
    o.set("total", static_cast<double>(p->total));
    return o;
  }
  val on_open() { return frames_val(s_.on_open()); }
  val on_frame(const val& frame, double now_ms) {
    auto r = s_.on_frame(to_bytes(frame), ms(now_ms));
    val o = r ? val::object() : err_val(r.err());
    o.set("frames", r ? frames_val(*r) : val::array());
    o.set("changed", s_.take_dirty());
    val rej = val::array();
    for (auto& s : s_.take_rejections()) rej.call<void>("push", s);
    o.set("rejected", rej);
    if (auto off = s_.take_clock_offset()) o.set("clockOffset", static_cast<double>(*off));
    return o;
  }
  val refused_changes() {
    return list_val(r_->refused_changes(), [](val& o, const replica::refused_change& c) {
      o.set("serverSeq", static_cast<double>(c.server_seq)); o.set("device", to_hex(c.actor));
      o.set("seq", static_cast<double>(c.seq)); o.set("reason", c.reason); o.set("final", c.final);
    });
  }
  void on_close() { s_.on_close(); }
  val flush() { return frames_val(s_.flush()); }

 private:
  std::unique_ptr<replica> r_;
  sync_session s_;
};

val wrap(result<std::unique_ptr<replica>> r) {
  if (!r) return err_val(r.err());
  val o = val::object();
  o.set("client", val(std::make_shared<client>(std::move(*r))));
  return o;
}

val create_client() {
  auto init = crypto::init();
  if (!init) return err_val(init.err());
  return wrap(replica::create(crypto::random_bytes(32)));
}

val open_client(const val& image) { return wrap(replica::open(to_bytes(image))); }
// A sealed replica (errors: 15 wrong passphrase, 13 damaged; a client past
// its offline lease opens locked, holding no panel content: save it, which
// drops the cached lease secret on disk, then sync).
val open_sealed_client(const val& sealed, const std::string& passphrase, double now_ms) {
  return wrap(replica::open_sealed(to_bytes(sealed), passphrase, ms(now_ms)));
}
bool is_sealed(const val& b) { return at_rest::is_sealed(to_bytes(b)); }

}  // namespace

EMSCRIPTEN_BINDINGS(packline) {
  emscripten::class_<client>("Client")
      .smart_ptr<std::shared_ptr<client>>("ClientPtr")
      .function("save", &client::save)
      .function("setPassphrase", &client::set_passphrase)
      .function("locked", &client::locked)
      .function("lockIfExpired", &client::lock_if_expired)
      .function("waitingForKey", &client::waiting_for_key)
      .function("redeemInvite", &client::redeem_invite)
      .function("secured", &client::secured)
      .function("isAdmin", &client::is_admin)
      .function("myMember", &client::my_member)
      .function("foundPanel", &client::found_panel)
      .function("inviteMember", &client::invite_member)
      .function("deviceId", &client::device_id)
      .function("tablets", &client::tablets)
      .function("revokeTablet", &client::revoke_tablet)
      .function("removeMember", &client::remove_member)
      .function("members", &client::members)
      .function("meetings", &client::meetings)
      .function("meetingById", &client::meeting_by_id)
      .function("items", &client::items)
      .function("signedInMember", &client::signed_in_member)
      .function("myRole", &client::my_role)
      .function("signIn", &client::sign_in)
      .function("addItem", &client::add_item)
      .function("renameItem", &client::rename_item)
      .function("moveItem", &client::move_item)
      .function("setItemPages", &client::set_item_pages)
      .function("setItemExempt", &client::set_item_exempt)
      .function("addMember", &client::add_member)
      .function("planImport", &client::plan_import)
      .function("previewPages", &client::preview_pages)
      .function("previewText", &client::preview_text)
      .function("previewSource", &client::preview_source)
      .function("previewSupplement", &client::preview_supplement)
      .function("importPack", &client::import_pack)
      .function("packs", &client::packs)
      .function("blocks", &client::blocks)
      .function("packChanges", &client::pack_changes)
      .function("markRead", &client::mark_read)
      .function("changedSinceRead", &client::changed_since_read)
      .function("annotate", &client::annotate)
      .function("annotations", &client::annotations)
      .function("editAnnotation", &client::edit_annotation)
      .function("deleteAnnotation", &client::delete_annotation)
      .function("restoreAnnotation", &client::restore_annotation)
      .function("questions", &client::questions)
      .function("draftQuestion", &client::draft_question)
      .function("editQuestion", &client::edit_question)
      .function("submitQuestion", &client::submit_question)
      .function("setQuestionStatus", &client::set_question_status)
      .function("rules", &client::rules)
      .function("publicDeadline", &client::public_deadline)
      .function("recordSubmission", &client::record_submission)
      .function("submissions", &client::submissions)
      .function("priorities", &client::priorities)
      .function("addPriority", &client::add_priority)
      .function("setPriorityLeads", &client::set_priority_leads)
      .function("kloes", &client::kloes)
      .function("draftKloe", &client::draft_kloe)
      .function("editKloe", &client::edit_kloe)
      .function("forwardPlan", &client::forward_plan)
      .function("editForwardItem", &client::edit_forward_item)
      .function("conflicts", &client::conflicts)
      .function("consolidate", &client::consolidate)
      .function("editConsolidated", &client::edit_consolidated)
      .function("splitConsolidated", &client::split_consolidated)
      .function("moveConsolidated", &client::move_consolidated)
      .function("removeConsolidated", &client::remove_consolidated)
      .function("unmerge", &client::unmerge)
      .function("consolidatedList", &client::consolidated_list)
      .function("groupDrafts", &client::group_drafts)
      .function("mergeGroup", &client::merge_group)
      .function("groups", &client::groups)
      .function("exportList", &client::export_list)
      .function("recordResponse", &client::record_response)
      .function("responses", &client::responses)
      .function("addAction", &client::add_action)
      .function("setActionStatus", &client::set_action_status)
      .function("actions", &client::actions)
      .function("pendingCount", &client::pending_count)
      .function("syncState", &client::sync_state)
      .function("snapshotProgress", &client::snapshot_progress)
      .function("refusedChanges", &client::refused_changes)
      .function("onOpen", &client::on_open)
      .function("onFrame", &client::on_frame)
      .function("onClose", &client::on_close)
      .function("flush", &client::flush);
  emscripten::function("createClient", &create_client);
  emscripten::function("openClient", &open_client);
  emscripten::function("openSealedClient", &open_sealed_client);
  emscripten::function("isSealed", &is_sealed);
  emscripten::function("parseSource", &parse_source);
}
