// Protocol state machine of one session (see sync_handler.hpp). Checks every
// pushed envelope (shape, space, actor on the io thread; signature through
// services) before anything is stored; a push is stored in one transaction
// and acked only after it is durable. Continuations that run on the store
// thread touch only what they captured, never the handler's state.
#include "sync_handler.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <limits>
#include <type_traits>

#include "log.hpp"
#include "packline/wire/codec.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/crypto/keyring.hpp"
#include "packline/base/limits.hpp"
#include "tuning.hpp"

namespace packline::server {
namespace {

std::string short_hex(const bytes& b) {
  // Eight bytes identify a device or space in logs without flooding them.
  return to_hex(b.data(), std::min<std::size_t>(b.size(), 8));
}

constexpr std::uint64_t max_seq = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// The server's clock, for a join's claimed time (keyring::admit) and for
// welcome (v4), so a device learns that its own clock is off.
std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

sync_handler::sync_handler(services& svc, metrics& stats, bytes default_space, std::string peer)
    : svc_(svc), stats_(stats), default_space_(std::move(default_space)), peer_(std::move(peer)) {}

sync_handler::sync_handler(store& db, metrics& stats, bytes default_space, std::string peer)
    : own_(std::make_unique<inline_services>(db)),
      svc_(*own_),
      stats_(stats),
      default_space_(std::move(default_space)),
      peer_(std::move(peer)) {}

reply sync_handler::fail(const error& e, std::uint32_t wire) {
  std::uint32_t code = wire ? wire : proto::to_wire(e.code);
  // Damaged stored data: the space is refused from now on (never served).
  if (e.code == errc::damaged && !space_.empty() && stats_.unavailable_spaces.insert(to_hex(space_)).second)
    log(log_level::error, "space unavailable: stored data damaged", {{"space", to_hex(space_)}, {"text", e.message}});
  // The detail of damage (file, row) is for the operator's log, not the client.
  std::string text = e.message.empty() || e.code == errc::damaged ? errc_message(e.code) : e.message;
  if (text.size() > limits::max_error_text) text.resize(limits::max_error_text);
  stats_.count_error(code);

  reply r;
  r.frames.push_back(codec::encode(proto::error{code, text}));
  // storage (a push or a snapshot chunk) and gone (a snapshot download) are
  // answered on the same connection (PROTOCOL.md); everything else closes.
  bool retryable = code == static_cast<std::uint32_t>(errc::storage) || code == proto::error_gone ||
                   code == proto::error_superseded;
  r.close = !(retryable && phase_ == phase::ready);
  log(code == static_cast<std::uint32_t>(errc::storage) ? log_level::error : log_level::warn,
      "protocol error", {{"peer", peer_}, {"code", code}, {"text", text},
                         {"device", short_hex(device_)}, {"close", r.close}});
  return r;
}

reply sync_handler::on_text_frame() { return fail(errc::malformed, "text frames are not spoken; binary only"); }

std::size_t sync_handler::frame_limit() const {
  return phase_ == phase::ready ? limits::max_frame_bytes : limits::max_preauth_frame_bytes;
}

reply sync_handler::on_oversized_frame() {
  return fail(errc::too_large, phase_ == phase::ready ? "frame over max_frame_bytes"
                                                      : "frame over max_preauth_frame_bytes before auth");
}

// `done`, observing in `h` the time from now until it is called.
static sync_handler::done_fn timed(histogram& h, sync_handler::done_fn done) {
  return [&h, start = std::chrono::steady_clock::now(), done = std::move(done)](reply r) mutable {
    h.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    done(std::move(r));
  };
}

reply sync_handler::on_frame(const std::uint8_t* data, std::size_t size) {
  std::optional<reply> out;
  on_frame(data, size, [&](reply r) { out = std::move(r); });
  if (!out) {
    // Only inline services answer at once; this overload is for them.
    reply r;
    r.close = true;
    return r;
  }
  return std::move(*out);
}

void sync_handler::on_frame(const std::uint8_t* data, std::size_t size, done_fn done) {
  stats_.frames_in.fetch_add(1, std::memory_order_relaxed);
  stats_.bytes_in.fetch_add(size, std::memory_order_relaxed);
  if (size > frame_limit()) return done(on_oversized_frame());
  auto decoded = codec::decode(data, size);
  if (!decoded) return done(fail(decoded.err()));

  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        // Version 2 messages are refused on a v1 session like unknown ones.
        constexpr bool v2_only = std::is_same_v<T, proto::snapshot_put> || std::is_same_v<T, proto::snapshot_get>;
        if (v2_only && phase_ == phase::ready && version_ < 2)
          return done(fail(errc::bad_state, "snapshots need protocol version 2"));
        if (std::is_same_v<T, proto::keyring_get> && phase_ == phase::ready && version_ < 3)
          return done(fail(errc::bad_state, "keyring_get needs protocol version 3"));
        if constexpr (std::is_same_v<T, proto::hello>) {
          done(on_hello(m));
        } else if constexpr (std::is_same_v<T, proto::auth>) {
          on_auth(m, timed(stats_.auth_seconds, std::move(done)));
        } else if constexpr (std::is_same_v<T, proto::push>) {
          on_push(m, timed(stats_.push_seconds, std::move(done)));
        } else if constexpr (std::is_same_v<T, proto::pull>) {
          on_pull(m, timed(stats_.pull_seconds, std::move(done)));
        } else if constexpr (std::is_same_v<T, proto::snapshot_put>) {
          on_snapshot_put(m, std::move(done));
        } else if constexpr (std::is_same_v<T, proto::snapshot_get>) {
          on_snapshot_get(m, std::move(done));
        } else if constexpr (std::is_same_v<T, proto::keyring_get>) {
          on_keyring_get(m, std::move(done));
        } else if constexpr (std::is_same_v<T, proto::error>) {
          // The client gave up on us; no answer, just close.
          log(log_level::info, "client error", {{"peer", peer_}, {"code", m.code}, {"text", m.text}});
          reply r;
          r.close = true;
          done(std::move(r));
        } else {
          // challenge, welcome, ack, changes, notify, snapshot_ack, snapshot,
          // live and keyring_page only travel server -> client.
          done(fail(errc::bad_state, "message type is sent by the server only"));
        }
      },
      decoded.value());
}

