// Client side of the sync protocol (schema/PROTOCOL.md): hello/auth, then one
// pull and one push in flight at a time. Refused remote changes are reported
// and kept by the replica (tried again at every welcome), so one bad change
// never stops the sync of everything else and none is skipped for good.
// Snapshots (v2, v3): an empty replica starts from the newest snapshot (in a
// secured panel: after the keyring records it needs to check and open it) and
// pulls the tail; a device that has applied limits::snapshot_every_changes
// since the newest snapshot uploads one. A snapshot that cannot be used is
// reported and the history is pulled instead: a snapshot never costs local data.
#include "packline/sync/sync.hpp"

#include <algorithm>
#include <cstdlib>

#include "packline/wire/codec.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/base/limits.hpp"

namespace packline {
namespace {

// Replica setting: the server cursor of the last snapshot this device
// uploaded or started from.
constexpr const char* last_snapshot_key = "sync.snapshot_cursor";

}  // namespace

const char* to_string(sync_state s) {
  switch (s) {
    case sync_state::offline: return "offline";
    case sync_state::connecting: return "connecting";
    case sync_state::syncing: return "syncing";
    case sync_state::synced: return "synced";
  }
  return "offline";
}

std::vector<bytes> sync_session::on_open() {
  phase_ = phase::hello_sent;
  push_in_flight_ = pull_in_flight_ = false;
  return {codec::encode(proto::hello{limits::protocol_version, r_.device_id(), r_.space()})};
}

void sync_session::on_close() {
  phase_ = phase::closed;
  in_contact_ = false;
  push_in_flight_ = pull_in_flight_ = false;
  if (download_) download_->in_flight = false;  // resumed after the next welcome
  upload_.reset();  // offered again from offset 0 when still due
}

sync_state sync_session::state() const {
  switch (phase_) {
    case phase::closed: return sync_state::offline;
    case phase::hello_sent:
    case phase::auth_sent: return sync_state::connecting;
    case phase::ready: break;
  }
  if (download_ || push_in_flight_ || pull_in_flight_ || server_cursor_ > r_.cursor() || r_.pending_count() > 0)
    return sync_state::syncing;
  return sync_state::synced;
}

std::vector<std::string> sync_session::take_rejections() { return std::exchange(rejections_, {}); }
std::optional<std::int64_t> sync_session::take_clock_offset() { return std::exchange(clock_offset_, std::nullopt); }
bool sync_session::take_dirty() { return std::exchange(dirty_, false); }

std::optional<transfer_progress> sync_session::snapshot_progress() const {
  if (!download_ || download_->keyring_phase) return std::nullopt;  // the bytes are all here
  return transfer_progress{download_->blob.size(), download_->total};
}

std::vector<bytes> sync_session::flush() { return phase_ == phase::ready ? next_frames() : std::vector<bytes>{}; }

// One frame's changes, in server order, as one storage transaction
// (replica::apply_page: signatures checked together). A refused change is
// reported and the cursor moves on: the replica keeps it in its refused list
// and tries it again at the next welcome (replica::retry_refused); a storage
// failure undoes the page so nothing is lost (it is pulled again).
result<void> sync_session::apply_page(const std::vector<proto::stored_change>& items, std::uint64_t now_ms) {
  std::vector<replica::page_change> page;
  std::uint64_t last = r_.cursor();
  for (auto& c : items)
    if (c.server_seq > last) {
      page.push_back({&c.envelope, c.server_seq});
      last = c.server_seq;
    }
  if (page.empty()) return {};
  return r_.batch([&]() -> result<void> {
    auto outcomes = r_.apply_page(page, now_ms);
    if (!outcomes) return outcomes.err();
    for (std::size_t i = 0; i < page.size(); ++i) {
      auto& a = (*outcomes)[i];
      if (!a) rejections_.push_back("change " + std::to_string(page[i].server_seq) + " refused: " + a.err().message);
      else if (*a == apply_status::applied) dirty_ = true;
    }
    return r_.set_cursor(last);
  });
}

// One chunk of the download. The chunks must follow each other exactly and
// stay within what the first one announced; anything else abandons the
// snapshot for a full pull.
void sync_session::on_snapshot(const proto::snapshot& m, std::uint64_t now_ms) {
  auto& d = *download_;
  d.in_flight = false;
  if (d.cursor == 0 && m.cursor == 0 && m.total == 0) {  // the space has no snapshot
    download_.reset();
    snapshot_tried_ = true;
    return;
  }
  bool first = d.cursor == 0;
  bool fits = m.offset == d.blob.size() && !m.chunk.empty() && m.chunk.size() <= m.total - std::min(m.total, m.offset) &&
              m.total <= limits::max_snapshot_blob_bytes;
  bool same = first ? m.cursor >= 1 && m.cursor <= server_cursor_ && m.offset == 0
                    : m.cursor == d.cursor && m.total == d.total;
  if (!fits || !same) return abandon_download("the server sent a snapshot chunk out of order");
  d.cursor = m.cursor;
  d.total = m.total;
  append(d.blob, m.chunk);
  if (d.blob.size() < d.total) return;
  // v3: the keyring comes next (next_frames asks for it); v2 has none.
  if (server_snapshot_) d.keyring_phase = true;
  else finish_download(now_ms);
}

// A page of the keyring records (keyring-first). They are only kept here:
// the replica applies them with the blob, all or nothing.
void sync_session::on_keyring(const proto::keyring_page& m, std::uint64_t now_ms) {
  auto& d = *download_;
  d.in_flight = false;
  for (auto& c : m.items) {
    if (c.server_seq <= d.records_next) return abandon_download("the server sent keyring records out of order");
    d.records_next = c.server_seq;
    d.records.push_back(c);
  }
  server_cursor_ = std::max(server_cursor_, d.records_next);
  if (!m.more || m.items.empty()) finish_download(now_ms);
}

void sync_session::finish_download(std::uint64_t now_ms) {
  download d = std::move(*download_);
  download_.reset();
  snapshot_tried_ = true;
  // The replica is as it was when the snapshot is refused.
  auto started = r_.start_from_blob(d.blob, d.records, now_ms);
  if (!started) {
    rejections_.push_back("snapshot " + std::to_string(d.cursor) + " not used (" + started.err().message +
                          "); pulling the whole history instead");
    return;
  }
  dirty_ = true;
  (void)r_.set_setting(last_snapshot_key, std::to_string(*started));  // only delays the next upload if lost
}

void sync_session::abandon_download(const std::string& why) {
  rejections_.push_back("snapshot not used (" + why + "); pulling the whole history instead");
  download_.reset();
  snapshot_tried_ = true;
}

std::vector<bytes> sync_session::next_frames() {
  std::vector<bytes> out;
  // A device redeeming an invite is not a member until the server has its
  // join, and the server refuses its pulls until then: push first.
  bool joining = r_.joining() && r_.pending_count() > 0;
  if (download_) {
    // The snapshot decides where pulling starts: no pull until it is done.
    // A joining device is not a member (may not read) until its join is stored.
    if (!download_->in_flight && !joining) {
      if (download_->keyring_phase) out.push_back(codec::encode(proto::keyring_get{download_->records_next}));
      else out.push_back(codec::encode(proto::snapshot_get{download_->cursor, download_->blob.size()}));
      download_->in_flight = true;
    }
  } else if (!pull_in_flight_ && server_cursor_ > r_.cursor() && !joining) {
    out.push_back(codec::encode(proto::pull{r_.cursor(), limits::max_pull_changes}));
    pull_in_flight_ = true;
  }
  // A secured panel's device pulls before it pushes: a rotation it has not
  // seen re-seals its unsent changes (replica::reseal_pending) first, since
  // the server refuses a superseded epoch.
  bool behind = pull_in_flight_ || download_ || server_cursor_ > r_.cursor();
  if (!push_in_flight_ && !(behind && !joining && r_.secured())) {
    // Fill a push up to the envelope count and frame size limits.
    auto envs = r_.pending(limits::max_push_envelopes);
    std::size_t total = 64;
    std::size_t n = 0;
    while (n < envs.size() && total + envs[n].size() + 8 <= limits::max_frame_bytes) total += envs[n++].size() + 8;
    envs.resize(n);
    if (!envs.empty()) {
      out.push_back(codec::encode(proto::push{std::move(envs)}));
      push_in_flight_ = true;
    }
  }
  offer_upload(out);
  return out;
}

std::uint64_t sync_session::last_snapshot() {
  std::string v = r_.setting(last_snapshot_key);
  return v.empty() ? 0 : std::strtoull(v.c_str(), nullptr, 10);
}

// Open panel: no keyring. A founding or joining device holds a key or an
// invite before the keyring says "secured".
bool sync_session::open_panel() { return !r_.secured() && r_.write_epoch() == 0 && !r_.joining(); }

// An empty replica whose server has history and (v3) a snapshot: try the
// newest snapshot first. A v2 server cannot send a secured panel's keyring.
bool sync_session::wants_snapshot() {
  if (snapshot_tried_ || server_cursor_ == 0 || r_.cursor() != 0) return false;
  if (!server_snapshot_) return open_panel() && r_.pending_count() == 0 && r_.waiting_count() == 0;
  return *server_snapshot_ > 0 && r_.holds_no_data();
}

// Uploads a snapshot when this device is caught up (so the image is exactly
// the server's changes up to its cursor: no own change unacknowledged, none
// waiting for a predecessor or a key) and has applied enough changes since the
// newest snapshot it knows of: its own last one, or the server's at welcome
// (so two devices do not both upload at the same threshold).
void sync_session::offer_upload(std::vector<bytes>& out) {
  if (upload_ || upload_failed_ || download_ || pull_in_flight_ || push_in_flight_) return;
  if (!server_snapshot_ && !open_panel()) return;
  std::uint64_t cursor = r_.cursor();
  std::uint64_t newest = std::max(last_snapshot(), server_snapshot_.value_or(0));
  if (cursor == 0 || server_cursor_ > cursor || cursor < newest + limits::snapshot_every_changes) return;
  if (r_.pending_count() != 0 || r_.waiting_count() != 0 || !r_.can_snapshot()) return;
  auto blob = r_.snapshot_blob();
  if (!blob) {
    upload_failed_ = true;
    return;
  }
  upload_ = upload{cursor, std::move(*blob)};
  out.push_back(put_chunk(0));
}

// The snapshot_put of the upload's chunk at `offset` (one in flight).
bytes sync_session::put_chunk(std::uint64_t offset) {
  auto& u = *upload_;
  std::size_t n = std::min<std::size_t>(limits::max_snapshot_chunk, u.blob.size() - offset);
  auto from = u.blob.begin() + static_cast<std::ptrdiff_t>(offset);
  return codec::encode(proto::snapshot_put{u.cursor, u.blob.size(), offset, bytes(from, from + static_cast<std::ptrdiff_t>(n))});
}

result<std::vector<bytes>> sync_session::on_frame(const bytes& frame, std::uint64_t now_ms) {
  auto m = codec::decode(frame);
  if (!m) return m.err();
  // The host locked the replica past its lease: reconnect to reopen it.
  if (phase_ == phase::ready && r_.locked())
    return make_error(errc::lease_expired, "the offline lease ran out; reconnecting to reopen this tablet's copy");
  auto out = std::visit(
      [&](auto& msg) -> result<std::vector<bytes>> {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, proto::challenge>) {
          if (phase_ != phase::hello_sent) return make_error(errc::bad_state, "unexpected challenge");
          bytes sp = r_.space();
          if (!sp.empty() && sp != msg.space) return make_error(errc::wrong_space, "the server offered another panel");
          phase_ = phase::auth_sent;
          auto lease = r_.lease_offer();  // v5: kept by the server for this device (the offline lease)
          if (!lease) return lease.err();
          return std::vector<bytes>{
              codec::encode(proto::auth{r_.key_sign(proto::auth_transcript(msg.nonce, msg.space)), std::move(*lease)})};
        } else if constexpr (std::is_same_v<T, proto::welcome>) {
          if (phase_ != phase::auth_sent) return make_error(errc::bad_state, "unexpected welcome");
          // A copy locked past its lease opens only with the secret the
          // server hands back after our signature; the lease starts anew.
          bool was_locked = r_.locked();
          auto lease = r_.welcome_lease(msg.lease, now_ms);
          if (!lease) return lease.err();
          in_contact_ = *lease;
          if (was_locked) dirty_ = true;  // the whole panel is back
          PL_TRY(r_.set_space(msg.space));
          // v4: how far the host's clock is from the server's (for the UI).
          if (msg.time) clock_offset_ = static_cast<std::int64_t>(*msg.time) - static_cast<std::int64_t>(now_ms);
          // A join not yet pushed carries the server's time, not the
          // tablet's: a tablet whose clock is far off still joins.
          if (msg.time) PL_TRY(r_.restamp_join(*msg.time));
          // What this replica refused before gets another chance (e.g. a
          // change that failed with a since-fixed bug, or once a key came).
          auto retried = r_.retry_refused(now_ms);
          if (!retried) return retried.err();
          if (*retried > 0) dirty_ = true;
          phase_ = phase::ready;
          server_cursor_ = msg.cursor;
          server_snapshot_ = msg.snapshot;
          // A download cut by the last reconnect resumes, unless the replica
          // has something of its own by now (it then pulls everything).
          if (!wants_snapshot()) download_.reset();
          else if (!download_) download_.emplace();
          if (!download_ && server_cursor_ <= r_.cursor()) PL_TRY(r_.tend_keys(msg.time.value_or(now_ms)));
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::ack>) {
          if (phase_ != phase::ready || !push_in_flight_) return make_error(errc::bad_state, "unexpected ack");
          bool was_joining = r_.joining();
          // Our own change right after the cursor moves it: the replica has
          // every change up to it (so a device writing alone reaches the
          // snapshot threshold too).
          // In a secured panel too: every change before it is here, which is
          // what settling our own keyring records needs (replica::settle_acked).
          // Not for a joining device: its join lands after history it lacks.
          bool advance = !download_ && !r_.joining();
          for (auto& a : msg.entries) {
            PL_TRY(r_.acked(a.actor, a.seq, a.server_seq));
            if (advance && a.server_seq == r_.cursor() + 1) PL_TRY(r_.set_cursor(a.server_seq));
          }
          // The join is stored: the keyring (and our keys) come with the pull.
          if (was_joining) server_cursor_ = std::max(server_cursor_, r_.cursor() + 1);
          push_in_flight_ = false;
          dirty_ = true;  // pending count changed
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::changes>) {
          if (phase_ != phase::ready || !pull_in_flight_) return make_error(errc::bad_state, "unexpected changes");
          PL_TRY(apply_page(msg.items, now_ms));
          if (msg.next > r_.cursor()) PL_TRY(r_.set_cursor(msg.next));
          server_cursor_ = std::max(server_cursor_, r_.cursor() + (msg.more ? 1 : 0));
          pull_in_flight_ = false;
          if (!msg.more) PL_TRY(r_.tend_keys(now_ms));
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::live>) {
          // v2: changes sent unasked once caught up. Applied when they follow
          // what we have; after a gap (prev beyond our cursor) we pull instead.
          if (phase_ != phase::ready) return make_error(errc::bad_state, "unexpected live");
          std::uint64_t last = msg.items.empty() ? msg.prev : msg.items.back().server_seq;
          if (msg.prev > r_.cursor()) {
            server_cursor_ = std::max(server_cursor_, last);
            return next_frames();
          }
          PL_TRY(apply_page(msg.items, now_ms));
          server_cursor_ = std::max(server_cursor_, r_.cursor());
          PL_TRY(r_.tend_keys(now_ms));
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::snapshot>) {
          if (phase_ != phase::ready || !download_ || !download_->in_flight)
            return make_error(errc::bad_state, "unexpected snapshot");
          if (download_->keyring_phase) return make_error(errc::bad_state, "unexpected snapshot");
          on_snapshot(msg, now_ms);
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::keyring_page>) {
          if (phase_ != phase::ready || !download_ || !download_->keyring_phase || !download_->in_flight)
            return make_error(errc::bad_state, "unexpected keyring_page");
          on_keyring(msg, now_ms);
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::snapshot_ack>) {
          if (phase_ != phase::ready) return make_error(errc::bad_state, "unexpected snapshot_ack");
          // An upload given up after a storage error may still be answered.
          if (!upload_ || msg.cursor != upload_->cursor) return std::vector<bytes>{};
          if (!msg.complete) {
            if (msg.received >= upload_->blob.size()) return make_error(errc::bad_state, "snapshot_ack beyond the upload");
            return std::vector<bytes>{put_chunk(msg.received)};  // from where the server is
          }
          PL_TRY(r_.set_setting(last_snapshot_key, std::to_string(upload_->cursor)));
          upload_.reset();
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::notify>) {
          if (phase_ != phase::ready) return make_error(errc::bad_state, "unexpected notify");
          server_cursor_ = std::max(server_cursor_, msg.cursor);
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::error>) {
          if (msg.code == static_cast<std::uint32_t>(errc::storage)) {
            // The server could not store (or read) it: retry. A snapshot
            // chunk is offered again later; a download asks again.
            push_in_flight_ = false;
            upload_.reset();
            if (download_) download_->in_flight = false;
            return std::vector<bytes>{};
          }
          if (msg.code == proto::error_superseded) {
            // The panel moved to a new key between our pull and our push:
            // pull it (which re-seals what we have not sent), then push again.
            push_in_flight_ = false;
            std::vector<bytes> out;
            if (!pull_in_flight_ && !download_) {
              out.push_back(codec::encode(proto::pull{r_.cursor(), limits::max_pull_changes}));
              pull_in_flight_ = true;
            }
            return out;  // the answer to the pull pushes again
          }
          if (msg.code == proto::error_gone && download_ && download_->in_flight) {
            // The snapshot being fetched was replaced: start on the newest.
            if (++download_->restarts > limits::max_snapshot_restarts) {
              abandon_download("snapshots kept being replaced during the download");
            } else {
              std::uint32_t restarts = download_->restarts;
              download_ = download{};
              download_->restarts = restarts;
            }
            return next_frames();
          }
          return make_error(proto::from_wire(msg.code), "the server refused: " + msg.text);
        } else {
          return make_error(errc::bad_state, "the server sent a message only clients send");
        }
      },
      *m);
  // Every frame of an authenticated session is contact with the server.
  if (out && phase_ == phase::ready && in_contact_) PL_TRY(r_.renew_lease(now_ms));
  return out;
}

}  // namespace packline
