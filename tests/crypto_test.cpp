// Crypto: known-answer keys from seeds, signatures, envelope verification.
#include <doctest/doctest.h>

#include "packline/codec.hpp"
#include "packline/crypto.hpp"

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

TEST_CASE("crypto: seed round-trips and wrong seed size is refused") {
  auto k = crypto::signing_key::generate();
  auto k2 = crypto::signing_key::from_seed(k.seed());
  REQUIRE(k2.ok());
  CHECK(k2->public_key() == k.public_key());
  CHECK(crypto::signing_key::from_seed(bytes(31, 0)).err().code == errc::invalid_argument);
}