reply sync_handler::on_hello(const proto::hello& m) {
  if (phase_ != phase::expect_hello) return fail(errc::bad_state, "hello already received");
  if (m.version < limits::min_protocol_version || m.version > limits::protocol_version)
    return fail(errc::unsupported_version, "server speaks protocol versions " +
                                               std::to_string(limits::min_protocol_version) + ".." +
                                               std::to_string(limits::protocol_version));
  if (m.device.size() != 32) return fail(errc::malformed, "device must be 32 bytes");
  if (!m.space.empty() && m.space.size() != 16) return fail(errc::malformed, "space must be 16 bytes or empty");

  bytes nonce = crypto::random_bytes(32);
  if (nonce.size() != 32) return fail(errc::crypto, "no randomness for the challenge");
  version_ = m.version;
  device_ = m.device;
  space_ = m.space.empty() ? default_space_ : m.space;
  nonce_ = std::move(nonce);
  phase_ = phase::expect_auth;

  reply r;
  r.frames.push_back(codec::encode(proto::challenge{nonce_, space_}));
  return r;
}

void sync_handler::on_auth(const proto::auth& m, done_fn done) {
  if (phase_ != phase::expect_auth) return done(fail(errc::bad_state, "auth before hello or after welcome"));
  // One verification per connection: cheap enough for the io thread.
  if (!crypto::verify(device_, proto::auth_transcript(nonce_, space_), m.signature)) {
    stats_.auth_failures.fetch_add(1, std::memory_order_relaxed);
    return done(fail(errc::auth_failed, "challenge signature did not verify"));
  }
  nonce_.clear();  // single use
  if (stats_.unavailable_spaces.count(to_hex(space_)))
    return done(fail(errc::damaged, "this panel's data on the server is damaged; its operator must restore it"));
  // The space's keyring is built on the store thread by the first session
  // of the space after the server starts, then kept in memory and updated
  // as records are stored: later sessions' auth costs the same whatever the
  // history. `loaded` is installed here.
  keyrings_ = &svc_.keyrings();
  bool need_keyring = !keyrings_->find(space_);
  svc_.run([this, space = space_, need_keyring, v3 = version_ >= 3, lease = m.lease,
            done = std::move(done)](store& db) mutable {
    auto cur = db.cursor(space);
    // v3: welcome names the newest complete snapshot (devices then do not
    // upload one at the same threshold).
    std::optional<result<snapshot_chunk>> snap;
    if (v3) snap = db.read_snapshot(space, 0, 0, 0);
    std::optional<result<space_keyring>> loaded;
    if (need_keyring) {
      loaded = membership::load(db, space);
      stats_.keyring_loads.fetch_add(1, std::memory_order_relaxed);
    }
    svc_.complete([this, cur = std::move(cur), snap = std::move(snap), loaded = std::move(loaded),
                   lease = std::move(lease), done = std::move(done)]() mutable {
      if (!cur) return done(fail(cur.err()));
      if (loaded) {
        // Not loaded (the store failed to read): pushes answer storage (retry)
        // until a later session of the space loads it.
        if (*loaded) keyrings_->install(space_, std::move(loaded->value()));
        else if (loaded->err().code == errc::damaged) return done(fail(loaded->err()));
        else log(log_level::error, "keyring not loaded", {{"peer", peer_}, {"text", loaded->err().message}});
      }
      // A revoked device is refused at once; a stranger may connect only to
      // push its join (everything else checks membership).
      bool current = false;
      if (auto* k = keyrings_->find(space_); k && k->state.secured()) {
        auto* d = k->state.device(device_);
        if (d && d->revoked) return done(fail(errc::revoked, "this device has been removed from the panel"));
        current = k->state.may_write(device_).ok();
      }
      phase_ = phase::ready;
      stats_.authenticated_total.fetch_add(1, std::memory_order_relaxed);
      log(log_level::debug, "authenticated",
          {{"peer", peer_}, {"device", short_hex(device_)}, {"space", to_hex(space_)},
           {"cursor", cur.value()}, {"version", version_}});
      reply r;
      proto::welcome w{space_, cur.value(), std::nullopt, std::nullopt};
      // A snapshot that cannot be read only costs a full pull (and maybe one
      // more upload): the session goes on.
      if (snap) w.snapshot = *snap ? snap->value().meta.cursor : 0;
      if (snap && !*snap) log(log_level::error, "snapshot not read", {{"peer", peer_}, {"text", snap->err().message}});
      if (version_ >= 4) w.time = static_cast<std::uint64_t>(wall_ms());
      // v5, the offline lease: a current device of a secured space gets back
      // the lease secret it left here (one per device, replaced by the one
      // in this auth); it is what reopens its copy past the lease.
      if (!current || version_ < 5) {
        r.frames.push_back(codec::encode(w));
        r.joined = true;
        return done(std::move(r));
      }
      svc_.run([this, space = space_, device = device_, lease = std::move(lease), w = std::move(w),
                done = std::move(done)](store& db) mutable {
        result<void> put = lease.empty() ? result<void>{} : db.put_lease(space, device, lease);
        result<bytes> kept = put ? db.lease(space, device) : result<bytes>(put.err());
        svc_.complete([this, kept = std::move(kept), w = std::move(w), done = std::move(done)]() mutable {
          // Not kept: the welcome goes without it (a locked copy stays locked
          // until a later session); the session goes on.
          if (kept) w.lease = std::move(*kept);
          else log(log_level::error, "lease not kept", {{"peer", peer_}, {"text", kept.err().message}});
          reply r;
          r.frames.push_back(codec::encode(w));
          r.joined = true;
          done(std::move(r));
        });
      });
    });
  });
}

