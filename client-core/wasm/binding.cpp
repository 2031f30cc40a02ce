// Embind binding of client-core for the webapp (API.md): bytes and plain
// values in and out, errors as {error: {code, message}}. No logic here beyond
// converting types (JS objects <-> core structs); everything else lives in the core.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include "packline/crypto/at_rest.hpp"
#include "packline/wire/codec.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/panel/export.hpp"
#include "packline/panel/records.hpp"
#include "packline/panel/pack_import.hpp"
#include "packline/sync/sync.hpp"
#include "packline/panel/tablets.hpp"
#include "packline/panel/workflow.hpp"

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

std::uint64_t ms(double now_ms) { return static_cast<std::uint64_t>(now_ms); }
double num(std::int64_t v) { return static_cast<double>(v); }

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

val value_val(const value& v) {
  if (std::holds_alternative<std::string>(v)) return val(std::get<std::string>(v));
  if (std::holds_alternative<std::int64_t>(v)) return val(num(std::get<std::int64_t>(v)));
  if (std::holds_alternative<double>(v)) return val(std::get<double>(v));
  if (std::holds_alternative<bool>(v)) return val(std::get<bool>(v));
  if (std::holds_alternative<bytes>(v)) return val(to_hex(std::get<bytes>(v)));
  return val::null();
}

// A record (records.hpp) or a field of one as a JS value: numbers as doubles,
// bytes as hex, an enum by its name, records as objects with their JS names.
template <class M>
val js_of(const M& x) {
  if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, bool>) return val(x);
  else if constexpr (std::is_same_v<M, bytes>) return val(to_hex(x));
  else if constexpr (std::is_same_v<M, value>) return value_val(x);
  else if constexpr (std::is_enum_v<M>) return val(std::string(wf::to_string(x)));
  else if constexpr (std::is_arithmetic_v<M>) return val(static_cast<double>(x));
  else if constexpr (is_vector<M>::value) {
    val arr = val::array();
    for (auto& e : x) arr.call<void>("push", js_of(e));
    return arr;
  } else {
    val o = val::object();
    records::each_field<M>([&](const auto& f) { o.set(f.js, js_of(x.*(f.member))); });
    return o;
  }
}
template <class T>
val js_of(const result<T>& r) {
  return r ? js_of(*r) : err_val(r.err());
}

// An optional field of a JS object (an input record's, an options object's):
// missing or null keeps the struct's default (the core's).
template <class M>
void get(const val& o, const char* k, M& out) {
  val v = o[k];
  if (v.isUndefined() || v.isNull()) return;
  if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, bool>) out = v.as<M>();
  else if constexpr (std::is_same_v<M, std::vector<std::string>>) out = strings_of(v);
  else if constexpr (std::is_arithmetic_v<M>) out = static_cast<M>(v.as<double>());
  else static_assert(sizeof(M) == 0, "no conversion from JS for this input field");
}
template <class T>
T record_of(const val& o) {
  T x;
  records::each_field<T>([&](const auto& f) { get(o, f.js, x.*(f.member)); });
  return x;
}

val done(const result<void>& r) { return r ? val::object() : err_val(r.err()); }
val id_val(const result<std::string>& r) {
  if (!r) return err_val(r.err());
  val o = val::object();
  o.set("id", *r);
  return o;
}

// A JS progress callback (stage, done, total), or none.
pack::progress_fn progress_of(const val& f) {
  if (f.isUndefined() || f.isNull()) return {};
  return [f](std::string_view stage, std::size_t d, std::size_t t) {
    f(std::string(stage), static_cast<double>(d), static_cast<double>(t));
  };
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
  bool supplement = false;
  get(options, "supplement", supplement);
  auto p = supplement ? pack::parse_supplement_source(source_of(src), title) : pack::parse_source(source_of(src), progress);
  if (!p) return err_val(p.err());
  val o = val::object();
  o.set("json", pack::preview_json(*p));
  o.set("parsed", to_u8(codec::encode_parsed(*p)));
  return o;
}
bool is_u8(const val& v) { return v.instanceof(val::global("Uint8Array")); }

// What client.importPack and publishPack import: a structured pack
// (parseSource's bytes), a source, pages or text, with the clerk's options.
result<wf::import_report> import_into(replica& r, const val& input, const val& options, double now) {
  auto progress = progress_of(options["onProgress"]);
  result<pack::parsed> p = make_error(errc::invalid_argument, "no pack text was given");
  std::string title;
  get(options, "title", title);
  bool supplement = false;
  get(options, "supplement", supplement);
  bool structured = !input.isString() && !input.isArray() && input.typeOf().as<std::string>() == "object";
  if (structured && is_u8(input)) p = codec::decode_parsed(to_bytes(input));
  else if (supplement && structured) p = pack::parse_supplement_source(source_of(input), title);
  else if (supplement) p = pack::parse_supplement(input.as<std::string>(), title);
  else if (structured) p = pack::parse_source(source_of(input), progress);
  else if (input.isArray()) p = pack::parse_pages(strings_of(input), progress);
  else if (input.isString()) p = pack::parse_text(input.as<std::string>(), progress);
  if (!p) return p.err();
  wf::import_options o;
  get(options, "meeting", o.meeting_id); get(options, "source", o.source);
  o.title = title;
  o.progress = progress;
  get(options, "addMembers", o.add_members);
  get(options, "addPriorities", o.add_priorities);
  get(options, "reapplyCorrections", o.reapply_corrections);
  return wf::import_pack(r, *p, o, ms(now));
}

