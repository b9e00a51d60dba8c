// Fuzz target: what the message log reads back and `roadside verify-asic` / `verify-archive`
// are given. The input is taken as a zip (messagelog::ZipFile::read, with the default limits
// and with tight ones), as an ASiC-E container (AsicContainer::read, message_route and
// verify_asic against instance FUZZ of fuzz_trust.h), as a message-log archive
// (verify_archive_linking, then each container it lists) and as linkinginfo text. Any input
// must be accepted or refused cleanly, and:
//   - a refusal says why, with a fault code of its own;
//   - a zip read within tight limits keeps to them and reads the same with the default ones;
//     what was read writes and reads back the same, whenever the writer takes its names;
//   - a container writes and reads back the same parts (but a batch time-stamp, which is
//     only written with its hash chain result), and verifies the same once rewritten;
//   - a verified container is signed by the member its message names, with a good OCSP
//     response, and a time-stamp whose kind, time and TSA agree;
//   - an archive whose linking verifies holds exactly the files it lists, ends at the
//     digest of the last, and only starts from its own previous digest.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_checks.h"
#include "fuzz_pki.h"
#include "fuzz_trust.h"
#include "messagelog/archive.h"
#include "messagelog/asic.h"
#include "messagelog/zip.h"

namespace {

using namespace roadside::messagelog;
using roadside::Result;
using roadside::fuzz::check;
using roadside::fuzz::check_refusal;

const roadside::globalconf::SharedParameters& trust() {
  static const auto t = [] {
    const auto& pki = roadside::fuzz::fuzz_pki();
    return roadside::fuzz::fuzz_trust(pki.ca, pki.ocsp, pki.tsa);
  }();
  return t;
}

bool same(const ZipFile& a, const ZipFile& b) {
  if (a.comment != b.comment || a.entries.size() != b.entries.size()) return false;
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    if (a.entries[i].name != b.entries[i].name || a.entries[i].data != b.entries[i].data) return false;
  }
  return true;
}

bool same(const AsicParts& a, const AsicParts& b) {
  return a.message == b.message && a.attachments == b.attachments && a.signature == b.signature &&
         a.sig_hash_chain_result == b.sig_hash_chain_result && a.sig_hash_chain == b.sig_hash_chain &&
         a.ts_hash_chain_result == b.ts_hash_chain_result && a.ts_hash_chain == b.ts_hash_chain &&
         a.timestamp == b.timestamp;
}

bool same(const Result<AsicVerification>& a, const Result<AsicVerification>& b) {
  if (a.ok() != b.ok()) return false;
  if (!a.ok()) return a.error().code() == b.error().code() && a.error().detail() == b.error().detail();
  return a->signer_member == b->signer_member && a->signer_subject == b->signer_subject &&
         a->signing_time == b->signing_time && a->timestamp == b->timestamp && a->timestamp_time == b->timestamp_time &&
         a->tsa_subject == b->tsa_subject && a->batch_signature == b->batch_signature &&
         a->ocsp.this_update == b->ocsp.this_update;
}

void check_zip(std::string_view input, const Result<ZipFile>& zip) {
  check_refusal(zip);
  const ZipLimits tight{.max_entries = 3, .max_entry_bytes = 2048, .max_total_bytes = 4096};
  const auto small = ZipFile::read(input, tight);
  check_refusal(small);
  if (small.ok()) {
    std::uint64_t total = 0;
    for (const auto& e : small->entries) total += e.data.size();
    check(small->entries.size() <= tight.max_entries && total <= tight.max_total_bytes);
    check(zip.ok() && same(*small, *zip));
  }
  if (!zip.ok()) return;
  const auto written = zip->write();
  if (!written.ok()) return;  // (duplicate or empty names: the writer refuses them)
  const auto again = ZipFile::read(*written);
  check(again.ok() && same(*again, *zip));
}

Result<AsicVerification> verified(const AsicContainer& c) {
  auto v = verify_asic(c, trust());
  check_refusal(v);
  if (!v.ok()) return v;
  const auto route = message_route(c.parts.message);
  check(route.ok() && v->signer_member == route->signer().owner_member());
  check(v->ocsp.status == roadside::crypto::CertStatus::good && !v->signer_subject.empty());
  const bool stamped = v->timestamp != AsicVerification::Timestamp::none;
  check(stamped == v->timestamp_time.has_value() && stamped == !v->tsa_subject.empty());
  check(v->timestamp != AsicVerification::Timestamp::batch || c.parts.timestamp.has_value());
  return v;
}

void check_container(std::string_view bytes) {
  const auto c = AsicContainer::read(bytes);
  check_refusal(c);
  if (!c.ok()) return;
  const auto route = message_route(c->parts.message);
  check_refusal(route);
  const auto v = verified(*c);

  const auto written = c->write();
  check_refusal(written);
  if (!written.ok()) return;
  const auto again = AsicContainer::read(*written);
  check(again.ok());
  AsicParts expected = c->parts;
  if (!expected.ts_hash_chain_result) expected.timestamp.reset();
  check(same(again->parts, expected));
  if (v.ok()) check(same(v, verified(*again)));
}

void check_archive(const ZipFile& zip) {
  const auto linked = verify_archive_linking(zip);
  check_refusal(linked);
  if (!linked.ok()) return;
  const LinkingInfo& li = linked->linking;
  check(linked->last_digest == (li.entries.empty() ? li.previous_digest : li.entries.back().digest));
  for (const auto& e : zip.entries) {
    bool listed = e.name == "linkinginfo";
    for (const auto& l : li.entries) listed = listed || l.file == e.name;
    check(listed);
  }
  check(verify_archive_linking(zip, li.previous_digest).ok());
  check(!verify_archive_linking(zip, li.previous_digest + "0").ok());
  for (const auto& l : li.entries) check_container(zip.find(l.file)->data);
}

void check_linking_text(std::string_view input) {
  const auto li = LinkingInfo::parse(input);
  check_refusal(li);
  if (!li.ok()) return;
  check(!li->algorithm.empty());
  for (const auto& e : li->entries)
    check(!e.digest.empty() && e.digest.find(' ') == std::string::npos && !e.file.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto zip = ZipFile::read(input);
  check_zip(input, zip);
  check_container(input);
  if (zip.ok()) check_archive(*zip);
  check_linking_text(input);
  return 0;
}
