// The offline lease and the replica at rest: a copy past its lease opens only
// with the per-device secret the server hands back after a signed auth, and
// the image is sealed under a key derived from the member's passphrase.
#include <algorithm>
#include <cstdio>
#include <optional>

#include "packline/base/limits.hpp"
#include "packline/rules/rules.hpp"
#include "packline/wire/codec.hpp"
#include "packline/wire/protocol.hpp"
#include "replica/db.hpp"
#include "replica/replica_keys.hpp"

namespace packline {
using namespace detail;

// ---- lease and at rest --------------------------------------------------------

result<bytes> replica::lease_offer() {
  if (keys_->locked || !secured()) return bytes{};
  if (!keys_->lease) keys_->lease = crypto::secret::random(32);
  return crypto::seal_to(keys_->box.public_key(), *keys_->lease);
}

result<bool> replica::welcome_lease(const bytes& sealed_lease, std::uint64_t now_ms) {
  // Only the device's own key opens it; anything else is as if absent.
  std::optional<crypto::secret> given;
  if (!sealed_lease.empty())
    if (auto l = keys_->box.open(sealed_lease); l && l->size() == 32) given = std::move(*l);
  if (keys_->locked) {
    if (!given || !keys_->storage)
      return make_error(errc::lease_expired,
                        "this tablet has been offline longer than the panel allows, and the server did not give back "
                        "its key, so it stays locked (the server no longer accepts this tablet, or this was not the "
                        "panel's server)");
    auto image = at_rest::open_image(keys_->locked_image, *keys_->storage, &*given);
    if (!image) return image.err();
    auto whole = open(*image);
    crypto::secret wipe(std::move(*image));
    if (!whole) return whole.err();
    auto storage = std::move(keys_->storage);
    *this = std::move(**whole);
    keys_->storage = std::move(storage);
    keys_->lease = given;
  }
  bool ours = given && keys_->lease && *given == *keys_->lease;
  if (ours) keys_->lease_registered = true;
  // The lease starts anew on proof that the server keeps this device's
  // secret; an open panel has no lease to start.
  if (!ours && keys_->lease) return false;
  PL_TRY(meta_set(*db_, k_contact, static_cast<std::int64_t>(now_ms)));
  return true;
}

result<void> replica::renew_lease(std::uint64_t now_ms) {
  if (keys_->locked || !keys_->lease) return {};
  return meta_set(*db_, k_contact, static_cast<std::int64_t>(now_ms));
}

bool replica::lease_expired(std::uint64_t now_ms) {
  if (keys_->locked) return true;
  if (!secured()) return false;
  auto c = meta_get(*db_, k_contact);
  if (!c || !std::holds_alternative<std::int64_t>(*c)) return false;
  auto last = static_cast<std::uint64_t>(std::get<std::int64_t>(*c));
  return now_ms > last && now_ms - last > keys_->kr.lease_ms();
}

result<bool> replica::lock_if_expired(std::uint64_t now_ms) {
  if (keys_->locked) return true;
  // Only a secret the server has handed back is dropped: the copy must
  // open again once the device reaches the server.
  if (!keys_->lease || !keys_->lease_registered || !keys_->storage || !lease_expired(now_ms)) return false;
  auto image = save();
  if (!image) return image.err();
  auto sealed = at_rest::seal_image(*image, *keys_->storage, &*keys_->lease);
  crypto::secret wipe(std::move(*image));
  if (!sealed) return sealed.err();
  auto empty = create(key_.seed());
  if (!empty) return empty.err();
  bytes sp = space();
  auto storage = std::move(keys_->storage);
  *this = std::move(**empty);
  if (!sp.empty()) PL_TRY(set_space(sp));
  keys_->storage = std::move(storage);
  keys_->locked = true;
  keys_->locked_image = std::move(*sealed);
  keys_->lease_registered = true;
  return true;
}

result<std::unique_ptr<replica>> replica::open_sealed(const bytes& sealed, std::string_view passphrase, std::uint64_t now_ms) {
  PL_TRY(crypto::init());
  auto key = at_rest::key_for(sealed, passphrase);
  if (!key) return key.err();
  if (!at_rest::is_v2(sealed)) {  // a copy saved before the lease secret (bound at its next save)
    auto image = at_rest::open_replica(sealed, *key);
    if (!image) return image.err();
    auto r = open(*image);
    crypto::secret wipe(std::move(*image));
    if (!r) return r.err();
    (*r)->keys_->storage = std::move(*key);
    return r;
  }
  auto copy = at_rest::open_copy(sealed, *key);
  if (!copy) return copy.err();
  auto& o = copy->outer;
  // Past the lease (once the server has held the secret) the cached secret
  // is not used, and the next save leaves it out.
  bool past = o.registered && o.lease_until != 0 && now_ms > o.lease_until;
  if (o.bound && (!o.lease || past)) {
    auto r = create(o.seed);
    if (!r) return r.err();
    if (!o.space.empty()) PL_TRY((*r)->set_space(o.space));
    auto& k = *(*r)->keys_;
    k.storage = std::move(*key);
    k.locked = true;
    k.locked_image = std::move(copy->image);
    k.lease_registered = o.registered;
    k.lease_until = o.lease_until;
    return r;
  }
  auto image = at_rest::open_image(copy->image, *key, o.bound ? &*o.lease : nullptr);
  if (!image) return make_error(errc::corrupt_replica, "the data stored on this device was altered; it was not opened and nothing was overwritten");
  auto r = open(*image);
  crypto::secret wipe(std::move(*image));
  if (!r) return r.err();
  auto& k = *(*r)->keys_;
  k.storage = std::move(*key);
  k.lease = std::move(o.lease);
  k.lease_registered = o.registered;
  return r;
}

result<void> replica::set_passphrase(std::string_view passphrase) {
  auto k = at_rest::new_key(passphrase);
  if (!k) return k.err();
  keys_->storage = std::move(*k);
  return {};
}

bool replica::has_passphrase() const { return keys_->storage.has_value(); }

result<bytes> replica::save_sealed() {
  if (!keys_->storage) return make_error(errc::bad_state, "set a passphrase before saving");
  at_rest::copy_outer o;
  o.seed = key_.seed();
  o.space = space();
  o.registered = keys_->lease_registered;
  if (keys_->locked) {  // the image stays as it was sealed; the secret is not kept
    o.bound = true;
    o.lease_until = keys_->lease_until;
    return at_rest::seal_copy(o, keys_->locked_image, *keys_->storage);
  }
  if (secured() && !keys_->lease) keys_->lease = crypto::secret::random(32);
  auto image = save();
  if (!image) return image.err();
  auto sealed = at_rest::seal_image(*image, *keys_->storage, keys_->lease ? &*keys_->lease : nullptr);
  crypto::secret wipe(std::move(*image));
  if (!sealed) return sealed.err();
  o.bound = keys_->lease.has_value();
  o.lease = keys_->lease;
  if (auto c = meta_get(*db_, k_contact); c && std::holds_alternative<std::int64_t>(*c))
    o.lease_until = static_cast<std::uint64_t>(std::get<std::int64_t>(*c)) + keys_->kr.lease_ms();
  auto out = at_rest::seal_copy(o, *sealed, *keys_->storage);
  crypto::secret wipe_seed(std::move(o.seed));
  return out;
}

}  // namespace packline
