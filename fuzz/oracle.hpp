// The checks a fuzzed input must pass, shared by the libFuzzer harnesses and
// the regression replay (tests/server_fuzz_corpus_test.cpp): decoding never
// crashes (the sanitizers watch), and whatever decodes re-encodes to bytes
// that decode to the same message (so encoder and decoder agree on every
// shape the decoder accepts). Returns false when the property fails.
#pragma once
#include <cstddef>
#include <cstdint>

#include "packline/wire/codec.hpp"

namespace packline::fuzz {

inline bool check_frame(const std::uint8_t* data, std::size_t size) {
  auto m = codec::decode(data, size);
  if (!m) return true;  // refused: fine, as long as it did not crash
  bytes again = codec::encode(m.value());
  auto m2 = codec::decode(again);
  if (!m2) return false;
  return codec::encode(m2.value()) == again;
}

inline bool check_envelope(const std::uint8_t* data, std::size_t size) {
  auto e = codec::decode_envelope(data, size);
  if (!e) return true;
  bytes again = codec::encode_envelope(e.value());
  auto e2 = codec::decode_envelope(again);
  if (!e2) return false;
  const envelope& a = e.value();
  const envelope& b = e2.value();
  if (a.space != b.space || a.actor != b.actor || a.seq != b.seq || a.epoch != b.epoch ||
      a.payload != b.payload || a.signature != b.signature)
    return false;
  (void)codec::envelope_signed_bytes(a);
  // The payload is the change body every replica parses: it must not crash
  // either, and what it accepts re-encodes to a body that decodes the same.
  auto body = codec::decode_body(a.payload, a.actor);
  if (!body) return true;
  bytes body_again = codec::encode_body(body.value(), a.actor);
  auto body2 = codec::decode_body(body_again, a.actor);
  return body2 && codec::encode_body(body2.value(), a.actor) == body_again;
}

}  // namespace packline::fuzz
