// The ASiC-E container of a stored record, as X-Road's message log builds it for an archive
// or the client proxy's /asic: message.xml, the signature (a single time-stamp embedded in it
// as xades:SignatureTimeStamp), the signature's hash chain, a batch time-stamp's hash chain,
// ASiCManifest.xml and timestamp.tst, and the attachments.
#pragma once

#include <cstdint>

#include "messagelog/asic.h"
#include "messagelog/log_store.h"

namespace roadside::messagelog {

// A record's container; a record without a time-stamp yet gives one without. Attachments are
// read into memory, refused (errc::too_large) past `max_bytes` together.
Result<AsicContainer> container_of(LogStore& store, const StoredRecord& record, std::uint64_t max_bytes = 64ull << 20);

}  // namespace roadside::messagelog
