// Fuzz target: transport messages from a peer Security Server as the proxies decode them when
// the body waits in a spool file (decode_transport over a spooled net::Payload: the parts and
// the nested attachments split in pieces, the REST body and the attachments left as slices
// of the file, only parts that must be parsed read into memory within a limit), and the
// messages the proxies encode. transport_fuzz covers the decoder over bytes in memory; this
// one holds the two decoders and the encoder to each other. The input is split at the first
// NUL into a Content-Type and a body, as transport_fuzz's. Beyond not crashing:
//   - a refusal says why (fuzz_checks.h);
//   - the spooled decoder reads every part the in-memory one reads, byte for byte, and
//     refuses only what it is documented to refuse beyond it (mime/multipart_stream.h: a
//     boundary with CR or LF, a delimiter line with a part's headers over max_header_block);
//   - with a small limit on parts read into memory, it reads the same or refuses for a part
//     over the limit;
//   - a message decoded, encoded again (encode_transport) and decoded is the same message,
//     whether its body and attachments were in memory or slices of the spool file.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_checks.h"
#include "mime/multipart.h"
#include "mime/multipart_stream.h"
#include "multipart_stream_checks.h"
#include "net/payload.h"
#include "proxy/context.h"
#include "proxy/transport.h"

namespace {

using namespace roadside::proxy;
using roadside::fuzz::check;
using roadside::fuzz::check_refusal;

constexpr std::uint64_t kSmallLimit = 64;

std::string bytes_of(const roadside::net::Payload& p) {
  auto b = p.read_all(UINT64_MAX);
  check(b.ok());
  return std::move(b).value();
}

bool same_headers(const HeaderList& a, const HeaderList& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const HeaderField& x, const HeaderField& y) { return x.name == y.name && x.value == y.value; });
}

void check_same(const TransportMessage& a, const TransportMessage& b) {
  check(a.ocsp_responses == b.ocsp_responses);
  check(a.message_type == b.message_type && same_headers(a.message_headers, b.message_headers));
  check(a.message == b.message);
  check(a.body.has_value() == b.body.has_value());
  if (a.body) check(bytes_of(*a.body) == bytes_of(*b.body));
  check(a.attachments.size() == b.attachments.size());
  for (std::size_t i = 0; i < a.attachments.size(); ++i) {
    check(same_headers(a.attachments[i].headers, b.attachments[i].headers));
    check(bytes_of(a.attachments[i].body) == bytes_of(b.attachments[i].body));
  }
  check(a.signature.signature == b.signature.signature);
  check(a.signature.hash_chain_result == b.signature.hash_chain_result &&
        a.signature.hash_chain == b.signature.hash_chain);
  check(a.fault.has_value() == b.fault.has_value());
  if (a.fault)
    check(a.fault->code == b.fault->code && a.fault->message == b.fault->message && a.fault->detail == b.fault->detail);
}

// The parts decode_parts reads into memory: over kSmallLimit, one of them is refused.
bool has_part_over(const TransportMessage& m, std::uint64_t limit) {
  bool over = m.message.size() > limit || m.signature.signature.size() > limit;
  for (const auto& o : m.ocsp_responses) over = over || o.size() > limit;
  if (m.signature.hash_chain_result) over = over || m.signature.hash_chain_result->size() > limit;
  if (m.signature.hash_chain) over = over || m.signature.hash_chain->size() > limit;
  return over || m.fault.has_value();  // a fault's part is read whole to parse it; its size is not kept
}

// Whether the streaming parser may refuse what the in-memory one reads: by its limits on the
// message (stream_parser_stricter), or on the attachments, whose boundary, in a header line of
// the body, can hold a bare CR.
bool stream_stricter(std::string_view content_type, std::string_view body) {
  if (roadside::fuzz::stream_parser_stricter(content_type, body)) return true;
  for (std::size_t cr = body.find('\r'); cr != std::string_view::npos; cr = body.find('\r', cr + 1)) {
    if (cr + 1 == body.size() || body[cr + 1] != '\n') return true;
  }
  return false;
}

const std::filesystem::path& spool_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / "transport_stream_fuzz";
    std::filesystem::create_directories(d);
    roadside::net::set_spool_limits({.quota_bytes = 1ull << 30, .min_free_bytes = 0});  // any disk will do
    return d;
  }();
  return dir;
}

roadside::net::Payload spooled(std::string_view bytes) {
  auto file = roadside::net::SpoolFile::create(spool_dir());
  check(file.ok());
  check((*file)->append(bytes).ok());
  return roadside::net::Payload(*file, 0, bytes.size());
}

void check_encodes_back(const TransportMessage& m) {
  const EncodedMessage encoded = encode_transport(m);
  auto back = decode_transport(encoded.content_type, encoded.joined());
  check(back.ok());
  check_same(m, *back);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view content_type =
      nul == std::string_view::npos ? std::string_view("multipart/mixed; boundary=b") : input.substr(0, nul);
  const std::string_view body = nul == std::string_view::npos ? input : input.substr(nul + 1);

  auto in_memory = decode_transport(content_type, body);
  check_refusal(in_memory);
  // A spooled body of the same bytes, as the server proxy (a request) and the client proxy (a
  // response) decode one over kSpoolAbove.
  const auto payload = spooled(body);
  auto from_file = decode_transport(content_type, payload, kMaxParsedBytes);
  check_refusal(from_file);
  if (!from_file.ok()) {
    check(!in_memory.ok() || stream_stricter(content_type, body));
    return 0;
  }
  check(in_memory.ok());
  check_same(*in_memory, *from_file);
  check(from_file->body ? !from_file->body->in_memory() : true);

  auto small = decode_transport(content_type, payload, kSmallLimit);
  check_refusal(small);
  if (small.ok()) {
    check_same(*from_file, *small);
  } else {
    check(has_part_over(*from_file, kSmallLimit));
  }

  check_encodes_back(*in_memory);
  check_encodes_back(*from_file);
  return 0;
}
