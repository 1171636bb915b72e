// libFuzzer target for JsonDecoder. Beyond "no crash, no sanitizer report",
// it checks the decoder's promises on every input:
//  - an accepted event satisfies check_invariants (validate.h);
//  - only valid UTF-8 is ever accepted;
//  - the padded (zero-copy) and unpadded paths agree, event for event and
//    rejection for rejection;
//  - every rejection has a message, and a non-empty field is the message's prefix;
//  - a decoder and an Event reused across records give the same answer as fresh ones.
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "events/json_decoder.h"
#include "events/validate.h"

namespace {

using lh::events::Event;
using lh::events::JsonDecoder;
using lh::events::Rejection;

[[noreturn]] void fail(const char* what, const Rejection* why = nullptr) {
  std::fprintf(stderr, "decoder_fuzz: %s%s%s\n", what, why ? ": " : "", why ? why->message.c_str() : "");
  std::abort();
}

bool same(const Rejection& a, const Rejection& b) {
  return a.code == b.code && a.field == b.field && a.message == b.message;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A small limit on the long-lived decoder, so the oversized path is reached too.
  static JsonDecoder reused(lh::events::DecoderOptions{2048});
  static Event reused_event;
  const std::string_view rec(reinterpret_cast<const char*>(data), size);

  JsonDecoder fresh(lh::events::DecoderOptions{2048});
  Event unpadded_event;
  Rejection unpadded_why;
  const bool unpadded_ok = fresh.decode(rec, unpadded_event, unpadded_why, false);

  // The padded path reads up to kDecodePadding bytes past the end; give it
  // exactly that, filled with bytes that would change the meaning if read.
  std::vector<char> buf(size + lh::events::kDecodePadding, '"');
  if (size) std::memcpy(buf.data(), data, size);
  Event padded_event;
  Rejection padded_why;
  const bool padded_ok = reused.decode(std::string_view(buf.data(), size), padded_event, padded_why, true);

  if (unpadded_ok != padded_ok) fail("padded and unpadded decode disagree");
  if (unpadded_ok) {
    if (!(unpadded_event == padded_event)) fail("padded and unpadded events differ");
    if (auto broken = lh::events::check_invariants(unpadded_event)) fail("accepted event breaks an invariant", &*broken);
    if (!simdjson::validate_utf8(rec)) fail("accepted invalid UTF-8");
  } else {
    if (!same(unpadded_why, padded_why)) fail("padded and unpadded rejections differ", &unpadded_why);
    if (unpadded_why.message.empty()) fail("rejection without a message");
    if (!unpadded_why.field.empty() && unpadded_why.message.rfind(unpadded_why.field + ": ", 0) != 0)
      fail("message does not start with its field", &unpadded_why);
    if (!simdjson::validate_utf8(unpadded_why.message)) fail("message is not valid UTF-8", &unpadded_why);
  }

  // Decoding into an Event that holds the previous record's data must not
  // leak any of it into this one.
  Rejection why;
  const bool again = reused.decode(rec, reused_event, why, false);
  if (again != unpadded_ok) fail("reused decoder disagrees with a fresh one");
  if (again && !(reused_event == unpadded_event)) fail("reused Event differs from a fresh one");
  return 0;
}