void sync_handler::on_push(const proto::push& m, done_fn done) {
  if (phase_ != phase::ready) return done(fail(errc::bad_state, "push before welcome"));
  if (m.envelopes.empty()) return done(fail(errc::malformed, "empty push"));
  if (m.envelopes.size() > limits::max_push_envelopes) return done(fail(errc::too_large, "too many envelopes in push"));

  // Cheap checks here; signatures in services. All or nothing.
  push_job job;
  job.space = space_;
  job.envelopes.reserve(m.envelopes.size());
  job.batch.reserve(m.envelopes.size());
  for (const auto& raw : m.envelopes) {
    if (raw.size() > limits::max_envelope_bytes) return done(fail(errc::too_large, "envelope over max_envelope_bytes"));
    auto env = codec::decode_envelope(raw);
    if (!env) return done(fail(env.err()));
    envelope& e = env.value();
    if (e.space != space_) return done(fail(errc::wrong_space, "envelope for another space"));
    if (e.actor != device_) return done(fail(errc::not_actor, "envelope signed by another device"));
    if (e.seq == 0 || e.seq > max_seq) return done(fail(errc::malformed, "envelope seq out of range"));
    job.batch.push_back(incoming_change{e.actor, e.seq, raw});
    job.envelopes.push_back(std::move(e));
  }

  // Secured panels: membership and keyring records, against a copy of the space's
  // keyring that replaces it once the batch is stored (signatures are
  // checked by services before anything is stored; a bad one drops the copy).
  space_keyring* kr = keyrings_ ? keyrings_->find(space_) : nullptr;
  if (!kr) return done(fail(errc::storage, "the panel's membership is not loaded; retry"));
  bool has_records = false;
  for (const auto& e : job.envelopes) has_records = has_records || e.epoch == keyring::record_epoch;
  if (has_records && kr->records_in_flight)
    return done(fail(errc::storage, "another membership change of this panel is being stored; retry"));
  // Every push is judged, open spaces included (an open space admits only
  // unsealed changes, and records only as its founding). Plain changes only
  // read the keyring; records are applied to a copy.
  std::optional<keyring::state> next;
  if (has_records) next = kr->state;
  keyring::state& judge = next ? *next : kr->state;
  bool first = kr->empty;
  for (const auto& e : job.envelopes) {
    if (auto ok = keyring::admit(judge, space_, e, first, static_cast<std::uint64_t>(wall_ms())); !ok) {
      // Before v5 a superseded epoch is refused like any keyring breach.
      if (ok.err().code == errc::superseded && version_ < 5) return done(fail(errc::forbidden, ok.err().message));
      return done(fail(ok.err()));
    }
    first = false;
  }
  if (has_records) kr->records_in_flight = true;

  std::vector<std::uint64_t> seqs;
  std::vector<bool> is_record;
  seqs.reserve(job.batch.size());
  for (const auto& c : job.batch) seqs.push_back(c.seq);
  for (const auto& e : job.envelopes) is_record.push_back(e.epoch == keyring::record_epoch);

  svc_.push(std::move(job), [this, seqs = std::move(seqs), is_record = std::move(is_record), has_records,
                             next = std::move(next), done = std::move(done)](push_outcome out) mutable {
    space_keyring* kr = keyrings_->find(space_);
    if (has_records) kr->records_in_flight = false;
    if (out.bad_signature_at != 0) return done(fail(errc::bad_signature, out.why));
    // Durable before the ack: the store returned after COMMIT was synced.
    if (!out.stored) return done(fail(out.stored.err()));
    kr->empty = false;
    if (next) kr->state = std::move(*next);
    proto::ack ack;
    const auto& st = out.stored.value();
    ack.entries.reserve(st.size());
    std::uint64_t inserted = 0;
    for (std::size_t i = 0; i < st.size(); ++i) {
      ack.entries.push_back(proto::ack_entry{device_, seqs[i], st[i].server_seq});
      if (st[i].inserted) ++inserted;
      if (st[i].inserted && is_record[i]) kr->record_seqs.insert(st[i].server_seq);
    }
    stats_.changes_in.fetch_add(inserted, std::memory_order_relaxed);
    stats_.changes_replayed.fetch_add(st.size() - inserted, std::memory_order_relaxed);
    log(log_level::debug, "push stored",
        {{"peer", peer_}, {"envelopes", static_cast<std::uint64_t>(st.size())}, {"new", inserted},
         {"cursor", out.live_last}});
    reply r;
    r.frames.push_back(codec::encode(ack));
    r.keyring_changed = has_records;
    r.published = out.live_last;
    r.live = std::move(out.live);
    r.live_prev = out.live_prev;
    done(std::move(r));
  });
}

