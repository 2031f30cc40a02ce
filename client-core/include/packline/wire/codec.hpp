// The one codec: protocol frames, envelopes and change bodies (and a
// structured pack, between the webapp's import worker and its core) to
// msgpack bytes and back. Decoders check every type, size and count against limits.hpp and
// never throw; a bad input is an errc::malformed or errc::too_large result.
#pragma once
#include <optional>
#include <vector>

#include "packline/wire/change.hpp"
#include "packline/wire/keyring_record.hpp"
#include "packline/wire/pack_record.hpp"
#include "packline/wire/protocol.hpp"
#include "packline/base/result.hpp"

namespace packline::codec {

bytes encode(const proto::message& m);
result<proto::message> decode(const std::uint8_t* data, std::size_t size);
inline result<proto::message> decode(const bytes& b) { return decode(b.data(), b.size()); }

bytes encode_envelope(const envelope& e);
result<envelope> decode_envelope(const std::uint8_t* data, std::size_t size);
inline result<envelope> decode_envelope(const bytes& b) { return decode_envelope(b.data(), b.size()); }
// The bytes an envelope's signature covers.
bytes envelope_signed_bytes(const envelope& e);
// The same without the payload (which follows it): to hash in two parts.
bytes envelope_signed_header(const envelope& e);

// Text edits by the change's own actor omit the actor bytes; decode_body fills
// them in from `actor` (the envelope's).
bytes encode_body(const change_body& c, const bytes& actor = {});
result<change_body> decode_body(const bytes& b, const bytes& actor);

bytes encode_snapshot(const replica_snapshot& s);
result<replica_snapshot> decode_snapshot(const bytes& b);

// The snapshot blob the server stores (snapshot_blob):
// [1, space bin16, cursor u64, epoch u32, device bin32, body bin, signature bin64].
bytes encode_snapshot_blob(const snapshot_blob& b);
result<snapshot_blob> decode_snapshot_blob(const bytes& b);
// What the blob's signature and AEAD bind besides the body:
// "packline-snap-v1" || space || be64(cursor) || be32(epoch) || device.
bytes snapshot_blob_header(const snapshot_blob& b);

// Live frames [15, prev, [items...]] merged without decoding their envelopes:
// a server session merges the live frames queued behind a slow write into
// one by copying their items. The head says where the items start.
struct live_head {
  std::uint64_t prev = 0;
  std::uint32_t count = 0;
  std::size_t items_at = 0;
};
std::optional<live_head> read_live_head(const bytes& frame);
// One live frame holding the items of `parts` (contiguous live frames, in
// order); empty when one of them is not a live frame.
bytes merge_live(const std::vector<const bytes*>& parts);

// Keyring records (keyring_record.hpp): the payload of an envelope with
// epoch = keyring::record_epoch.
bytes encode_keyring(const keyring::record& r);
result<keyring::record> decode_keyring(const bytes& b);

// A structured pack (pack::parsed), as it crosses from the import worker,
// which structures a PDF off the page's thread, to the replica's thread.
bytes encode_parsed(const pack::parsed& p);
result<pack::parsed> decode_parsed(const bytes& b);

}  // namespace packline::codec
