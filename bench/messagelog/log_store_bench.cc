// bench/messagelog: what writing the message log costs, apart from the exchange.
//
// Writes records shaped like bench/exchange's GET (a REST request without a body and its
// response with a 1 KiB body, each with a batch signature, hash chain and hash chain result
// of the sizes X-Road's exchange gives) through LogStore::insert into a new SQLite database,
// as the group writer does: one transaction per group, for several group sizes. Then the same
// with body logging off (metadata records: no body), and the floor: each group's bytes (the
// same records' message, signature, hash chain and body end to end) as one row of a table
// without indexes, in the same database. For each it prints, per record, the CPU
// time of the process (user + system), the wall time, and the bytes it wrote (the WAL, the
// checkpoints into the database file, temporary files: /proc/self/io wchar).
//
// The figures are this machine's floor for the full variant: the exchange bench's servers
// each write two such records per message, in groups of two to four at 16 connections.
//
// Usage: roadside-bench-messagelog [--dir DIR] [--records N]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/resource.h>

#include "base/log.h"
#include "messagelog/log_store.h"
#include "storage/store.h"

namespace fs = std::filesystem;
using namespace roadside;

namespace {

// Sizes measured in the exchange bench's databases (messagelog_payloads, messagelog_pieces).
constexpr std::size_t kRequestMessage = 190, kResponseMessage = 345, kSignature = 6645, kHashChain = 1040,
                      kHashChainResult = 405, kResponseBody = 1024;

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Bytes this process has passed to write(2) and friends.
std::uint64_t bytes_written() {
  std::ifstream in("/proc/self/io");
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "wchar:") return value;
  }
  return 0;
}

class Text {
 public:
  std::string operator()(std::size_t n) {
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string s(n, '\0');
    for (auto& c : s) c = kAlphabet[rng_() % kAlphabet.size()];
    return s;
  }

 private:
  std::mt19937_64 rng_{2026};
};

// A request and its response, as the proxies hand them to the log.
std::vector<messagelog::MessageRecordInput> exchange_records(Text& text, bool body_logged) {
  std::vector<messagelog::MessageRecordInput> out(2);
  const std::string request_id = text(36);
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto& r = out[i];
    r.response = i == 1;
    r.x_request_id = request_id;
    r.client = XRoadId::parse("SUBSYSTEM:DEV/COM/1001/CLIENT").value();
    r.message = text(r.response ? kResponseMessage : kRequestMessage);
    r.signature = text(kSignature);
    r.hash_chain_result = text(kHashChainResult);
    r.hash_chain = text(kHashChain);
    r.body_logged = body_logged;
    if (r.response && body_logged) r.attachments.emplace_back(text(kResponseBody));
  }
  return out;
}

// Each group's bytes as one row: what writing them durably costs, whatever the layout.
Status insert_floor(storage::Connection& conn, const std::vector<const messagelog::MessageRecordInput*>& group) {
  std::string bytes;
  for (const auto* r : group) {
    bytes += r->message;
    bytes += r->signature;
    bytes += r->hash_chain.value_or("");
    bytes += r->hash_chain_result.value_or("");
    for (const auto& a : r->attachments) {
      ROADSIDE_TRY_STATUS(a.for_each_piece([&](std::string_view piece) -> Status {
        bytes += piece;
        return {};
      }));
    }
  }
  ROADSIDE_TRY_STATUS(conn.begin());
  const storage::Value row[] = {storage::Blob{std::move(bytes)}};
  if (auto st = conn.query("INSERT INTO bench_floor (data) VALUES (?)", row); !st.ok()) {
    (void)conn.rollback();
    return st.error();
  }
  return conn.commit();
}

enum class Kind { exchange, metadata, floor };

struct Figures {
  double cpu_us = 0, wall_us = 0, kb_written = 0;
};

Result<Figures> run(const fs::path& dir, std::size_t group, std::size_t records, Kind kind) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    ROADSIDE_TRY(auto conn, storage::open_sqlite({dir / "roadside.db"}));
    storage::Store store(std::move(conn));
    ROADSIDE_TRY_STATUS(store.migrate());
  }
  ROADSIDE_TRY(auto conn, storage::open_sqlite({dir / "roadside.db"}));
  ROADSIDE_TRY_STATUS(conn->execute_script("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, data BLOB NOT NULL)"));
  messagelog::LogStore log(std::move(conn));
  Text text;
  std::vector<messagelog::MessageRecordInput> pool;
  for (int i = 0; i < 32; ++i) {
    for (auto& r : exchange_records(text, kind != Kind::metadata)) pool.push_back(std::move(r));
  }
  const double cpu0 = cpu_seconds();
  const std::uint64_t written0 = bytes_written();
  const auto wall0 = std::chrono::steady_clock::now();
  for (std::size_t done = 0; done < records; done += group) {
    std::vector<const messagelog::MessageRecordInput*> batch;
    for (std::size_t k = 0; k < group; ++k) {
      auto& r = pool[(done + k) % pool.size()];
      r.query_id = text(36);  // each its own, as the /asic index sees them
      batch.push_back(&r);
    }
    if (kind == Kind::floor) {
      ROADSIDE_TRY_STATUS(insert_floor(log.connection(), batch));
    } else {
      ROADSIDE_TRY_STATUS(log.insert(batch, std::chrono::system_clock::now()));
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const auto n = static_cast<double>(records);
  return Figures{(cpu_seconds() - cpu0) / n * 1e6, wall / n * 1e6,
                 static_cast<double>(bytes_written() - written0) / n / 1024};
}

}  // namespace

int main(int argc, char** argv) {
  fs::path dir = "build/bench/messagelog";
  std::size_t records = 6000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--dir") {
      dir = argv[i + 1];
    } else if (flag == "--records") {
      records = std::stoul(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--records N]\n", argv[0]);
      return 2;
    }
  }
  log::set_level(log::Level::warn);  // not the migration's line per row
  std::printf("message log writes: LogStore::insert on SQLite (WAL, synchronous=FULL), %zu records a row, in %s\n",
              records, dir.c_str());
  std::printf("%-22s %6s %14s %15s %18s\n", "records", "group", "CPU us/record", "wall us/record",
              "KiB written/record");
  const std::pair<Kind, const char*> kinds[] = {
      {Kind::exchange, "GET exchange"}, {Kind::metadata, "body logging off"}, {Kind::floor, "floor: one row a group"}};
  for (const auto& [kind, name] : kinds) {
    for (const std::size_t group : {1, 3, 8, 16, 32}) {
      auto f = run(dir, group, records, kind);
      if (!f.ok()) {
        std::fprintf(stderr, "bench: %s\n", f.error().to_string().c_str());
        return 1;
      }
      std::printf("%-22s %6zu %14.1f %15.1f %18.1f\n", name, group, f->cpu_us, f->wall_us, f->kb_written);
      std::fflush(stdout);
    }
  }
  fs::remove_all(dir);
  return 0;
}