void sync_handler::on_pull(const proto::pull& m, done_fn done) {
  if (phase_ != phase::ready) return done(fail(errc::bad_state, "pull before welcome"));
  if (auto ok = may_read(); !ok) return done(fail(ok.err()));
  // max == 0 would answer "more" forever without progress; treat it as 1.
  std::uint32_t count = std::clamp<std::uint32_t>(m.max, 1, limits::max_pull_changes);
  std::size_t budget = limits::max_frame_bytes - tuning::changes_frame_overhead -
                       static_cast<std::size_t>(count) * tuning::changes_item_overhead;
  svc_.run([this, space = space_, since = m.since, count, budget, done = std::move(done)](store& db) mutable {
    // Read and encode on the store thread: the io thread only sends.
    auto pg = db.changes_since(space, since, count, budget);
    std::optional<error> err;
    bytes frame;
    std::size_t n = 0;
    std::uint64_t next = 0;
    bool more = false;
    if (!pg) {
      err = pg.err();
    } else {
      proto::changes out;
      out.items.reserve(pg.value().items.size());
      for (auto& it : pg.value().items) out.items.push_back(proto::stored_change{it.server_seq, std::move(it.envelope)});
      out.next = next = pg.value().next;
      out.more = more = pg.value().more;
      n = out.items.size();
      frame = codec::encode(out);
    }
    svc_.complete([this, err = std::move(err), frame = std::move(frame), n, next, more,
                   done = std::move(done)]() mutable {
      if (err) return done(fail(*err));
      stats_.changes_out.fetch_add(n, std::memory_order_relaxed);
      if (frame.size() > limits::max_frame_bytes) {
        // Cannot happen while envelopes are capped at max_envelope_bytes; if it
        // does, the overhead constants in tuning.hpp are wrong.
        log(log_level::error, "changes frame over limit",
            {{"peer", peer_}, {"bytes", static_cast<std::uint64_t>(frame.size())}});
      }
      reply r;
      r.frames.push_back(std::move(frame));
      if (!more) r.caught_up = next;
      done(std::move(r));
    });
  });
}

