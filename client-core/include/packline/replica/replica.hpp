// A device's replica: the change log, LWW registers and the materialised
// tables of schema/replica, in an in-memory SQLite database. No I/O: the host
// persists the bytes of save() and hands them back to open(); time comes in as
// now_ms arguments. Not thread-safe: one owner drives it.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "packline/wire/change.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/crypto/keyring.hpp"
#include "packline/base/result.hpp"
#include "packline/crdt/text.hpp"

namespace packline {

namespace proto { struct stored_change; }
class db;
class stmt;

// A materialised row as field → value, with its id.
struct row {
  bytes id;
  std::vector<std::pair<std::string, value>> fields;
  const value* get(std::string_view f) const;
  std::string text(std::string_view f) const;  // "" unless a string
};

// applied: in the state now; duplicate: known already; waiting: held until
// its causal predecessors arrive (then applied without another call).
enum class apply_status { applied, duplicate, waiting };

// A field with concurrent writes: the materialised winner and the others.
struct conflict {
  bytes row;
  std::string field;
  value winner;
  std::vector<value> others;
};

class replica {
 public:
  // A new empty replica for a device whose secret is the 32-byte seed.
  static result<std::unique_ptr<replica>> create(const bytes& device_seed);
  // A new device starting from another replica's snapshot(); it then pulls
  // the changes after the snapshot's cursor.
  static result<std::unique_ptr<replica>> from_snapshot(const bytes& device_seed, const bytes& snapshot);
  // Reopen from bytes produced by save(); corrupt bytes give corrupt_replica.
  static result<std::unique_ptr<replica>> open(const bytes& image);
  ~replica();

  result<bytes> save();
  // Writes the rows changes left in memory to the tables. Reads and save()
  // do it themselves; a host may call it to time or bound the work.
  result<void> flush() { return flush_rows(); }

  const bytes& device_id() const { return key_.public_key(); }
  // Signs with the device key (the auth challenge).
  bytes key_sign(const bytes& msg) const { return key_.sign(msg); }
  bytes space();
  result<void> set_space(const bytes& space16);
  // Free-form local settings (e.g. which member signed in on this device).
  std::string setting(const std::string& key);
  result<void> set_setting(const std::string& key, const std::string& value);

  // Local transaction: assigns seq, HLC, deps and each set's pred, signs,
  // logs as pending, applies. Writing a field that has conflicts resolves them.
  result<std::uint64_t> commit(std::vector<op> ops, std::uint64_t now_ms);
  // Long work off the page's thread: a copy of this replica (save()'s image,
  // opened elsewhere, e.g. in the webapp's publish worker) commits changes;
  // own_changes_from(next_seq()) are those changes' envelopes, and
  // adopt_own() takes each back here as if commit() had made it: logged as
  // pending, applied, the clock and text counters moved on. Only this
  // device's next change is adopted, and only when everything it depends on
  // is here; anything else is errc::bad_state (the caller then does the work
  // here instead), and nothing changes.
  std::uint64_t next_seq() const { return next_seq_; }
  result<std::vector<bytes>> own_changes_from(std::uint64_t seq);
  result<void> adopt_own(const bytes& envelope_bytes, std::uint64_t now_ms);

  // Long text (text CRDT; long_text() fields only): replace `del` code points at `pos` with `insert`.
  result<std::uint64_t> edit_text(const std::string& table, const bytes& row, const std::string& field,
                                  std::size_t pos, std::size_t del, const std::string& insert, std::uint64_t now_ms);
  // Sets a long-text field to `text` as the smallest edit from its current text
  // (common prefix and suffix kept), so concurrent edits elsewhere survive.
  result<std::uint64_t> set_text(const std::string& table, const bytes& row, const std::string& field,
                                 const std::string& text, std::uint64_t now_ms);
  // Ops for set_text without committing (to add to a larger transaction).
  // With `key` the field is sealed text (see words_key): its current text is
  // read with the key and the inserted text is sealed under it.
  result<std::vector<op>> text_ops(const std::string& table, const bytes& row, const std::string& field,
                                   const std::string& text, const crypto::secret* key = nullptr);
  // The field's text; sealed text is read with its `key`. A field holding
  // characters under several keys (keyed_text) reads as its open ones.
  std::string text(const std::string& table, const bytes& row, const std::string& field,
                   const crypto::secret* key = nullptr);

