// Retrieval's pieces: X-Road's file names, the zip written as it goes (read back by libzip),
// and the zip of a query's containers from a real SQLite message log.
#include "messagelog/retrieval.h"

#include <gtest/gtest.h>

#include "messagelog/asic.h"
#include "messagelog/zip.h"
#include "storage/store.h"
#include "support/messagelog_batch.h"
#include "support/test_support.h"

namespace roadside::messagelog {
namespace {

TEST(RetrievalNames, AreXRoadsEscapedTruncatedAndNumberedInBase32) {
  EXPECT_EQ(escape_file_name("abc-XYZ_0.9*"), "abc-XYZ_0.9*");
  EXPECT_EQ(escape_file_name("a b/c?d=ä"), "a+b%2Fc%3Fd%3D%C3%A4");
  EXPECT_EQ(asic_file_name("q1", false, 1), "q1-request-1.asice");
  EXPECT_EQ(asic_file_name("q1", true, 32), "q1-response-10.asice");
  EXPECT_EQ(asic_file_name("q1", true, 1023), "q1-response-vv.asice");
  const std::string long_id(300, 'x');
  EXPECT_EQ(asic_file_name(long_id, false, 5), std::string(226, 'x') + "-request-5.asice");
  EXPECT_EQ(asic_zip_name("a/b", std::nullopt), "a%2Fb.zip");
  EXPECT_EQ(asic_zip_name("q", false), "q-request.zip");
  EXPECT_EQ(asic_zip_name("q", true), "q-response.zip");
}

TEST(ZipStream, WritesAZipLibzipReadsBack) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);  // the standard check value
  std::string out;
  std::size_t pieces = 0;
  ZipStreamWriter zip([&](std::string_view bytes) {
    out.append(bytes);
    ++pieces;
    return Status{};
  });
  const std::string big(200000, 'b');
  ASSERT_TRUE(zip.add("first.asice", "one", std::chrono::system_clock::now()).ok());
  ASSERT_TRUE(zip.add("dir/second.asice", big, std::chrono::system_clock::time_point{}).ok());  // before 1980
  ASSERT_TRUE(zip.add("empty", "", std::chrono::system_clock::now()).ok());
  ASSERT_TRUE(zip.finish().ok());
  EXPECT_EQ(zip.written(), out.size());
  EXPECT_GT(pieces, 4u);  // handed on as it went, not at the end
  auto read = ZipFile::read(out);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  ASSERT_EQ(read->entries.size(), 3u);
  EXPECT_EQ(read->entries[0].name, "first.asice");
  EXPECT_EQ(read->entries[0].data, "one");
  EXPECT_EQ(read->entries[1].data, big);
  EXPECT_EQ(read->entries[2].data, "");

  std::string failing;
  ZipStreamWriter broken(
      [&](std::string_view) { return Status(Error(make_error_code(errc::unreadable), "disk full")); });
  EXPECT_EQ(broken.add("x", "y", {}).error().detail(), "disk full");
}

// A message log in a SQLite file, migrated, with a store on a connection of its own.
struct Log {
  roadside::testing::TempDir dir;
  std::unique_ptr<LogStore> store;
  Log() {
    storage::Store migrator(storage::open_sqlite({dir / "log.db"}).value());
    EXPECT_TRUE(migrator.migrate().ok());
    store = std::make_unique<LogStore>(storage::open_sqlite({dir / "log.db"}).value());
  }
  std::int64_t add(std::string query_id, bool response, const XRoadId& client,
                   std::vector<net::Payload> attachments = {}) {
    MessageRecordInput r;
    r.query_id = std::move(query_id);
    r.x_request_id = "r-" + r.query_id;
    r.response = response;
    r.client = client;
    r.message = "POST\r\n/r1/EE/COM/2/SERVICE/echo\r\nX-Road-Client:EE/COM/1/CLIENT\r\n";
    r.attachments = std::move(attachments);
    r.signature = "<signature n=\"" + std::to_string(next++) + "\"/>";
    auto ids = store->insert({&r}, std::chrono::system_clock::now());
    EXPECT_TRUE(ids.ok()) << ids.error().to_string();
    return ids->front();
  }
  // A batch time-stamp (its token and chains are not checked here).
  void stamp(std::vector<std::int64_t> ids) {
    EXPECT_TRUE(testing::stamp_as_batch(*store, ids).ok());
  }
  int next = 0;
};