void sync_handler::on_snapshot_put(proto::snapshot_put& m, done_fn done) {
  if (phase_ != phase::ready) return done(fail(errc::bad_state, "snapshot_put before welcome"));
  if (auto ok = may_read(); !ok) return done(fail(ok.err()));
  if (m.cursor == 0) return done(fail(errc::malformed, "snapshot cursor must be at least 1"));
  if (m.total == 0 || m.total > limits::max_snapshot_blob_bytes)
    return done(fail(errc::too_large, "snapshot total over max_snapshot_blob_bytes"));
  if (m.chunk.empty()) return done(fail(errc::malformed, "empty snapshot chunk"));
  if (m.chunk.size() > limits::max_snapshot_chunk || m.offset > m.total || m.chunk.size() > m.total - m.offset)
    return done(fail(errc::too_large, "snapshot chunk beyond total or max_snapshot_chunk"));
  svc_.run([this, space = space_, device = device_, m = std::move(m), done = std::move(done)](store& db) mutable {
    std::optional<error> err;
    snapshot_progress p;
    auto cur = db.cursor(space);
    if (!cur) {
      err = cur.err();
    } else if (m.cursor > cur.value()) {
      err = make_error(errc::malformed, "snapshot cursor is beyond the space's cursor");
    } else {
      auto r = db.put_snapshot_chunk(space, device, m.cursor, m.total, m.offset, m.chunk, tuning::snapshots_kept);
      if (r) p = r.value();
      else err = r.err();
    }
    svc_.complete([this, err = std::move(err), p, cursor = m.cursor, done = std::move(done)]() mutable {
      if (err) return done(fail(*err));
      if (p.complete) {
        stats_.snapshots_stored.fetch_add(1, std::memory_order_relaxed);
        log(log_level::info, "snapshot stored",
            {{"peer", peer_}, {"space", to_hex(space_)}, {"cursor", cursor}, {"bytes", p.received}});
      }
      reply r;
      r.frames.push_back(codec::encode(proto::snapshot_ack{cursor, p.received, p.complete}));
      done(std::move(r));
    });
  });
}