  // Text under several keys (a note's body, whose readers change with its
  // visibility): a character's counter carries the slot of the key it is
  // sealed under in its bits from text_slot_shift up (slot 0: open text),
  // so every character says which key opens it and two tablets typing under
  // different keys still merge. Keys are given by slot; the materialised
  // column holds the open characters only.
  using text_keys = std::map<std::uint32_t, crypto::secret>;
  static constexpr unsigned text_slot_shift = 40;
  // The text as `keys` read it: open characters, and sealed ones whose
  // slot's key is given; the others are left out and counted in `hidden`.
  std::string keyed_text(const std::string& table, const bytes& row, const std::string& field, const text_keys& keys,
                         std::size_t* hidden = nullptr);
  // Ops (not committed) that make the field read `text`, new characters
  // typed under keys.at(slot) (slot 0: open). `retype`: every character is
  // removed and `text` typed anew, so none stays under a key its new readers
  // hold or its old readers held. errc::no_key when `keys` do not open every
  // character (an edit would lose what it cannot read), or lack `slot`.
  result<std::vector<op>> keyed_text_ops(const std::string& table, const bytes& row, const std::string& field,
                                         const std::string& text, const text_keys& keys, std::uint32_t slot,
                                         bool retype);

  // Fields of a table (optionally one row) with concurrent writes of
  // different values (equal concurrent values are not reported).
  result<std::vector<conflict>> conflicts(const std::string& table, const bytes& row = {});

  // The whole state without history; see from_snapshot.
  result<bytes> snapshot();
  // from_snapshot in place, for a replica that already has its owner (a sync
  // session): only a replica that holds_no_data() takes one (in a secured
  // panel it holds the keyring up to the snapshot's cursor: start_from_blob).
  // A refused or damaged snapshot (bad_state, wrong_space, malformed) leaves
  // the replica as it was.
  result<void> load_snapshot(const bytes& snapshot);
  // Changes held waiting for predecessors.
  std::size_t waiting_count();

  // ---- snapshot blobs (protocol v3; snapshot.cpp) ---------------------------
  // Nothing here but keyring records (e.g. a new device's own join): no change
  // made or applied, none held for a key or a predecessor, cursor 0. Such a
  // replica can start from a snapshot.
  bool holds_no_data();
  // Whether snapshot_blob() can describe the server's changes up to cursor():
  // not locked or joining, nothing held for its epoch key, and in a secured
  // panel the key of the keyring's epoch is here (the caller also checks that
  // nothing is pending or waiting and that it is caught up).
  bool can_snapshot();
  // The blob to upload (codec::encode_snapshot_blob): snapshot() sealed under
  // the space key of the keyring's current epoch in a secured panel (as is in
  // an open one), signed by this device.
  result<bytes> snapshot_blob();
  // Starts a replica that holds_no_data() from a downloaded blob. `records`
  // are the space's keyring records in server order (keyring_get; empty from
  // a v2 server): those up to the blob's cursor are applied first (the
  // keyring as of the snapshot), later ones only give up keys sealed to this
  // device (e.g. the admin's grant of an older epoch after our join). The blob
  // must be signed by a device of the panel as of its cursor (in an open
  // panel: by the device it names) and sealed under an epoch the keyring had
  // reached. On a refusal (plain-words error) nothing is applied. Returns the
  // snapshot's cursor.
  result<std::uint64_t> start_from_blob(const bytes& blob, const std::vector<proto::stored_change>& records,
                                        std::uint64_t now_ms);

  // A change from the server. Idempotent: a known (actor, seq) is a duplicate.
  result<apply_status> apply(const bytes& envelope_bytes, std::uint64_t server_seq,
                             std::uint64_t now_ms);
  // A page of changes from the server, in server order, applied as one
  // batch: each envelope is decoded once and all signatures are checked
  // together (on several cores where the platform has threads), then the
  // changes apply in order. One outcome per change, as apply() would give
  // it; a storage error undoes the whole page and is returned instead.
  struct page_change {
    const bytes* envelope;
    std::uint64_t server_seq;
  };
  result<std::vector<result<apply_status>>> apply_page(const std::vector<page_change>& page, std::uint64_t now_ms);

  // Runs `f` (applies, commits, set_cursor: e.g. a page of pulled changes) as
  // one storage transaction (rows are kept in memory and written back
  // lazily, before the tables are read or the replica saved). A change that fails inside
  // still fails alone; if `f` returns an error or storage fails, the whole
  // batch is undone.
  template <class F>
  result<void> batch(F&& f) {
    if (auto b = begin_batch(); !b) return b;
    return end_batch(f());
  }

