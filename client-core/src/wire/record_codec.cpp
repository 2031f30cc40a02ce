// The codec, part three: what is stored or handed over rather than sent as a
// frame: replica snapshots and the server's snapshot blobs, keyring records,
// and a structured pack crossing from the import worker.
#include "packline/wire/codec.hpp"

#include "wire/msgpack_tree.hpp"

namespace packline::codec {
using namespace detail;


// Snapshot: [1, space, cursor, covered, heads, regs, texts]
//   covered/heads = [[actor, seq], ...]
//   regs = [[table, row, field, actor, wall, counter, value], ...]
//   texts = [[table, row, field, doc bin], ...]
bytes encode_snapshot(const replica_snapshot& s) {
  byte_sink sink;
  packer pk(sink);
  auto refs = [&](const std::vector<change_ref>& v) {
    pk.pack_array(static_cast<std::uint32_t>(v.size()));
    for (auto& r : v) { pk.pack_array(2); pack_bin(pk, r.actor); pk.pack_uint64(r.seq); }
  };
  pk.pack_array(7);
  pk.pack_uint8(1);
  pack_bin(pk, s.space);
  pk.pack_uint64(s.cursor);
  refs(s.covered);
  refs(s.heads);
  pk.pack_array(static_cast<std::uint32_t>(s.regs.size()));
  for (auto& r : s.regs) {
    pk.pack_array(7);
    pack_str(pk, r.table); pack_bin(pk, r.row); pack_str(pk, r.field); pack_writer(pk, r.write.writer);
    pk.pack_uint64(r.write.hlc.wall_ms); pk.pack_uint32(r.write.hlc.counter); pack_value(pk, r.val);
  }
  pk.pack_array(static_cast<std::uint32_t>(s.texts.size()));
  for (auto& t : s.texts) {
    pk.pack_array(4);
    pack_str(pk, t.table); pack_bin(pk, t.row); pack_str(pk, t.field); pack_bin(pk, t.doc);
  }
  return sink.take();
}

result<replica_snapshot> decode_snapshot(const bytes& b) {
  auto tree = parse_tree(b.data(), b.size(), limits::max_replica_snapshot_bytes, b.size());
  if (!tree) return tree.err();
  if (tree->kind != node::array) return shape("snapshot");
  reader r{*tree};
  replica_snapshot s;
  if (r.u64(255) != 1) return make_error(errc::unsupported_version, "unknown snapshot version");
  s.space = r.bin(16, true);
  s.cursor = r.u64();
  auto refs = [&](std::vector<change_ref>& out) {
    const node* l = r.array(~0u);
    if (!l) return false;
    for (const node& n : l->items) {
      if (n.kind != node::array) return false;
      reader rr{n};
      change_ref c;
      c.actor = rr.bin(32, true);
      c.seq = rr.u64();
      if (!rr.done()) return false;
      out.push_back(std::move(c));
    }
    return true;
  };
  if (!refs(s.covered) || !refs(s.heads)) return shape("snapshot refs");
  const node* regs = r.array(~0u);
  const node* texts = r.array(~0u);
  if (!r.done()) return shape("snapshot");
  for (const node& n : regs->items) {
    if (n.kind != node::array) return shape("snapshot register");
    reader rr{n};
    replica_snapshot::reg_entry e;
    e.table = rr.str(limits::max_name_bytes);
    e.row = rr.bin(16, true);
    e.field = rr.str(limits::max_name_bytes);
    bytes w = rr.bin(8, true);
    if (w.size() == 8) e.write.writer = load_be(w.data(), 8);
    e.write.hlc.wall_ms = rr.u64();
    e.write.hlc.counter = static_cast<std::uint32_t>(rr.u64(0xffffffff));
    const node* v = rr.next();
    if (!rr.done() || !v) return shape("snapshot register");
    auto val = node_value(*v);
    if (!val) return val.err();
    e.val = std::move(*val);
    s.regs.push_back(std::move(e));
  }
  for (const node& n : texts->items) {
    if (n.kind != node::array) return shape("snapshot text");
    reader rr{n};
    replica_snapshot::text_entry t;
    t.table = rr.str(limits::max_name_bytes);
    t.row = rr.bin(16, true);
    t.field = rr.str(limits::max_name_bytes);
    t.doc = rr.bin(limits::max_replica_snapshot_bytes, false);
    if (!rr.done()) return shape("snapshot text");
    s.texts.push_back(std::move(t));
  }
  return s;
}

bytes encode_snapshot_blob(const snapshot_blob& b) {
  byte_sink sink(b.body.size() + 160);
  packer pk(sink);
  pk.pack_array(7);
  pk.pack_uint8(1);
  pack_bin(pk, b.space);
  pk.pack_uint64(b.cursor);
  pk.pack_uint32(b.epoch);
  pack_bin(pk, b.device);
  pack_bin(pk, b.body);
  pack_bin(pk, b.signature);
  return sink.take();
}

result<snapshot_blob> decode_snapshot_blob(const bytes& b) {
  auto tree = parse_tree(b.data(), b.size(), limits::max_snapshot_blob_bytes, b.size());
  if (!tree) return tree.err();
  if (tree->kind != node::array || tree->items.empty()) return make_error(errc::malformed, "not a Packline snapshot");
  reader r{*tree};
  if (r.u64(255) != 1) return make_error(errc::unsupported_version, "a snapshot of an unknown format");
  snapshot_blob s;
  s.space = r.bin(16, true);
  s.cursor = r.u64();
  s.epoch = static_cast<std::uint32_t>(r.u64(0xffffffff));
  s.device = r.bin(32, true);
  s.body = r.bin(limits::max_snapshot_blob_bytes, false);
  s.signature = r.bin(64, true);
  if (!r.done()) return make_error(errc::malformed, "the snapshot is damaged (its header does not parse)");
  return s;
}

bytes snapshot_blob_header(const snapshot_blob& b) {
  bytes out;
  append(out, std::string_view("packline-snap-v1"));
  append(out, b.space);
  append_be(out, b.cursor, 8);
  append_be(out, b.epoch, 4);
  append(out, b.device);
  return out;
}

// ---------- keyring records ----------
// [kind, admin_pk, member, device, xpk, invite_id, invite_pk, sealed, role,
//  expires_ms, at_ms, lease_ms, epoch, [[device, sealed], ...], prev, sig]
// Fixed arity: unused fields are empty; keyring::state checks exact sizes.
bytes encode_keyring(const keyring::record& r) {
  byte_sink sink;
  packer pk(sink);
  pk.pack_array(16);
  pk.pack_uint8(static_cast<std::uint8_t>(r.k));
  for (const bytes* b : {&r.admin_pk, &r.member, &r.device, &r.xpk, &r.invite_id, &r.invite_pk, &r.sealed}) pack_bin(pk, *b);
  pack_str(pk, r.role);
  pk.pack_uint64(r.expires_ms);
  pk.pack_uint64(r.at_ms);
  pk.pack_uint64(r.lease_ms);
  pk.pack_uint32(r.epoch);
  pk.pack_array(static_cast<std::uint32_t>(r.grants.size()));
  for (auto& g : r.grants) {
    pk.pack_array(2);
    pack_bin(pk, g.device);
    pack_bin(pk, g.sealed);
  }
  pack_bin(pk, r.prev);
  pack_bin(pk, r.sig);
  return sink.take();
}

result<keyring::record> decode_keyring(const bytes& b) {
  // A sealed key is 32 + 48 bytes; 256 leaves room for other key sizes.
  constexpr std::size_t max_field = 256;
  // A record's fixed fields, and a device and a sealed key per grant.
  constexpr std::size_t max_items = 64 + 3 * keyring::max_grants;
  auto tree = parse_tree(b.data(), b.size(), limits::max_envelope_bytes, max_items);
  if (!tree) return tree.err();
  if (tree->kind != node::array) return shape("keyring record");
  reader r{*tree};
  keyring::record k;
  auto kind = r.u64(255);
  if (kind < 1 || kind > 12) return shape("keyring record: kind");
  k.k = static_cast<keyring::kind>(kind);
  for (bytes* f : {&k.admin_pk, &k.member, &k.device, &k.xpk, &k.invite_id, &k.invite_pk, &k.sealed}) *f = r.bin(max_field, false);
  k.role = r.str(limits::max_name_bytes);
  k.expires_ms = r.u64();
  k.at_ms = r.u64();
  k.lease_ms = r.u64();
  k.epoch = static_cast<std::uint32_t>(r.u64(0xffffffff));
  const node* grants = r.array(keyring::max_grants);
  k.prev = r.bin(32, false);
  k.sig = r.bin(64, false);
  if (!r.done()) return shape("keyring record");
  for (const node& g : grants->items) {
    if (g.kind != node::array) return shape("keyring grant");
    reader gr{g};
    keyring::grant x;
    x.device = gr.bin(32, true);
    x.sealed = gr.bin(max_field, false);
    if (!gr.done()) return shape("keyring grant");
    k.grants.push_back(std::move(x));
  }
  return k;
}


// ---------- a structured pack ----------
namespace {

void pack_strs(packer& pk, const std::vector<std::string>& v) {
  pk.pack_array(static_cast<std::uint32_t>(v.size()));
  for (auto& x : v) pack_str(pk, x);
}
void pack_evidence(packer& pk, const pack::evidence& e) {
  pk.pack_int64(e.page);
  pk.pack_int64(e.line);
  pk.pack_double(e.confidence);
}

// The reader's numbers and string lists, as a structured pack uses them.
struct pack_reader : reader {
  std::int64_t i64() {
    const node* n = next();
    if (!n || (n->kind != node::uint && n->kind != node::sint) || (n->kind == node::uint && n->u > INT64_MAX)) {
      ok = false;
      return 0;
    }
    return n->kind == node::uint ? static_cast<std::int64_t>(n->u) : n->i;
  }
  int i32() { return static_cast<int>(std::clamp<std::int64_t>(i64(), INT32_MIN, INT32_MAX)); }
  double f64() {
    const node* n = next();
    if (!n || n->kind != node::f64) { ok = false; return 0; }
    return n->d;
  }
  std::string text() { return str(~0u); }
  std::vector<std::string> strs() {
    std::vector<std::string> out;
    const node* a = array(~0u);
    if (!a) return out;
    for (auto& x : a->items) {
      if (x.kind != node::str) { ok = false; break; }
      out.emplace_back(x.p, x.n);
    }
    return out;
  }
  pack::evidence evidence() {
    pack::evidence e;
    e.page = i32();
    e.line = i32();
    e.confidence = f64();
    return e;
  }
  // Each element of an array field, as an array of its own.
  template <class F>
  void each(F&& f) {
    const node* a = array(~0u);
    if (!a) return;
    for (auto& x : a->items) {
      if (x.kind != node::array) { ok = false; return; }
      pack_reader r{{x}};
      f(r);
      if (!r.done()) { ok = false; return; }
    }
  }
};

}  // namespace

bytes encode_parsed(const pack::parsed& p) {
  byte_sink sink;
  packer pk(sink);
  pk.pack_array(14);
  pack_str(pk, p.kind);
  const auto& m = p.meeting;
  pk.pack_array(14);
  for (auto* f : {&m.body, &m.title, &m.date, &m.time, &m.venue, &m.membership, &m.chair, &m.vice_chair}) pack_str(pk, *f);
  pack_strs(pk, m.members);
  pack_strs(pk, m.independent_members);
  pk.pack_int64(m.quorum);
  pack_str(pk, m.public_deadline);
  pack_strs(pk, m.vice_chairs);
  pk.pack_array(static_cast<std::uint32_t>(m.found.size()));
  for (auto& [what, e] : m.found) {
    pk.pack_array(4);
    pack_str(pk, what);
    pack_evidence(pk, e);
  }
  pk.pack_array(static_cast<std::uint32_t>(p.items.size()));
  for (auto& it : p.items) {
    pk.pack_array(14);
    for (auto* f : {&it.number, &it.title, &it.pages, &it.description}) pack_str(pk, *f);
    pk.pack_int64(it.first_page);
    pk.pack_int64(it.last_page);
    if (it.exempt) pk.pack_true(); else pk.pack_false();
    for (auto* f : {&it.document, &it.minute, &it.parent, &it.note}) pack_str(pk, *f);
    pack_evidence(pk, it.found);
  }
  pk.pack_array(static_cast<std::uint32_t>(p.documents.size()));
  for (auto& d : p.documents) {
    pk.pack_array(7);
    pk.pack_int64(d.item);
    pack_str(pk, d.title);
    pk.pack_int64(d.first_page);
    pk.pack_int64(d.last_page);
    pk.pack_uint64(d.first_block);
    pk.pack_uint64(d.blocks);
    if (d.appendix) pk.pack_true(); else pk.pack_false();
  }
  pk.pack_array(static_cast<std::uint32_t>(p.blocks.size()));
  for (auto& b : p.blocks) {
    pk.pack_array(4);
    pack_str(pk, b.kind);
    pack_str(pk, b.text);
    pk.pack_int64(b.page);
    pk.pack_int64(b.item);
  }
  pk.pack_array(static_cast<std::uint32_t>(p.forward_plan.size()));
  for (auto& f : p.forward_plan) {
    pk.pack_array(8);
    for (auto* x : {&f.meeting_label, &f.meeting_date, &f.title, &f.notes, &f.raised_by, &f.lead, &f.kloes, &f.approach}) pack_str(pk, *x);
  }
  pk.pack_array(static_cast<std::uint32_t>(p.priorities.size()));
  for (auto& x : p.priorities) {
    pk.pack_array(2);
    pk.pack_int64(x.number);
    pack_str(pk, x.title);
  }
  pk.pack_array(static_cast<std::uint32_t>(p.answers.size()));
  for (auto& a : p.answers) {
    pk.pack_array(7);
    for (auto* x : {&a.meeting_date, &a.number, &a.question, &a.lead, &a.text, &a.recording_time}) pack_str(pk, *x);
    if (a.written) pk.pack_true(); else pk.pack_false();
  }
  pk.pack_int64(p.pages);
  pk.pack_array(3);
  for (bool b : {p.pages_exact, p.outline_used, p.page_labels_used}) { if (b) pk.pack_true(); else pk.pack_false(); }
  pack_str(pk, p.fingerprint);
  pack_strs(pk, p.warnings);
  // (14 fields: kind, meeting, items, documents, blocks, forward plan,
  // priorities, answers, pages, flags, fingerprint, warnings, and two spare
  // nils so a later field does not change the shape.)
  pk.pack_nil();
  pk.pack_nil();
  return sink.take();
}

result<pack::parsed> decode_parsed(const bytes& b) {
  // It comes from the same page's worker, not the network: bounded by its own size.
  auto tree = parse_tree(b.data(), b.size(), std::size_t{1} << 30, b.size() + 1);
  if (!tree) return tree.err();
  if (tree->kind != node::array) return shape("structured pack");
  pack_reader r{{*tree}};
  pack::parsed p;
  p.kind = r.text();
  const node* mn = r.array(16);
  if (!mn) return shape("structured pack: meeting");
  pack_reader mr{{*mn}};
  auto& m = p.meeting;
  for (auto* f : {&m.body, &m.title, &m.date, &m.time, &m.venue, &m.membership, &m.chair, &m.vice_chair}) *f = mr.text();
  m.members = mr.strs();
  m.independent_members = mr.strs();
  m.quorum = mr.i32();
  m.public_deadline = mr.text();
  m.vice_chairs = mr.strs();
  mr.each([&](pack_reader& x) {
    std::string what = x.text();
    m.found.emplace_back(std::move(what), x.evidence());
  });
  if (!mr.done()) return shape("structured pack: meeting");
  r.each([&](pack_reader& x) {
    pack::item it;
    for (auto* f : {&it.number, &it.title, &it.pages, &it.description}) *f = x.text();
    it.first_page = x.i32();
    it.last_page = x.i32();
    it.exempt = x.boolean();
    for (auto* f : {&it.document, &it.minute, &it.parent, &it.note}) *f = x.text();
    it.found = x.evidence();
    p.items.push_back(std::move(it));
  });
  r.each([&](pack_reader& x) {
    pack::document d;
    d.item = x.i32();
    d.title = x.text();
    d.first_page = x.i32();
    d.last_page = x.i32();
    d.first_block = static_cast<std::size_t>(x.u64());
    d.blocks = static_cast<std::size_t>(x.u64());
    d.appendix = x.boolean();
    p.documents.push_back(std::move(d));
  });
  r.each([&](pack_reader& x) {
    pack::block bl;
    bl.kind = x.text();
    bl.text = x.text();
    bl.page = x.i32();
    bl.item = x.i32();
    p.blocks.push_back(std::move(bl));
  });
  r.each([&](pack_reader& x) {
    pack::forward_row f;
    for (auto* y : {&f.meeting_label, &f.meeting_date, &f.title, &f.notes, &f.raised_by, &f.lead, &f.kloes, &f.approach}) *y = x.text();
    p.forward_plan.push_back(std::move(f));
  });
  r.each([&](pack_reader& x) {
    pack::priority pr;
    pr.number = x.i32();
    pr.title = x.text();
    p.priorities.push_back(std::move(pr));
  });
  r.each([&](pack_reader& x) {
    pack::answer a;
    for (auto* y : {&a.meeting_date, &a.number, &a.question, &a.lead, &a.text, &a.recording_time}) *y = x.text();
    a.written = x.boolean();
    p.answers.push_back(std::move(a));
  });
  p.pages = r.i32();
  const node* flags = r.array(3);
  if (!flags || flags->items.size() != 3) return shape("structured pack: flags");
  pack_reader fr{{*flags}};
  p.pages_exact = fr.boolean();
  p.outline_used = fr.boolean();
  p.page_labels_used = fr.boolean();
  p.fingerprint = r.text();
  p.warnings = r.strs();
  r.next();
  r.next();
  if (!r.done() || !fr.done()) return shape("structured pack");
  // Every block's and document's item is one of the items.
  auto in_items = [&](int k) { return k >= -1 && k < static_cast<int>(p.items.size()); };
  for (auto& bl : p.blocks)
    if (!in_items(bl.item)) return shape("structured pack: block item");
  for (auto& d : p.documents)
    if (!in_items(d.item) || d.first_block + d.blocks > p.blocks.size()) return shape("structured pack: document");
  return p;
}

}  // namespace packline::codec