void sync_handler::on_snapshot_get(const proto::snapshot_get& m, done_fn done) {
  if (phase_ != phase::ready) return done(fail(errc::bad_state, "snapshot_get before welcome"));
  if (auto ok = may_read(); !ok) return done(fail(ok.err()));
  svc_.run([this, space = space_, m, done = std::move(done)](store& db) mutable {
    auto c = db.read_snapshot(space, m.cursor, m.offset, limits::max_snapshot_chunk);
    std::optional<error> err;
    bytes frame;
    if (!c) {
      err = c.err();
    } else {
      auto& v = c.value();
      frame = codec::encode(proto::snapshot{v.meta.cursor, v.meta.total, v.offset, std::move(v.data)});
    }
    svc_.complete([this, err = std::move(err), frame = std::move(frame), done = std::move(done)]() mutable {
      if (err) return done(fail(*err));
      stats_.snapshot_bytes_out.fetch_add(frame.size(), std::memory_order_relaxed);
      reply r;
      r.frames.push_back(std::move(frame));
      done(std::move(r));
    });
  });
}

// v3, keyring-first: the space's keyring records after `since`, read one by
// one at the sequences the membership noted (a panel has tens to hundreds),
// paged like a pull. Membership-gated like every read.
void sync_handler::on_keyring_get(const proto::keyring_get& m, done_fn done) {
  if (phase_ != phase::ready) return done(fail(errc::bad_state, "keyring_get before welcome"));
  if (auto ok = may_read(); !ok) return done(fail(ok.err()));
  const space_keyring* kr = keyrings_->find(space_);
  std::vector<std::uint64_t> want;
  for (auto it = kr->record_seqs.upper_bound(m.since); it != kr->record_seqs.end(); ++it) want.push_back(*it);
  std::size_t budget = limits::max_frame_bytes - tuning::changes_frame_overhead -
                       static_cast<std::size_t>(limits::max_pull_changes) * tuning::changes_item_overhead;
  svc_.run([this, space = space_, since = m.since, want = std::move(want), budget, done = std::move(done)](store& db) mutable {
    proto::keyring_page out;
    out.next = since;
    std::optional<error> err;
    std::size_t used = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (out.items.size() == limits::max_pull_changes) {
        out.more = true;
        break;
      }
      auto pg = db.changes_since(space, want[i] - 1, 1, budget);
      if (!pg) {
        err = pg.err();
        break;
      }
      auto& items = pg.value().items;
      if (items.empty() || items[0].server_seq != want[i]) continue;  // cannot happen short of a damaged store
      if (!out.items.empty() && used + items[0].envelope.size() > budget) {
        out.more = true;
        break;
      }
      used += items[0].envelope.size();
      out.items.push_back(proto::stored_change{want[i], std::move(items[0].envelope)});
      out.next = want[i];
    }
    bytes frame = err ? bytes{} : codec::encode(out);
    svc_.complete([this, err = std::move(err), frame = std::move(frame), done = std::move(done)]() mutable {
      if (err) return done(fail(*err));
      reply r;
      r.frames.push_back(std::move(frame));
      done(std::move(r));
    });
  });
}

reply sync_handler::recheck_membership() {
  if (phase_ != phase::ready) return {};
  if (auto ok = may_read(); !ok && ok.err().code == errc::revoked) return fail(ok.err());
  return {};
}

result<void> sync_handler::may_read() const {
  const space_keyring* k = keyrings_ ? keyrings_->find(space_) : nullptr;
  if (!k) return make_error(errc::storage, "the panel's membership is not loaded; retry");
  if (!k->state.secured()) return {};  // an open panel (the demo): no membership
  return k->state.may_write(device_);
}

}  // namespace packline::server
