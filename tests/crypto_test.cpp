// Crypto: known-answer keys from seeds, signatures, envelope verification.
#include <doctest/doctest.h>

#include "packline/wire/codec.hpp"
#include "packline/crypto/crypto.hpp"

using namespace packline;

TEST_CASE("crypto: Ed25519 known answer (RFC 8032 test 1)") {
  REQUIRE(crypto::init().ok());
  auto k = crypto::signing_key::from_seed(from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  REQUIRE(k.ok());
  CHECK(to_hex(k->public_key()) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  CHECK(to_hex(k->sign({})) ==
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
}

TEST_CASE("crypto: envelope signature verifies and detects tampering") {
  REQUIRE(crypto::init().ok());
  auto k = crypto::signing_key::generate();
  envelope e{bytes(16, 1), {}, 1, 0, bytes{1, 2, 3}, {}};
  crypto::sign_envelope(e, k);
  CHECK(crypto::verify_envelope(e).ok());
  auto t = e;
  t.payload[0] ^= 1;
  CHECK(crypto::verify_envelope(t).err().code == errc::bad_signature);
  t = e;
  t.seq = 2;  // a replay under another sequence number
  CHECK(crypto::verify_envelope(t).err().code == errc::bad_signature);
  t = e;
  t.actor = crypto::signing_key::generate().public_key();  // forged author
  CHECK(crypto::verify_envelope(t).err().code == errc::bad_signature);
}

TEST_CASE("crypto: a page's envelope checks give each envelope its own answer, in any mix") {
  REQUIRE(crypto::init().ok());
  auto k = crypto::signing_key::generate();
  std::vector<envelope> es;
  for (std::uint64_t i = 0; i < 64; ++i) {
    envelope e{bytes(16, 1), {}, i + 1, 0, bytes(300, static_cast<std::uint8_t>(i)), {}};
    crypto::sign_envelope(e, k);
    if (i == 0 || i % 7 == 3 || i == 63) e.payload[0] ^= 1;  // forged: first, last and some between
    es.push_back(std::move(e));
  }
  std::vector<const envelope*> ptrs;
  for (auto& e : es) ptrs.push_back(&e);
  {
    crypto::envelope_checks checks(ptrs);  // 64: helper threads check ahead
    for (std::uint64_t i = 0; i < 64; ++i) CHECK(checks.ok(i) == !(i == 0 || i % 7 == 3 || i == 63));
    CHECK_FALSE(checks.ok(64));  // past the end
  }
  {
    crypto::envelope_checks checks(ptrs);
    CHECK_FALSE(checks.ok(0));
    CHECK(checks.ok(1));
  }  // dropped after two answers (a page that stopped on a storage error): the helpers stop
  crypto::envelope_checks few({ptrs[1], ptrs[3]});  // too few for threads: checked by the caller
  CHECK(few.ok(0));
  CHECK_FALSE(few.ok(1));
}

TEST_CASE("crypto: seed round-trips and wrong seed size is refused") {
  auto k = crypto::signing_key::generate();
  auto k2 = crypto::signing_key::from_seed(k.seed());
  REQUIRE(k2.ok());
  CHECK(k2->public_key() == k.public_key());
  CHECK(crypto::signing_key::from_seed(bytes(31, 0)).err().code == errc::invalid_argument);
}

// ---- secured panels: sealing, key agreement, Argon2id, at rest --------------------

#include "packline/crypto/at_rest.hpp"

namespace {
// [1, space, actor, seq 7, epoch 3, nonce(0x24 x 24) || XChaCha20-Poly1305(body) , Ed25519 signature]
// The signature (over "packline-sig-v2" || BLAKE2b-256(signed bytes)) was
// checked outside libsodium: Python's hashlib.blake2b(digest_size=32) and
// `openssl pkeyutl -sign -rawin` with the same seed give the same 64 bytes.
const std::string envelope_kat =
    "9701c41011111111111111111111111111111111c420d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a0703c42e"
    "2424242424242424242424242424242424242424242424243693d48d6ee4108aac095f12e4abcdfd269dc087772fc440c3ecb1776fbfe58cf3a1"
    "dc6c385a38d30eebd2c1b38eeb302617b2525d15814008cee9ea7cd5e96e8bfdd5d17e1ab8ffb1b4ee64e5a1b52b8ec78e5b4d731101";
}  // namespace

TEST_CASE("crypto: XChaCha20-Poly1305 known answer (draft-irtf-cfrg-xchacha A.3.1)") {
  REQUIRE(crypto::init().ok());
  crypto::secret key(from_hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"));
  bytes nonce = from_hex("404142434445464748494a4b4c4d4e4f5051525354555657");
  bytes ad = from_hex("50515253c0c1c2c3c4c5c6c7");
  bytes pt = to_bytes(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
  auto ct = crypto::aead_seal(key, ad, pt, nonce);
  REQUIRE(ct.ok());
  CHECK(to_hex(*ct) ==
        to_hex(nonce) +
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b7"
            "2e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
            "c0875924c1c7987947deafd8780acf49");
  auto back = crypto::aead_open(key, ad, *ct);
  REQUIRE(back.ok());
  CHECK(*back == pt);
  auto bad = *ct;
  bad[30] ^= 1;
  CHECK(crypto::aead_open(key, ad, bad).err().code == errc::crypto);
  CHECK(crypto::aead_open(key, bytes{1}, *ct).err().code == errc::crypto);  // other associated data
  CHECK(crypto::aead_open(key, ad, bytes(ct->begin(), ct->begin() + 30)).err().code == errc::crypto);
}

TEST_CASE("crypto: envelope known answer (sealed payload, header as associated data, signature)") {
  // Golden vector of the v1 sealed envelope: any change to the format,
  // the associated data or the signed bytes changes these bytes.
  REQUIRE(crypto::init().ok());
  auto k = crypto::signing_key::from_seed(from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  REQUIRE(k.ok());
  crypto::secret space_key(bytes(32, 0x42));
  envelope e;
  e.space = bytes(16, 0x11);
  e.seq = 7;
  e.epoch = 3;
  bytes body = from_hex("93cd03e800c0");  // any bytes: the payload is opaque here
  REQUIRE(crypto::seal_envelope(e, body, space_key, *k, bytes(24, 0x24)).ok());
  CHECK(to_hex(codec::envelope_signed_header(e)) ==
        "7061636b6c696e652d656e762d7631" + std::string(32, '1') +
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" + "0000000000000007" + "00000003");
  bytes wire = codec::encode_envelope(e);
  CHECK(to_hex(wire) == envelope_kat);
  CHECK(crypto::verify_envelope(e).ok());
  auto opened = crypto::open_envelope(e, space_key);
  REQUIRE(opened.ok());
  CHECK(*opened == body);
  // The header is bound: the same ciphertext under another seq or epoch does not open.
  auto t = e;
  t.epoch = 2;
  CHECK(crypto::open_envelope(t, space_key).err().code == errc::crypto);
  t = e;
  t.seq = 8;
  CHECK(crypto::open_envelope(t, space_key).err().code == errc::crypto);
  CHECK(crypto::open_envelope(e, crypto::secret(bytes(32, 0x43))).err().code == errc::crypto);
}

TEST_CASE("crypto: sealed boxes open only for their device; X25519 keys derive from the seed") {
  REQUIRE(crypto::init().ok());
  bytes seed = crypto::random_bytes(32);
  auto a = crypto::box_key::derive(seed);
  auto a2 = crypto::box_key::derive(seed);
  auto b = crypto::box_key::derive(crypto::random_bytes(32));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->public_key() == a2->public_key());
  CHECK(a->public_key() != crypto::signing_key::from_seed(seed)->public_key());
  crypto::secret k = crypto::secret::random(32);
  auto sealed = crypto::seal_to(a->public_key(), k);
  REQUIRE(sealed.ok());
  auto opened = a->open(*sealed);
  REQUIRE(opened.ok());
  CHECK(*opened == k);
  CHECK(b->open(*sealed).err().code == errc::crypto);
  (*sealed)[40] ^= 1;
  CHECK(a->open(*sealed).err().code == errc::crypto);
}

TEST_CASE("crypto: Argon2id is deterministic per passphrase and salt") {
  REQUIRE(crypto::init().ok());
  crypto::kdf_params quick{1, 8 * 1024};  // tests only; the replica uses storage_kdf
  bytes salt(16, 7);
  auto k1 = crypto::derive_key("correct horse", salt, quick);
  auto k2 = crypto::derive_key("correct horse", salt, quick);
  auto k3 = crypto::derive_key("correct horsf", salt, quick);
  auto k4 = crypto::derive_key("correct horse", bytes(16, 8), quick);
  REQUIRE(k1.ok());
  CHECK(*k1 == *k2);
  CHECK(!(*k1 == *k3));
  CHECK(!(*k1 == *k4));
  CHECK(crypto::derive_key("x", bytes(15, 0), quick).err().code == errc::invalid_argument);
}

TEST_CASE("crypto: a sealed replica opens with its passphrase only; tampering and truncation are detected") {
  REQUIRE(crypto::init().ok());
  crypto::kdf_params quick{1, 8 * 1024};
  bytes image = to_bytes("SQLite format 3\0 MARKER-AT-REST-7731 the replica image");
  auto k = at_rest::new_key("tablet passphrase", quick);
  REQUIRE(k.ok());
  auto sealed = at_rest::seal_replica(image, *k);
  REQUIRE(sealed.ok());
  CHECK(at_rest::is_sealed(*sealed));
  std::string s(sealed->begin(), sealed->end());
  CHECK(s.find("MARKER-AT-REST") == std::string::npos);
  auto again = at_rest::key_for(*sealed, "tablet passphrase");
  REQUIRE(again.ok());
  auto opened = at_rest::open_replica(*sealed, *again);
  REQUIRE(opened.ok());
  CHECK(*opened == image);

  auto wrong = at_rest::key_for(*sealed, "tablet passphrasf");
  REQUIRE(wrong.ok());
  CHECK(at_rest::open_replica(*sealed, *wrong).err().code == errc::wrong_passphrase);

  auto tampered = *sealed;
  tampered[tampered.size() - 20] ^= 1;
  CHECK(at_rest::open_replica(tampered, *again).err().code == errc::corrupt_replica);
  auto truncated = bytes(sealed->begin(), sealed->end() - 5);
  CHECK(at_rest::open_replica(truncated, *again).err().code == errc::corrupt_replica);
  CHECK(at_rest::key_for(bytes(sealed->begin(), sealed->begin() + 20), "x").err().code == errc::corrupt_replica);
  CHECK(at_rest::open_replica(image, *again).err().code == errc::corrupt_replica);  // plain bytes are not sealed
}

TEST_CASE("crypto: snapshot blobs are signed by their device; sealed ones open only with their key and header") {
  REQUIRE(crypto::init().ok());
  auto dev = crypto::signing_key::generate();
  crypto::secret key = crypto::secret::random(crypto::aead_key_bytes);
  bytes image(3000, 'x');
  snapshot_blob b{bytes(16, 1), 1200, 3, {}, {}, {}};
  REQUIRE(crypto::seal_snapshot(b, image, &key, dev).ok());
  CHECK(b.device == dev.public_key());
  CHECK(b.body.size() == image.size() + crypto::aead_overhead);
  CHECK(crypto::verify_snapshot(b).ok());
  CHECK(*crypto::open_snapshot(b, key) == image);
  CHECK(crypto::open_snapshot(b, crypto::secret::random(crypto::aead_key_bytes)).err().code == errc::crypto);
  // Every header field and the body are bound: by the signature, and (sealed) by the AEAD.
  for (int field = 0; field < 5; ++field) {
    snapshot_blob t = b;
    if (field == 0) t.space[0] ^= 1;
    if (field == 1) ++t.cursor;
    if (field == 2) ++t.epoch;
    if (field == 3) t.device = crypto::signing_key::generate().public_key();
    if (field == 4) t.body[t.body.size() / 2] ^= 1;
    CHECK(crypto::verify_snapshot(t).err().code == errc::bad_signature);
    if (field != 3) CHECK_FALSE(crypto::open_snapshot(t, key).ok());
  }
  // An open panel's blob (no key) carries the image as is, still signed.
  snapshot_blob o{bytes(16, 1), 10, 0, {}, {}, {}};
  REQUIRE(crypto::seal_snapshot(o, image, nullptr, dev).ok());
  CHECK(o.body == image);
  CHECK(crypto::verify_snapshot(o).ok());
  o.signature = crypto::signing_key::generate().sign(bytes(10, 1));
  CHECK_FALSE(crypto::verify_snapshot(o).ok());
}
