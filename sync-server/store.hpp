// The server's store of sealed changes and snapshot blobs, per space, behind
// an interface so the SQLite default can be swapped for another database (a
// distributed SQL one) or faked in tests, without touching the hub or the
// sessions. The contract, for every implementation:
// - one thread at a time calls a store (the server's store thread, see
//   engine.hpp); implementations need not lock;
// - every call that writes is durable when it returns successfully;
// - server sequences per space start at 1 and increase by 1 with each new
//   change, in commit order; a failed call stores nothing of its batch.
// Payloads are opaque: a store never parses envelopes or snapshots.
#pragma once
#include <cstdint>
#include <vector>

#include "packline/base/bytes.hpp"
#include "packline/base/result.hpp"
#include "membership.hpp"

namespace packline::server {

// One verified envelope to store; actor and seq are read from it by the caller.
struct incoming_change {
  bytes actor;
  std::uint64_t seq = 0;
  bytes envelope;  // the encoded envelope exactly as pushed
};

// What append did for one incoming change, same order as the batch.
struct appended {
  std::uint64_t server_seq = 0;
  bool inserted = false;  // false: (space, actor, seq) was already stored
};

struct stored {
  std::uint64_t server_seq = 0;
  bytes envelope;
};

// One push's batch for append_group.
struct append_request {
  bytes space;
  std::vector<incoming_change> batch;
};

// A complete snapshot: the client's sealed image of the space up to `cursor`.
struct snapshot_meta {
  std::uint64_t cursor = 0;  // 0: none
  std::uint64_t total = 0;   // bytes
};

struct snapshot_progress {
  std::uint64_t received = 0;  // bytes of this upload stored so far
  bool complete = false;       // the upload is now a complete snapshot
};

struct snapshot_chunk {
  snapshot_meta meta;
  std::uint64_t offset = 0;
  bytes data;
};

struct page {
  std::vector<stored> items;  // ascending server_seq
  std::uint64_t next = 0;     // pull from here next (last server_seq, or since)
  bool more = false;          // more changes exist after `next`
};

class store {
 public:
  virtual ~store() = default;

  // Stores the batch in one transaction, assigning consecutive server
  // sequences to the new changes; a (space, actor, seq) already stored keeps
  // its server sequence and is not stored again. Durable on success; on
  // failure nothing of the batch is stored (errc::storage).
  virtual result<std::vector<appended>> append(const bytes& space,
                                               const std::vector<incoming_change>& batch) = 0;

  // Group commit: the batches of several pushes (any spaces) made durable
  // with one sync, each all-or-nothing on its own: one result per request,
  // same order. The default runs append() per request (no grouping); a store
  // that can commit several batches with one sync should override it.
  virtual std::vector<result<std::vector<appended>>> append_group(const std::vector<append_request>& reqs) {
    std::vector<result<std::vector<appended>>> out;
    out.reserve(reqs.size());
    for (const auto& r : reqs) out.push_back(append(r.space, r.batch));
    return out;
  }

  // Changes with server_seq > since, ascending: at most max_count, and stops
  // before the sum of envelope sizes exceeds max_bytes (but always returns at
  // least one change when there is one, so a reader always makes progress).
  virtual result<page> changes_since(const bytes& space, std::uint64_t since,
                                     std::uint32_t max_count, std::size_t max_bytes) = 0;

  // Highest server sequence of the space (0 when empty).
  virtual result<std::uint64_t> cursor(const bytes& space) = 0;

  // Snapshots. An upload belongs to (space, device) and is stored chunk by
  // chunk, durably: `offset` must equal what is stored of that device's
  // upload of the same (cursor, total), or be 0 (which replaces any upload
  // of the device); otherwise nothing is stored and the stored progress is
  // returned. When received == total the upload becomes a complete snapshot
  // (if one with the same cursor exists, it is kept and the new one dropped:
  // both hold the same state, and a download of it may be in progress), and
  // only the newest `keep` complete snapshots of the space remain. The
  // caller has checked the bounds (cursor, total, chunk size).
  virtual result<snapshot_progress> put_snapshot_chunk(const bytes& space, const bytes& device,
                                                       std::uint64_t cursor, std::uint64_t total,
                                                       std::uint64_t offset, const bytes& chunk,
                                                       std::size_t keep) = 0;

  // Up to max_bytes of the complete snapshot of `cursor` (0: the newest)
  // from `offset`. No snapshot at all (cursor 0): meta.cursor == 0.
  // A cursor that is not kept: errc::not_found.
  virtual result<snapshot_chunk> read_snapshot(const bytes& space, std::uint64_t cursor,
                                               std::uint64_t offset, std::size_t max_bytes) = 0;

  // The persisted default space: returns it if one was stored, otherwise
  // stores `candidate` and returns it.
  virtual result<bytes> ensure_default_space(const bytes& candidate) = 0;

  // The offline lease: a device's lease secret sealed to its own key, one
  // per (space, device); a newer one replaces it. lease() is empty when
  // none is kept. The handler keeps them only for current devices and never
  // hands one to a revoked device (it refuses its auth).
  virtual result<void> put_lease(const bytes& space, const bytes& device, const bytes& sealed) = 0;
  virtual result<bytes> lease(const bytes& space, const bytes& device) = 0;

  // Secured panels: the keyrings of secured spaces, shared by every session of this
  // store. Not part of the storage contract: implementations never touch it,
  // only sync_handler does, on the io thread (it is rebuilt from the stored
  // records, see membership.hpp).
  membership& keyrings() { return keyrings_; }

 private:
  membership keyrings_;
};

}  // namespace packline::server
