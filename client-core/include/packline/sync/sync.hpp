// The client side of the sync protocol as a state machine over a replica. The
// host owns the socket: it calls on_open/on_frame/on_close and sends the frames
// returned. No I/O and no timers here, so native and WASM clients share it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "packline/wire/protocol.hpp"
#include "packline/replica/replica.hpp"

namespace packline {

enum class sync_state { offline, connecting, syncing, synced };
const char* to_string(sync_state s);

// Bytes of a snapshot download so far (protocol v2); total is 0 until the
// first chunk says how big the snapshot is.
struct transfer_progress {
  std::uint64_t received = 0;
  std::uint64_t total = 0;
};

class sync_session {
 public:
  explicit sync_session(replica& r) : r_(r) {}
  // Socket is open: returns [hello].
  std::vector<bytes> on_open();
  // A frame from the server: returns frames to send. An error result means
  // the host should close the socket and reconnect later.
  result<std::vector<bytes>> on_frame(const bytes& frame, std::uint64_t now_ms);
  void on_close();
  // After a local commit: returns a push if one can go now.
  std::vector<bytes> flush();
  sync_state state() const;
  // Remote changes this replica refused (reason), since the last call; also
  // a snapshot that could not be used (the history is pulled instead).
  std::vector<std::string> take_rejections();
  // After a welcome from a v4 server: the server's clock minus the now_ms
  // the host passed with that welcome (positive: the host's clock is
  // behind), once; nullopt otherwise. The host corrects the dates it shows
  // by it and tells the member when it is large.
  std::optional<std::int64_t> take_clock_offset();
  // Whether the last applied frame changed materialised state (for the UI).
  bool take_dirty();
  // The snapshot download of an empty replica ("Downloading pack history…
  // 40%"), or nullopt when none is running or all its bytes are here (the
  // keyring records that follow in v3 are small).
  std::optional<transfer_progress> snapshot_progress() const;

 private:
  // A snapshot being fetched. Kept across reconnects: the next session
  // resumes at `blob.size()` (or restarts when the server says gone).
  // Then (v3) the space's keyring records, which the device needs to check
  // and open the blob (keyring-first, PROTOCOL.md).
  struct download {
    std::uint64_t cursor = 0;  // 0 until the first chunk names the snapshot
    std::uint64_t total = 0;
    bytes blob;
    std::uint32_t restarts = 0;
    bool in_flight = false;
    bool keyring_phase = false;  // the blob is complete; fetching the keyring
    std::vector<proto::stored_change> records;
    std::uint64_t records_next = 0;  // keyring_get from here
  };
  // This device's snapshot being uploaded; one chunk in flight at a time.
  struct upload {
    std::uint64_t cursor = 0;
    bytes blob;
  };
  std::vector<bytes> next_frames();
  result<void> apply_page(const std::vector<proto::stored_change>& items, std::uint64_t now_ms);
  bool open_panel();
  bool wants_snapshot();
  void on_snapshot(const proto::snapshot& m, std::uint64_t now_ms);
  void on_keyring(const proto::keyring_page& m, std::uint64_t now_ms);
  void finish_download(std::uint64_t now_ms);
  void abandon_download(const std::string& why);
  void offer_upload(std::vector<bytes>& out);
  bytes put_chunk(std::uint64_t offset);
  std::uint64_t last_snapshot();
  replica& r_;
  enum class phase { closed, hello_sent, auth_sent, ready } phase_ = phase::closed;
  bool push_in_flight_ = false;
  bool pull_in_flight_ = false;
  std::uint64_t server_cursor_ = 0;
  // welcome's newest complete snapshot (v3); nullopt from a v2 server, which
  // has no keyring_get: only open panels use its snapshots.
  std::optional<std::uint64_t> server_snapshot_;
  std::vector<std::string> rejections_;
  std::optional<std::int64_t> clock_offset_;
  bool dirty_ = false;
  bool in_contact_ = false;  // this session's welcome handed back the lease secret (renews the lease)
  std::optional<download> download_;
  std::optional<upload> upload_;
  bool snapshot_tried_ = false;  // downloads are for an empty replica, once
  bool upload_failed_ = false;   // this replica could not make a snapshot: not again this session
};

}  // namespace packline
