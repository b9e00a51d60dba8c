#include "messagelog/container.h"

#include "xml/xades.h"

namespace roadside::messagelog {

Result<AsicContainer> container_of(LogStore& store, const StoredRecord& record, std::uint64_t max_bytes) {
  AsicContainer c;
  c.time = record.time;
  AsicParts& p = c.parts;
  p.message = record.message;
  p.signature = record.signature;
  p.sig_hash_chain_result = record.hash_chain_result;
  p.sig_hash_chain = record.hash_chain;
  if (record.timestamp_id) {
    ROADSIDE_TRY(auto ts, store.timestamp(*record.timestamp_id));
    if (!ts) {
      return Error(make_error_code(errc::unreadable), "record " + std::to_string(record.id) + " names time-stamp " +
                                                          std::to_string(*record.timestamp_id) +
                                                          ", which is not stored");
    }
    if (ts->hash_chain_result) {
      p.ts_hash_chain_result = ts->hash_chain_result;
      ROADSIDE_TRY(p.ts_hash_chain, store.ts_hash_chain(record));
      p.timestamp = ts->token;
    } else {
      ROADSIDE_TRY(p.signature, xml::add_signature_timestamp(record.signature, ts->token));
    }
  }
  std::uint64_t total = p.message.size() + p.signature.size();
  for (int i = 1; i <= record.attachments; ++i) {
    std::string bytes;
    ROADSIDE_TRY_STATUS(store.read_attachment(record, i, [&](std::string_view piece) -> Status {
      total += piece.size();
      if (total > max_bytes) {
        return Error(make_error_code(errc::too_large), "the container of record " + std::to_string(record.id) +
                                                           " is over " + std::to_string(max_bytes) + " bytes");
      }
      bytes.append(piece);
      return {};
    }));
    p.attachments.push_back(std::move(bytes));
  }
  return c;
}

}  // namespace roadside::messagelog
