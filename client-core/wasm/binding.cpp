// Embind binding of client-core for the webapp (API.md): bytes and plain
// values in and out, errors as {error: {code, message}}. No logic here beyond
// converting types; everything else lives in the core.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include "packline/crypto.hpp"
#include "packline/sync.hpp"
#include "packline/workflow.hpp"

using emscripten::val;
using namespace packline;

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

class client {
 public:
  explicit client(std::unique_ptr<replica> r) : r_(std::move(r)), s_(*r_) {}

  val save() {
    auto b = r_->save();
    if (!b) return err_val(b.err());
    val o = val::object();
    o.set("bytes", to_u8(*b));
    return o;
  }
  std::string device_id() const { return to_hex(r_->device_id()); }

  val members() {
    return list_val(workflow::members(*r_), [](val& o, const workflow::member& m) {
      o.set("id", m.id); o.set("name", m.name); o.set("role", m.role);
    });
  }
  val meetings() {
    return list_val(workflow::meetings(*r_), [](val& o, const workflow::meeting& m) {
      o.set("id", m.id); o.set("title", m.title); o.set("date", m.date); o.set("time", m.time);
      o.set("venue", m.venue); o.set("kind", m.kind); o.set("status", m.status);
    });
  }
  val items(const std::string& meeting) {
    return list_val(workflow::items(*r_, meeting), [](val& o, const workflow::agenda_item& i) {
      o.set("id", i.id); o.set("meeting", i.meeting); o.set("number", i.number); o.set("title", i.title);
      o.set("pages", i.pages); o.set("description", i.description); o.set("exempt", i.exempt);
    });
  }
  val questions(const std::string& meeting) {
    return list_val(workflow::questions(*r_, meeting), [](val& o, const workflow::question& q) {
      o.set("id", q.id); o.set("meeting", q.meeting); o.set("item", q.item); o.set("author", q.author);
      o.set("target", q.target); o.set("section", q.section); o.set("body", q.body); o.set("status", q.status);
      o.set("createdAt", static_cast<double>(q.created_at));
    });
  }
  std::string signed_in_member() { return workflow::signed_in_member(*r_); }
  val sign_in(const std::string& member) {
    auto r = workflow::sign_in(*r_, member);
    return r ? val::object() : err_val(r.err());
  }
  val draft_question(const std::string& item, const std::string& body, double now_ms) {
    auto r = workflow::draft_question(*r_, item, body, static_cast<std::uint64_t>(now_ms));
    if (!r) return err_val(r.err());
    val o = val::object();
    o.set("id", *r);
    return o;
  }
  double pending_count() { return static_cast<double>(r_->pending_count()); }
  std::string sync_state() const { return to_string(s_.state()); }
  val on_open() { return frames_val(s_.on_open()); }
  val on_frame(const val& frame, double now_ms) {
    auto r = s_.on_frame(to_bytes(frame), static_cast<std::uint64_t>(now_ms));
    val o = r ? val::object() : err_val(r.err());
    o.set("frames", r ? frames_val(*r) : val::array());
    o.set("changed", s_.take_dirty());
    val rej = val::array();
    for (auto& s : s_.take_rejections()) rej.call<void>("push", s);
    o.set("rejected", rej);
    return o;
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

}  // namespace

EMSCRIPTEN_BINDINGS(packline) {
  emscripten::class_<client>("Client")
      .smart_ptr<std::shared_ptr<client>>("ClientPtr")
      .function("save", &client::save)
      .function("deviceId", &client::device_id)
      .function("members", &client::members)
      .function("meetings", &client::meetings)
      .function("items", &client::items)
      .function("questions", &client::questions)
      .function("signedInMember", &client::signed_in_member)
      .function("signIn", &client::sign_in)
      .function("draftQuestion", &client::draft_question)
      .function("pendingCount", &client::pending_count)
      .function("syncState", &client::sync_state)
      .function("onOpen", &client::on_open)
      .function("onFrame", &client::on_frame)
      .function("onClose", &client::on_close)
      .function("flush", &client::flush);
  emscripten::function("createClient", &create_client);
  emscripten::function("openClient", &open_client);
}