  // A remote change this replica refused (apply, apply_page, or a held one
  // that failed once its predecessors came), with the reason in plain words.
  // The pull cursor moves past it, so it is kept here: nothing is skipped for
  // good. `final`: the panel's rules refused it as of its place in server
  // order, which every replica judges alike (it is known, never applied);
  // the others are tried again by retry_refused.
  struct refused_change {
    std::uint64_t server_seq = 0;
    bytes actor;  // empty when the envelope did not decode (seq is then server_seq)
    std::uint64_t seq = 0;
    std::string reason;
    bool final = false;
  };
  result<std::vector<refused_change>> refused_changes();
  // Applies again, in server order, every refused change that is not final;
  // those refused again stay listed. Returns how many applied (or are held
  // for a predecessor) now. A sync session calls it at every welcome.
  result<std::size_t> retry_refused(std::uint64_t now_ms);

  // Own changes the server has not acknowledged, oldest first.
  std::vector<bytes> pending(std::size_t max);
  std::size_t pending_count();
  result<void> acked(const bytes& actor, std::uint64_t seq, std::uint64_t server_seq);

  // Per device, the time (its HLC wall clock) of the newest change from it
  // that this replica holds; refused changes and unsigned-for-time records
  // do not count. What the admin device shows as "last change seen".
  std::map<bytes, std::uint64_t> last_change_ms();

  // Highest server sequence applied from pulls (pull from here).
  std::uint64_t cursor();
  result<void> set_cursor(std::uint64_t c);

  // Materialised rows of a table (not deleted, unless `with_deleted`),
  // optionally where field == value, ordered by `order_by` (a field name) then id.
  result<std::vector<row>> rows(const std::string& table, const std::string& where_field = {},
                                const value& equals = {}, const std::string& order_by = {}, bool with_deleted = false);

  // SHA-256 over every materialised table and the registers, in a canonical
  // order (convergence checks).
  bytes digest();

  // ---- keys, membership, lease and the replica at rest ----------
  // Implemented in keys.cpp, keyring_records.cpp, membership.cpp and lease.cpp. A space is *secured* once its genesis
  // keyring record is applied: from then on every change is sealed under the
  // current epoch's space key, and every remote change is checked against
  // the keyring (member device, epoch) and the panel's rules before it applies.

  // Founds a secured panel in the new space `space16` (no change yet): this
  // device holds the admin key and is enrolled as `member` with `role`, and
  // holds epoch 1's space key. Committed as keyring records; push them.
  result<void> found_space(const bytes& space16, const bytes& member, const std::string& role, std::uint64_t now_ms);
  bool secured() const;
  bool is_admin() const;
  const keyring::state& keyring() const;
  // This device's member id and role per the keyring (founder: before its
  // records came back); empty / "" in an open panel.
  bytes my_member() const;
  std::string my_role() const;
  // The epoch new changes are sealed under (0: plaintext, open panel).
  std::uint32_t write_epoch() const;
  // Admin: a one-time invite for `member` with `role`, valid until now + ttl.
  // Returns the code to hand over (keyring::format_invite).
  result<std::string> create_invite(const bytes& member, const std::string& role, std::uint64_t now_ms,
                                    std::uint64_t ttl_ms = keyring::default_invite_ms);
  // A new device (no change yet): joins the invite's space by committing the
  // join; the server accepts it as a member once it has stored the join.
  result<void> redeem_invite(const std::string& code, std::uint64_t now_ms);
  // True while this device's join is not yet acknowledged (push before pull).
  bool joining();
  // Admin: remove a member (all its devices) or revoke one device; both start
  // a new epoch whose key only the remaining devices receive.
  result<void> remove_member(const bytes& member, std::uint64_t now_ms);
  result<void> revoke_device(const bytes& device, std::uint64_t now_ms);
  // This device's own keyring records not applied yet (not acknowledged by
  // the server, or waiting for what the server stored before them), in the
  // order made: e.g. a revocation made offline, which the keyring does not
  // show until the server has it.
  std::vector<keyring::record> unapplied_records();
  // Admin: the panel's offline lease.
  result<void> set_lease(std::uint64_t lease_ms, std::uint64_t now_ms);
  // Admin: a member's role.
  result<void> set_member_role(const bytes& member, const std::string& role, std::uint64_t now_ms);
  // The keyring has moved to an epoch whose key this device does not hold
  // yet (the admin's device grants it): it reads nothing sealed under that
  // epoch and holds back its own changes until the grant arrives ("Waiting
  // for the panel's new key"); the grant re-seals them and opens what waited.
  bool waiting_for_key();
  // Run by the sync session once caught up. A device waiting for a key that
  // no record grants it asks for it (a key_request, once per epoch). The
  // admin's device starts a new epoch when an invite sealed to the current
  // one has been used or has expired by `now_ms`, so a used or lost invite
  // code opens nothing the panel writes afterwards.
  result<void> tend_keys(std::uint64_t now_ms);
  // Replaces this device's join, not yet on the server, by one dated
  // `server_ms` (the server's clock from its welcome): admission then does
  // not depend on the tablet's own clock.
  result<void> restamp_join(std::uint64_t server_ms);