// The webapp's publish worker: imports into a copy of the page's replica
// (client.plainImage), off the page's thread; {report, changes} — the
// changes the copy made, for the page's client.adoptOwn, in order — or {error}.
val publish_pack(const val& image, const val& input, const val& options, double now) {
  auto init = crypto::init();
  if (!init) return err_val(init.err());
  auto r = replica::open(to_bytes(image));
  if (!r) return err_val(r.err());
  std::uint64_t from = (*r)->next_seq();
  auto rep = import_into(**r, input, options, now);
  if (!rep) return err_val(rep.err());
  auto made = (*r)->own_changes_from(from);
  if (!made) return err_val(made.err());
  val o = val::object();
  o.set("report", js_of(*rep));
  o.set("changes", frames_val(*made));
  return o;
}

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
  // The replica as it is, never sealed: for the publish worker's copy (in
  // memory only; save() is what goes to disk).
  val plain_image() {
    auto b = r_->save();
    if (!b) return err_val(b.err());
    val o = val::object();
    o.set("bytes", to_u8(*b));
    return o;
  }
  val adopt_own(const val& envelope, double now) { return done(r_->adopt_own(to_bytes(envelope), ms(now))); }
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
    return js_of(wf::invite_member(*r_, name, role, ms(now), ms(ttl_ms)));
  }
  std::string device_id() const { return to_hex(r_->device_id()); }
  // The clerk's tablets desk (tablets.hpp), on the admin device only.
  val tablets(double now) { return js_of(packline::tablets::list(*r_, ms(now))); }
  val revoke_tablet(const std::string& device, double now) { return done(packline::tablets::revoke(*r_, device, ms(now))); }
  val remove_member(const std::string& member, double now) {
    return done(packline::tablets::remove_member(*r_, member, ms(now)));
  }

  // ---- members and meetings ----
  val members() { return js_of(wf::members(*r_)); }
  val meetings() { return js_of(wf::meetings(*r_)); }
  val meeting_by_id(const std::string& id) { return js_of(wf::meeting_by_id(*r_, id)); }
  val items(const std::string& meeting, bool include_removed) { return js_of(wf::items(*r_, meeting, include_removed)); }
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
    if (plan) o.set("plan", js_of(*plan));
    return o;
  }
  // What importing a structured pack (parseSource's bytes) would do to the panel.
  val plan_import(const val& parsed) {
    auto p = codec::decode_parsed(to_bytes(parsed));
    if (!p) return err_val(p.err());
    auto plan = wf::plan_import(*r_, *p);
    if (!plan) return err_val(plan.err());
    val o = val::object();
    o.set("plan", js_of(*plan));
    return o;
  }
  val preview_pages(const val& pages) { return preview(pack::parse_pages(strings_of(pages))); }
  val preview_text(const std::string& text) { return preview(pack::parse_text(text)); }
  val preview_supplement(const std::string& text) { return preview(pack::parse_supplement(text)); }
  val preview_source(const val& src, const val& options) {
    auto progress = progress_of(options["onProgress"]);
    bool supplement = false;
    get(options, "supplement", supplement);
    if (supplement)
      return preview(pack::parse_supplement_source(source_of(src)));
    return preview(pack::parse_source(source_of(src), progress));
  }
  // Parses (pages: string[] one per PDF page, or text: string) and imports.
  val import_pack(const val& input, const val& options, double now) { return js_of(import_into(*r_, input, options, now)); }
  val packs(const std::string& meeting) { return js_of(wf::packs(*r_, meeting)); }
  val blocks(const std::string& item) { return js_of(wf::blocks(*r_, item)); }
  val pack_changes(const std::string& from, const std::string& to) { return js_of(wf::pack_changes(*r_, from, to)); }
  val mark_read(const std::string& pack, double now) { return done(wf::mark_read(*r_, pack, ms(now))); }
  val changed_since_read(const std::string& meeting) { return js_of(wf::changed_since_read(*r_, meeting)); }

  // ---- annotations ----
  val annotate(const val& a, double now) { return id_val(wf::annotate(*r_, record_of<wf::annotation_draft>(a), ms(now))); }
  val annotations(const std::string& meeting) { return js_of(wf::annotations(*r_, meeting)); }
  val edit_annotation(const std::string& id, const std::string& body, const std::string& visibility,
                      const std::string& priority, double now) {
    return done(wf::edit_annotation(*r_, id, body, visibility, priority, ms(now)));
  }
  val delete_annotation(const std::string& id, double now) { return done(wf::delete_annotation(*r_, id, ms(now))); }
  val restore_annotation(const std::string& id, double now) { return done(wf::restore_annotation(*r_, id, ms(now))); }

  // ---- questions ----
  val questions(const std::string& meeting) { return js_of(wf::questions(*r_, meeting)); }
  val draft_question(const val& d, double now) { return id_val(wf::draft_question(*r_, record_of<wf::question_draft>(d), ms(now))); }
  val edit_question(const std::string& id, const val& d, double now) {
    return done(wf::edit_question(*r_, id, record_of<wf::question_draft>(d), ms(now)));
  }
  val submit_question(const std::string& id, double now) { return done(wf::submit_question(*r_, id, ms(now))); }
  val set_question_status(const std::string& id, const std::string& s, double now) {
    return done(wf::set_question_status(*r_, id, s, ms(now)));
  }
  val rules() { return js_of(wf::rules_of(*r_)); }
  val public_deadline(const std::string& meeting) {
    auto d = wf::public_deadline(*r_, meeting);
    if (!d) return err_val(d.err());
    val o = val::object();
    o.set("deadline", *d);
    return o;
  }
  val record_submission(const val& d, double now) {
    return js_of(wf::record_submission(*r_, record_of<wf::submission_draft>(d), ms(now)));
  }
  val submissions(const std::string& meeting) { return js_of(wf::submissions(*r_, meeting)); }

  // ---- priorities and KLOEs ----
  val priorities() { return js_of(wf::priorities(*r_)); }
  val add_priority(double number, const std::string& title, double now) {
    return id_val(wf::add_priority(*r_, static_cast<std::int64_t>(number), title, ms(now)));
  }
  val set_priority_leads(const std::string& id, const val& leads, double now) {
    return done(wf::set_priority_leads(*r_, id, strings_of(leads), ms(now)));
  }
  val kloes(const std::string& priority) { return js_of(wf::kloes(*r_, priority)); }
  val draft_kloe(const val& k, double now) { return id_val(wf::draft_kloe(*r_, record_of<wf::kloe>(k), ms(now))); }
  val edit_kloe(const val& k, double now) { return done(wf::edit_kloe(*r_, record_of<wf::kloe>(k), ms(now))); }
  val forward_plan() { return js_of(wf::forward_plan(*r_)); }
  // Empty fields are left as they are (workflow::edit_forward_item).
  val edit_forward_item(const val& f, double now) {
    return done(wf::edit_forward_item(*r_, record_of<wf::forward_item>(f), ms(now)));
  }
  // Fields of a row with concurrent writes: [{field, winner, others: []}].
  val conflicts(const std::string& table, const std::string& row_hex) { return js_of(r_->conflicts(table, from_hex(row_hex))); }

  // ---- consolidation ----
  val consolidate(const val& c, double now) { return id_val(wf::consolidate(*r_, record_of<wf::consolidated_draft>(c), ms(now))); }
  val edit_consolidated(const std::string& id, const val& c, double now) {
    return done(wf::edit_consolidated(*r_, id, record_of<wf::consolidated_draft>(c), ms(now)));
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
  val consolidated_list(const std::string& meeting) { return js_of(wf::consolidated_list(*r_, meeting)); }
  val group_drafts(const std::string& meeting, const val& ids, double now) {
    return id_val(wf::group_drafts(*r_, meeting, strings_of(ids), ms(now)));
  }
  val merge_group(const std::string& id, const val& c, double now) {
    return done(wf::merge_group(*r_, id, record_of<wf::consolidated_draft>(c), ms(now)));
  }
  val groups(const std::string& meeting) { return js_of(wf::groups(*r_, meeting)); }
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
  val responses(const std::string& meeting) { return js_of(wf::responses(*r_, meeting)); }
  val add_action(const val& a, double now) { return id_val(wf::add_action(*r_, record_of<wf::action>(a), ms(now))); }
  val set_action_status(const std::string& id, const std::string& s, double now) {
    return done(wf::set_action_status(*r_, id, s, ms(now)));
  }
  val actions(const std::string& meeting) { return js_of(wf::actions(*r_, meeting)); }

  // ---- sync ----
  double pending_count() { return static_cast<double>(r_->pending_count()); }
  std::string sync_state() const { return to_string(s_.state()); }
  val snapshot_progress() const {
    auto p = s_.snapshot_progress();
    return p ? js_of(*p) : val::null();
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
  val refused_changes() { return js_of(r_->refused_changes()); }
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
      .function("plainImage", &client::plain_image)
      .function("adoptOwn", &client::adopt_own)
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
  emscripten::function("publishPack", &publish_pack);
}
