// Embind binding of the text CRDT (TextDoc): used by the crdt benchmark under
// Node and available to the webapp's editor. Edits come back as encoded change
// bodies (the codec's wire form), so JS never sees CRDT internals.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include "packline/wire/codec.hpp"
#include "packline/crdt/text.hpp"

using emscripten::val;
using namespace packline;

namespace {

val u8(const bytes& b) {
  val out = val::global("Uint8Array").new_(b.size());
  out.call<void>("set", val(emscripten::typed_memory_view(b.size(), b.data())));
  return out;
}

class text_handle {
 public:
  explicit text_handle(const std::string& actor_hex) : actor_(from_hex(actor_hex)) {}
  val insert(double pos, const std::string& s) { return wrap(doc_.insert(actor_, counter_, static_cast<std::size_t>(pos), s)); }
  val remove(double pos, double len) { return wrap(doc_.remove(static_cast<std::size_t>(pos), static_cast<std::size_t>(len))); }
  // Applies the text edits of an encoded change body from `actor_hex`.
  bool apply_encoded(const val& body, const std::string& actor_hex) {
    auto dec = codec::decode_body(emscripten::convertJSArrayToNumberVector<std::uint8_t>(body), from_hex(actor_hex));
    if (!dec) return false;
    for (auto& o : dec->ops)
      if (!doc_.apply(o.text)) return false;
    return true;
  }
  std::string text() const { return doc_.text(); }
  double size() const { return static_cast<double>(doc_.size()); }
  val encode() const { return u8(doc_.encode()); }
  bool load(const val& encoded) {
    auto d = text_doc::decode(emscripten::convertJSArrayToNumberVector<std::uint8_t>(encoded));
    if (!d) return false;
    doc_ = std::move(*d);
    return true;
  }

 private:
  val wrap(std::vector<text_op> ops) {
    change_body body;
    for (auto& t : ops)
      body.ops.push_back(op{t.k == text_op::kind::insert ? op_kind::text_insert : op_kind::text_remove, "t", bytes(16, 0), "body", {}, std::move(t)});
    return u8(codec::encode_body(body, actor_));
  }
  bytes actor_;
  std::uint64_t counter_ = 1;
  text_doc doc_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(packline_text) {
  emscripten::class_<text_handle>("TextDoc")
      .constructor<std::string>()
      .function("insert", &text_handle::insert)
      .function("remove", &text_handle::remove)
      .function("applyEncoded", &text_handle::apply_encoded)
      .function("text", &text_handle::text)
      .function("size", &text_handle::size)
      .function("encode", &text_handle::encode)
      .function("load", &text_handle::load);
}