  // Private content: values sealed under this device's member key (only the
  // member's own devices hold it; other replicas keep the ciphertext).
  result<bytes> seal_private(const std::string& plaintext);
  // The plaintext, or errc::no_key when this device is not the member's.
  result<std::string> open_private(const bytes& sealed) const;
  static bool is_private(const value& v);
  // Sealed long text: a member's private words of one row (a draft in a
  // secured panel) kept in the same text CRDT as open text. Each character
  // is stored moved by a keyed pseudo-random pad of its character id over the
  // Unicode scalar values, so every replica holds, merges and hashes the same
  // text while only a holder of the key reads it (a row holding sealed text
  // materialises its long-text columns as ""). The key of `row` is derived
  // from `member`'s member key, so only that member's devices hold it (until
  // the member discloses it, e.g. on submitting the draft);
  // errc::no_key on any other device.
  result<crypto::secret> words_key(const bytes& member, const bytes& row) const;
  // Group keys (a priority's leads): a new random key sealed with
  // crypto_box_seal to every current device of each of `members`, as
  // `wraps` (per device: its 32-byte key, then the 80-byte seal), and the
  // key itself for the caller to use and forget. Only what the keyring
  // lists as current devices is sealed to, so a removed device gets none.
  struct group_key_made {
    crypto::secret key;
    bytes wraps;
  };
  result<group_key_made> make_group_key(const std::vector<bytes>& members) const;
  // The key `wraps` seal to this device; errc::no_key when none does (or
  // the replica is locked past its lease).
  result<crypto::secret> open_group_key(const bytes& wraps) const;

  // ---- the offline lease --------------------------------------------------
  // In a secured panel the sealed copy (save_sealed) opens only with the
  // passphrase AND this device's lease secret: 32 random bytes the device
  // keeps in memory, caches in the copy until the lease ends, and hands the
  // server sealed to its own key at every auth. Past the lease the cache is
  // dropped and the copy comes back *locked*: an empty replica holding only
  // the device key and the space, which can do nothing but sync. The server
  // returns the secret in its welcome only after the device's signature
  // verified and only to a current device, so a crafted welcome or no server
  // at all reopens nothing, and a revoked device never opens its copy again.

  // The sealed lease secret for auth (empty when locked or not in a secured
  // panel; a secured replica makes its secret on first use).
  result<bytes> lease_offer();
  // The server's welcome with `sealed_lease` (empty: the server keeps none
  // for this device). A locked replica opens its copy with it and becomes
  // the whole replica again (same object); one that stays locked gets
  // errc::lease_expired. The lease starts anew only when the welcome
  // carried this device's own secret, which only the server hands back:
  // returns whether it did (or the panel has no lease).
  result<bool> welcome_lease(const bytes& sealed_lease, std::uint64_t now_ms);
  // Contact goes on (a frame of a session whose welcome_lease was true):
  // the lease starts anew.
  result<void> renew_lease(std::uint64_t now_ms);
  bool lease_expired(std::uint64_t now_ms);
  // Locks a replica whose lease has run out (a host calls it on a timer and
  // before showing content): the image is sealed and put away, the secret
  // dropped. Returns whether the replica is locked now.
  result<bool> lock_if_expired(std::uint64_t now_ms);
  // Locked: the lease expired; only sync may run.
  bool locked();

