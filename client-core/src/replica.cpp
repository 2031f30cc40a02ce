// The replica: change log, LWW registers and materialised tables in SQLite
// (schema/replica). Applying is idempotent and commutative: a change is known
// by (actor, seq), and each field keeps the write with the greatest
// (hlc, actor), so every delivery order ends in the same state.
#include "packline/replica.hpp"

#include <algorithm>
#include <set>

#include "db.hpp"
#include "packline/codec.hpp"
#include "packline/limits.hpp"
#include "replica_migrations.hpp"

namespace packline {
namespace {

const std::set<std::string> system_tables = {"meta", "change_log", "lww"};

// Identifiers come from the schema itself (table_info), never from input,
// before they are spliced into SQL.
result<std::map<std::string, std::set<std::string>>> load_columns(db& d) {
  std::map<std::string, std::set<std::string>> out;
  auto s = d.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'");
  if (!s) return s.err();
  std::vector<std::string> tables;
  for (;;) {
    auto r = (*s)->step();
    if (!r) return r.err();
    if (!*r) break;
    tables.push_back((*s)->column_text(0));
  }
  (*s)->reset();
  for (auto& t : tables) {
    if (system_tables.count(t)) continue;
    auto c = d.prepare("SELECT name FROM pragma_table_info(?1)");
    if (!c) return c.err();
    (*c)->bind(1, std::string_view(t));
    for (;;) {
      auto r = (*c)->step();
      if (!r) return r.err();
      if (!*r) break;
      out[t].insert((*c)->column_text(0));
    }
    (*c)->reset();
  }
  return out;
}

result<void> migrate(db& d) {
  auto s = d.prepare("PRAGMA user_version");
  if (!s) return s.err();
  auto r = (*s)->step();
  if (!r) return r.err();
  std::int64_t have = (*s)->column_int(0);
  (*s)->reset();
  std::int64_t want = static_cast<std::int64_t>(std::size(replica_migrations));
  if (have > want)
    return make_error(errc::corrupt_replica, "this replica was written by a newer version of Packline");
  for (std::int64_t v = have; v < want; ++v) {
    transaction tx(d);
    PL_TRY(d.exec(replica_migrations[v]));
    PL_TRY(d.exec("PRAGMA user_version = " + std::to_string(v + 1)));
    PL_TRY(tx.commit());
  }
  return {};
}

// Meta values are stored as SQLite values; these read them with a default.
result<value> meta_get(db& d, std::string_view key) {
  auto s = d.prepare("SELECT value FROM meta WHERE key = ?1");
  if (!s) return s.err();
  (*s)->bind(1, key);
  auto r = (*s)->step();
  if (!r) return r.err();
  value v = *r ? (*s)->column(0) : value{};
  (*s)->reset();
  return v;
}

result<void> meta_set(db& d, std::string_view key, const value& v) {
  auto s = d.prepare("INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!s) return s.err();
  return (*s)->bind(1, key).bind(2, v).run();
}

}  // namespace

const value* row::get(std::string_view f) const {
  for (auto& [k, v] : fields)
    if (k == f) return &v;
  return nullptr;
}

std::string row::text(std::string_view f) const {
  const value* v = get(f);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : std::string{};
}

bytes new_row_id() { return crypto::random_bytes(16); }

replica::replica(std::unique_ptr<db> d, crypto::signing_key k) : db_(std::move(d)), key_(std::move(k)) {}
replica::~replica() = default;

result<std::unique_ptr<replica>> replica::create(const bytes& device_seed) {
  PL_TRY(crypto::init());
  auto key = crypto::signing_key::from_seed(device_seed);
  if (!key) return key.err();
  auto d = db::open_memory();
  if (!d) return d.err();
  PL_TRY(migrate(**d));
  PL_TRY(meta_set(**d, "device_seed", device_seed));
  std::unique_ptr<replica> r(new replica(std::move(*d), std::move(*key)));
  PL_TRY(r->load_state());
  return r;
}

result<std::unique_ptr<replica>> replica::open(const bytes& image) {
  PL_TRY(crypto::init());
  auto d = db::deserialize(image);
  if (!d) return d.err();
  PL_TRY(migrate(**d));
  auto seed = meta_get(**d, "device_seed");
  if (!seed) return seed.err();
  if (!std::holds_alternative<bytes>(*seed))
    return make_error(errc::corrupt_replica, "the stored replica has no device key");
  auto key = crypto::signing_key::from_seed(std::get<bytes>(*seed));
  if (!key) return make_error(errc::corrupt_replica, "the stored replica's device key is damaged");
  std::unique_ptr<replica> r(new replica(std::move(*d), std::move(*key)));
  PL_TRY(r->load_state());
  return r;
}

result<void> replica::load_state() {
  auto cols = load_columns(*db_);
  if (!cols) return cols.err();
  columns_ = std::move(*cols);
  auto s = db_->prepare("SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE actor = ?1");
  if (!s) return s.err();
  (*s)->bind(1, device_id());
  auto r = (*s)->step();
  if (!r) return r.err();
  next_seq_ = static_cast<std::uint64_t>((*s)->column_int(0)) + 1;
  (*s)->reset();
  auto h = db_->prepare("SELECT hlc_wall, hlc_counter FROM change_log ORDER BY hlc_wall DESC, hlc_counter DESC LIMIT 1");
  if (!h) return h.err();
  auto hr = (*h)->step();
  if (!hr) return hr.err();
  if (*hr)
    clock_ = hlc_clock({static_cast<std::uint64_t>((*h)->column_int(0)), static_cast<std::uint32_t>((*h)->column_int(1))});
  (*h)->reset();
  return {};
}

result<bytes> replica::save() { return db_->serialize(); }

bytes replica::space() {
  auto v = meta_get(*db_, "space");
  return v && std::holds_alternative<bytes>(*v) ? std::get<bytes>(*v) : bytes{};
}

result<void> replica::set_space(const bytes& space16) {
  if (space16.size() != 16) return make_error(errc::invalid_argument, "a space id is 16 bytes");
  bytes cur = space();
  if (!cur.empty() && cur != space16)
    return make_error(errc::wrong_space, "this device already belongs to another panel");
  return meta_set(*db_, "space", space16);
}

std::string replica::setting(const std::string& key) {
  auto v = meta_get(*db_, "setting:" + key);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : std::string{};
}

result<void> replica::set_setting(const std::string& key, const std::string& v) {
  return meta_set(*db_, "setting:" + key, v);
}

result<void> replica::apply_ops(const change_body& body, const bytes& actor) {
  auto cur = db_->prepare("SELECT hlc_wall, hlc_counter, actor FROM lww WHERE tbl = ?1 AND row = ?2 AND field = ?3");
  auto put = db_->prepare(
      "INSERT INTO lww(tbl, row, field, value, hlc_wall, hlc_counter, actor) VALUES(?1,?2,?3,?4,?5,?6,?7) "
      "ON CONFLICT(tbl, row, field) DO UPDATE SET value = excluded.value, hlc_wall = excluded.hlc_wall, "
      "hlc_counter = excluded.hlc_counter, actor = excluded.actor");
  if (!cur) return cur.err();
  if (!put) return put.err();
  for (const op& o : body.ops) {
    if (o.row.size() != 16 || o.field == "id") return make_error(errc::malformed, "an operation names an invalid row");
    (*cur)->bind(1, std::string_view(o.table)).bind(2, o.row).bind(3, std::string_view(o.field));
    auto have = (*cur)->step();
    if (!have) return have.err();
    bool newer = true;
    if (*have) {
      hlc_timestamp old{static_cast<std::uint64_t>((*cur)->column_int(0)), static_cast<std::uint32_t>((*cur)->column_int(1))};
      bytes old_actor = (*cur)->column_blob(2);
      newer = std::tie(body.hlc, actor) > std::tie(old, old_actor);
    }
    (*cur)->reset();
    if (!newer) continue;
    PL_TRY((*put)->bind(1, std::string_view(o.table)).bind(2, o.row).bind(3, std::string_view(o.field)).bind(4, o.val)
               .bind(5, static_cast<std::int64_t>(body.hlc.wall_ms)).bind(6, static_cast<std::int64_t>(body.hlc.counter))
               .bind(7, actor).run());
    // Materialise when the schema knows the field; otherwise the register
    // keeps it for a later schema version.
    auto t = columns_.find(o.table);
    if (t == columns_.end() || !t->second.count(o.field)) continue;
    auto up = db_->prepare("INSERT INTO \"" + o.table + "\"(id, \"" + o.field + "\") VALUES(?1, ?2) ON CONFLICT(id) DO UPDATE SET \"" +
                           o.field + "\" = excluded.\"" + o.field + "\"");
    if (!up) return up.err();
    PL_TRY((*up)->bind(1, o.row).bind(2, o.val).run());
  }
  return {};
}

result<std::uint64_t> replica::commit(std::vector<op> ops, std::uint64_t now_ms) {
  if (ops.empty()) return make_error(errc::invalid_argument, "a change needs at least one operation");
  bytes sp = space();
  if (sp.empty()) return make_error(errc::bad_state, "this device has not joined a panel yet");
  change_body body{clock_.tick(now_ms), std::move(ops)};
  envelope e;
  e.space = sp;
  e.seq = next_seq_;
  e.epoch = 0;
  e.payload = codec::encode_body(body, key_.public_key());
  crypto::sign_envelope(e, key_);
  bytes env = codec::encode_envelope(e);
  if (env.size() > limits::max_envelope_bytes) return make_error(errc::too_large, "this change is too large to send");
  transaction tx(*db_);
  auto ins = db_->prepare("INSERT INTO change_log(actor, seq, hlc_wall, hlc_counter, envelope, server_seq) VALUES(?1,?2,?3,?4,?5,NULL)");
  if (!ins) return ins.err();
  PL_TRY((*ins)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).bind(3, static_cast<std::int64_t>(body.hlc.wall_ms))
             .bind(4, static_cast<std::int64_t>(body.hlc.counter)).bind(5, env).run());
  PL_TRY(apply_ops(body, e.actor));
  PL_TRY(tx.commit());
  return next_seq_++;
}

result<apply_status> replica::apply(const bytes& envelope_bytes, std::uint64_t server_seq, std::uint64_t now_ms) {
  auto e = codec::decode_envelope(envelope_bytes);
  if (!e) return e.err();
  PL_TRY(crypto::verify_envelope(*e));
  if (e->space != space()) return make_error(errc::wrong_space);
  auto known = db_->prepare("SELECT server_seq IS NULL FROM change_log WHERE actor = ?1 AND seq = ?2");
  if (!known) return known.err();
  (*known)->bind(1, e->actor).bind(2, static_cast<std::int64_t>(e->seq));
  auto k = (*known)->step();
  if (!k) return k.err();
  bool exists = *k, unacked = exists && (*known)->column_int(0) != 0;
  (*known)->reset();
  if (exists) {
    if (unacked) PL_TRY(acked(e->actor, e->seq, server_seq));
    return apply_status::duplicate;
  }
  auto body = codec::decode_body(e->payload, e->actor);
  if (!body) return body.err();
  auto seen = clock_.observe(body->hlc, now_ms);
  if (!seen) return seen.err();
  transaction tx(*db_);
  auto ins = db_->prepare("INSERT INTO change_log(actor, seq, hlc_wall, hlc_counter, envelope, server_seq) VALUES(?1,?2,?3,?4,?5,?6)");
  if (!ins) return ins.err();
  PL_TRY((*ins)->bind(1, e->actor).bind(2, static_cast<std::int64_t>(e->seq)).bind(3, static_cast<std::int64_t>(body->hlc.wall_ms))
             .bind(4, static_cast<std::int64_t>(body->hlc.counter)).bind(5, envelope_bytes)
             .bind(6, static_cast<std::int64_t>(server_seq)).run());
  PL_TRY(apply_ops(*body, e->actor));
  PL_TRY(tx.commit());
  return apply_status::applied;
}

std::vector<bytes> replica::pending(std::size_t max) {
  std::vector<bytes> out;
  auto s = db_->prepare("SELECT envelope FROM change_log WHERE server_seq IS NULL ORDER BY seq LIMIT ?1");
  if (!s) return out;
  (*s)->bind(1, static_cast<std::int64_t>(max));
  for (;;) {
    auto r = (*s)->step();
    if (!r || !*r) break;
    out.push_back((*s)->column_blob(0));
  }
  (*s)->reset();
  return out;
}

std::size_t replica::pending_count() {
  auto s = db_->prepare("SELECT COUNT(*) FROM change_log WHERE server_seq IS NULL");
  if (!s) return 0;
  auto r = (*s)->step();
  std::size_t n = r && *r ? static_cast<std::size_t>((*s)->column_int(0)) : 0;
  (*s)->reset();
  return n;
}

result<void> replica::acked(const bytes& actor, std::uint64_t seq, std::uint64_t server_seq) {
  auto s = db_->prepare("UPDATE change_log SET server_seq = ?3 WHERE actor = ?1 AND seq = ?2 AND server_seq IS NULL");
  if (!s) return s.err();
  return (*s)->bind(1, actor).bind(2, static_cast<std::int64_t>(seq)).bind(3, static_cast<std::int64_t>(server_seq)).run();
}

std::uint64_t replica::cursor() {
  auto v = meta_get(*db_, "cursor");
  return v && std::holds_alternative<std::int64_t>(*v) ? static_cast<std::uint64_t>(std::get<std::int64_t>(*v)) : 0;
}

result<void> replica::set_cursor(std::uint64_t c) { return meta_set(*db_, "cursor", static_cast<std::int64_t>(c)); }

result<std::vector<row>> replica::rows(const std::string& table, const std::string& where_field, const value& equals,
                                      const std::string& order_by) {
  auto t = columns_.find(table);
  if (t == columns_.end()) return make_error(errc::not_found, "no table " + table);
  if ((!where_field.empty() && !t->second.count(where_field)) || (!order_by.empty() && !t->second.count(order_by)))
    return make_error(errc::invalid_argument, "no such field");
  std::string sql = "SELECT * FROM \"" + table + "\" WHERE deleted = 0";
  if (!where_field.empty()) sql += " AND \"" + where_field + "\" = ?1";
  sql += " ORDER BY ";
  if (!order_by.empty()) sql += "\"" + order_by + "\", ";
  sql += "id";
  auto s = db_->prepare(sql);
  if (!s) return s.err();
  if (!where_field.empty()) (*s)->bind(1, equals);
  std::vector<row> out;
  for (;;) {
    auto r = (*s)->step();
    if (!r) return r.err();
    if (!*r) break;
    row rw;
    for (int i = 0; i < (*s)->columns(); ++i) {
      std::string name = (*s)->column_name(i);
      if (name == "id") rw.id = (*s)->column_blob(i);
      else rw.fields.emplace_back(std::move(name), (*s)->column(i));
    }
    out.push_back(std::move(rw));
  }
  (*s)->reset();
  return out;
}

bytes replica::digest() {
  bytes acc;
  for (auto& [table, cols] : columns_) {
    append(acc, table);
    auto s = db_->prepare("SELECT * FROM \"" + table + "\" ORDER BY id");
    if (!s) continue;
    for (;;) {
      auto r = (*s)->step();
      if (!r || !*r) break;
      for (int i = 0; i < (*s)->columns(); ++i) {
        value v = (*s)->column(i);
        acc.push_back(static_cast<std::uint8_t>(v.index()));
        std::visit(
            [&](const auto& x) {
              using T = std::decay_t<decltype(x)>;
              if constexpr (std::is_same_v<T, std::int64_t>) append_be(acc, static_cast<std::uint64_t>(x), 8);
              else if constexpr (std::is_same_v<T, double>) append(acc, std::to_string(x));
              else if constexpr (std::is_same_v<T, std::string>) { append_be(acc, x.size(), 4); append(acc, x); }
              else if constexpr (std::is_same_v<T, bytes>) { append_be(acc, x.size(), 4); append(acc, x); }
            },
            v);
      }
    }
    (*s)->reset();
  }
  return crypto::sha256(acc);
}

}  // namespace packline