const XRoadId kClient = XRoadId::subsystem("EE", "COM", "1", "CLIENT").value();
const XRoadId kOther = XRoadId::subsystem("EE", "COM", "1", "OTHER").value();

TEST(RetrievalQuery, FindsOnlyTheOwnersRecordsOfTheQuery) {
  Log log;
  const auto req = log.add("q1", false, kClient);
  const auto resp = log.add("q1", true, kClient);
  log.add("q1", false, kOther);
  log.add("q2", false, kClient);
  auto all = log.store->by_query_id("q1", kClient, std::nullopt, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, req);
  EXPECT_EQ((*all)[1].id, resp);
  auto responses = log.store->by_query_id("q1", kClient, true, 10);
  ASSERT_EQ(responses->size(), 1u);
  EXPECT_EQ(responses->front().id, resp);
  EXPECT_EQ(log.store->by_query_id("q1", kClient, false, 10)->front().id, req);
  EXPECT_EQ(log.store->by_query_id("q1", kOther, std::nullopt, 10)->size(), 1u);
  EXPECT_EQ(log.store->by_query_id("q1", kClient, std::nullopt, 1)->size(), 1u);
  EXPECT_TRUE(log.store->by_query_id("q1", XRoadId::member("EE", "COM", "1").value(), std::nullopt, 10)->empty());
}

TEST(RetrievalZip, HoldsTheTimestampedContainersUnderXRoadsNames) {
  Log log;
  const auto req = log.add("q/1", false, kClient, {net::Payload(std::string("request body"))});
  const auto resp = log.add("q/1", true, kClient);
  const auto late = log.add("q/1", true, kClient);  // logged after the check: left out
  log.stamp({req, resp});
  auto records = log.store->by_query_id("q/1", kClient, std::nullopt, 10).value();
  ASSERT_EQ(records.size(), 3u);
  std::string out;
  auto sink = [&](std::string_view b) {
    out.append(b);
    return Status{};
  };
  auto written = write_container_zip(*log.store, records, "q/1", {}, sink);
  ASSERT_TRUE(written.ok()) << written.error().to_string();
  auto zip = ZipFile::read(out);
  ASSERT_TRUE(zip.ok()) << zip.error().to_string();
  ASSERT_EQ(zip->entries.size(), 2u);
  EXPECT_EQ(zip->entries[0].name, asic_file_name("q/1", false, req));
  EXPECT_EQ(zip->entries[1].name, asic_file_name("q/1", true, resp));
  EXPECT_EQ(zip->entries[0].name.rfind("q%2F1-request-", 0), 0u);
  auto container = AsicContainer::read(zip->entries[0].data);
  ASSERT_TRUE(container.ok()) << container.error().to_string();
  EXPECT_EQ(container->parts.attachments, std::vector<std::string>{"request body"});
  EXPECT_EQ(container->parts.message, records[0].message);
  (void)late;

  // Limits: records, and bytes together, refused before more is written.
  RetrievalLimits limits;
  limits.max_containers = 2;
  out.clear();
  auto too_many = write_container_zip(*log.store, records, "q/1", limits, sink);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code(), make_error_code(errc::too_large));
  EXPECT_TRUE(out.empty());
  limits = {};
  limits.max_zip_bytes = 100;
  EXPECT_EQ(write_container_zip(*log.store, records, "q/1", limits, sink).error().code(),
            make_error_code(errc::too_large));
}

}  // namespace
}  // namespace roadside::messagelog