  // At rest: sealed images (at_rest.hpp) under a passphrase-derived key kept
  // in memory. open_sealed checks the lease: past it the copy comes back
  // locked (save it, which drops the cached secret on disk, then sync).
  static result<std::unique_ptr<replica>> open_sealed(const bytes& sealed, std::string_view passphrase,
                                                      std::uint64_t now_ms);
  result<void> set_passphrase(std::string_view passphrase);
  bool has_passphrase() const;
  result<bytes> save_sealed();

 private:
  struct row_work;
  struct row_cache;
  result<void> begin_batch();
  result<void> end_batch(result<void> outcome);
  replica(std::unique_ptr<db> d, crypto::signing_key k);
  // Takes over another replica's whole state (locking and unlocking keep
  // the object, which a sync session and the host hold).
  replica& operator=(replica&& other);
  result<void> load_state();
  result<void> load_counters();
  // Moves the values of the body's set ops into the rows.
  result<void> apply_ops(change_body& body, const bytes& actor);
  // Writes back the cache's changed rows (before any read of the tables).
  result<void> flush_rows();
  // The cached row; `table` must be a key of columns_.
  result<row_work*> work_for(const std::string& table, const bytes& row);
  // Before a cached row changes (journal, dirty).
  void changing(row_work& w, std::size_t reg = ~std::size_t{0});  // reg: see replica.cpp
  result<void> set_field(row_work& w, op& o, const hlc_timestamp& hlc, std::uint64_t writer);
  result<void> flush_row(row_work& w);
  result<value> stored(const row_work& w, const std::string& field);
  result<void> set_unknown(const op& o, const hlc_timestamp& hlc, const bytes& writer);
  result<std::vector<reg_ref>> current_writes(const op& o);
  result<void> upgrade_v2_registers();
  result<void> upgrade_v3_conflicts();
  result<void> upgrade_v7_texts();
  // A register write of a long-text field (an older client's change, a file
  // from schema v7): its text replaces the field's text, as text edits.
  result<void> text_from_register(const op& o, const hlc_timestamp& hlc, std::uint64_t writer);
  result<void> materialise(const std::string& table, const bytes& row, const std::string& field, const value& v);
  // The row holds sealed text (its sealed_words field is 1).
  result<bool> sealed_row(row_work& w);
  result<text_doc*> doc(const std::string& table, const bytes& row, const std::string& field);
  // text_ops and keyed_text_ops: `lock` opens and seals characters.
  struct text_lock;
  result<std::vector<op>> edit_ops(const std::string& table, const bytes& row, const std::string& field,
                                   const std::string& text, text_lock& lock, std::uint32_t slot, bool retype);
  result<void> upgrade_v11_notes();
  result<void> store_doc(const std::string& table, const bytes& row, const std::string& field);
  bool applied(const bytes& actor, std::uint64_t seq);
  // Whether (actor, seq) is in the change log, and if so whether the server
  // has not acknowledged it yet (an own change).
  struct log_entry {
    bool exists;
    bool unacked;
  };
  result<log_entry> in_log(const bytes& actor, std::uint64_t seq);
  std::map<bytes, std::uint64_t> prefixes_;  // known_prefix, per actor
  std::uint64_t& known_prefix(const bytes& actor);
  void note_applied(const bytes& actor, std::uint64_t seq);
  // The first causal predecessor not applied yet, if any.
  std::optional<change_ref> missing_dep(const bytes& actor, std::uint64_t seq, const change_body& body);
  // own: this device's change made in a copy (adopt_own), logged as pending.
  result<void> apply_change(const envelope& e, const bytes& env_bytes, change_body& body,
                            std::uint64_t server_seq, std::uint64_t now_ms, bool own = false);
  result<void> drain_waiting(const bytes& actor, std::uint64_t seq, std::uint64_t now_ms);
  result<std::vector<change_ref>> heads();
  // Secured panels (replica_keys.cpp).
  struct keys;
  std::unique_ptr<keys> keys_;
  result<void> load_keys();
  result<void> seal_change(envelope& e, bytes body);  // body: the encoded change_body
  result<change_body> open_change(const envelope& e);
  result<void> check_remote(const envelope& e, const change_body& body);
  result<apply_status> apply_record(const envelope& e, const bytes& env_bytes, std::uint64_t server_seq, std::uint64_t now_ms);
  result<void> record_refused(const envelope& e, const bytes& env_bytes, std::uint64_t server_seq);
  result<std::uint64_t> commit_record(keyring::record r, std::uint64_t now_ms);
  // An admin record: placed after the chain's tip (chain_tip), signed with
  // the admin key, committed.
  result<std::uint64_t> commit_admin(keyring::record r, std::uint64_t now_ms);
  // The keyring head after this device's own records not applied yet.
  bytes chain_tip();
  result<void> record_side_effects(const keyring::record& r, const bytes& actor);
  result<void> store_epoch_key(std::uint32_t epoch, const crypto::secret& k);
  result<void> rotate(std::uint64_t now_ms, const bytes& without_member, const bytes& without_device);
  // Admin: seals the key of `epoch` to `device` in a grant record, unless a
  // record gave it that key already (or it is no current device).
  result<void> grant_key(const bytes& device, std::uint32_t epoch);
  result<void> reseal_pending();
  result<void> hold_sealed(const envelope& e, const bytes& env_bytes, std::uint64_t server_seq);
  result<void> retry_sealed(std::uint64_t now_ms);
  result<void> settle_acked();
  bool stored_before_out(const envelope& e);
  // The cursor of the snapshot this replica started from (0: none).
  std::uint64_t snapshot_cursor();
  // The server_seq of the change being judged when it is applied out of
  // server order (held for a key, or waiting); 0 when applied in order.
  std::uint64_t judged_at(const envelope& e);
  // The role of `device` (now `now_role`) when the server stored `e`.
  std::string role_as_of(const envelope& e, const std::string& now_role);
  // The panel's epoch when the server stored `e`.
  std::uint32_t epoch_as_of(const envelope& e);
  // What a keyring record changed of devices, kept with its server_seq.
  struct device_notes_t {
    std::vector<bytes> out;                              // taken out (remove/revoke)
    std::vector<std::pair<bytes, std::string>> roles;   // (device, its role before a role record)
    std::uint32_t epoch = 0;                             // an epoch record: the epoch it starts
  };
  static device_notes_t device_notes(const keyring::state& kr, const keyring::record& r);  // read before it applies
  void keep_notes(const device_notes_t& n, std::uint64_t server_seq);
  // apply(): the change about to be judged sits at server_seq (so a change
  // of a device removed later is judged as of its place even when the
  // keyring is ahead of the cursor).
  void judge_at(const envelope& e, std::uint64_t server_seq);
  // Keys sealed to this device (or to its pending invite) in one record.
  std::vector<std::pair<std::uint32_t, crypto::secret>> keys_for_me(const keyring::record& r);
  std::unique_ptr<db> db_;
  crypto::signing_key key_;
  hlc_clock clock_;
  std::uint64_t next_seq_ = 1;
  bytes space_;  // space() once read
  std::map<std::string, std::set<std::string>> columns_;  // materialised tables
  struct column_memo {
    const std::string* table = nullptr;  // a key of columns_
    const std::set<std::string>* columns = nullptr;
    std::vector<std::pair<std::string, bool>> fields;  // field, materialised
  };
  column_memo memo_;
  // The key of columns_ naming `table` if it materialises `field`, else null.
  const std::string* materialised(const std::string& table, const std::string& field);
  std::map<std::string, text_doc> docs_;  // decoded text fields, by table/row/field
  std::unordered_map<std::string, stmt*> upserts_;  // flush_row's statements, by table|fields
  std::string stmt_key_;  // flush_row's buffers, reused
  bytes scratch_;
  std::vector<std::pair<const std::string*, const value*>> bind_cols_;
  std::unique_ptr<row_cache> cache_;
  // apply() after the envelope decoded and its signature checked.
  result<apply_status> apply_verified(const envelope& e, const bytes& envelope_bytes, std::uint64_t server_seq,
                                      std::uint64_t now_ms);
  result<void> keep_refused(const bytes& env_bytes, const envelope* e, std::uint64_t server_seq, const error& why);
  // `outcome`, after keeping the change when it is a refusal.
  result<apply_status> kept_if_refused(const bytes& env_bytes, const envelope* e, std::uint64_t server_seq,
                                       result<apply_status> outcome);
  std::uint64_t text_counter_ = 1;        // next char id of this device
};

bytes new_row_id();  // 16 random bytes

// Long-text fields (text CRDT): question and consolidated question bodies,
// KLOE lines of enquiry, forward-plan notes, annotation (note) bodies. Only text edits write them (a
// register write is refused), and text() and the text edits refuse any other
// field, so one field never holds both kinds of write.
bool long_text(std::string_view table, std::string_view field);

}  // namespace packline
