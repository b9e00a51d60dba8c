// Message bodies that may not fit in memory. A body over a size limit goes to a spool file:
// a temporary file with no name (O_TMPFILE, or unlinked at once), so it disappears with its
// last reader, even when the process is killed. A Payload is the body as the code passes it
// around: bytes in memory, or a range of a spool file read in pieces.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace roadside::net {

// Bodies move between a connection and a Payload through buffers of this size (a TLS
// record's plaintext), taken only while a body moves: what a slow peer makes us hold.
inline constexpr std::size_t kBodyChunkBytes = 16 * 1024;

// A shared allowance of bytes (of memory, or of disk) that holders take from and give back.
// Thread-safe.
class ByteBudget {
 public:
  explicit ByteBudget(std::uint64_t limit) : limit_(limit) {}
  // Takes `n` bytes; false (and nothing taken) when that would pass the limit.
  bool try_take(std::uint64_t n);
  void give_back(std::uint64_t n);
  std::uint64_t used() const { return used_.load(); }
  std::uint64_t limit() const { return limit_.load(); }
  void set_limit(std::uint64_t limit) { limit_ = limit; }

 private:
  std::atomic<std::uint64_t> limit_;
  std::atomic<std::uint64_t> used_{0};
};

// What one holder took from a ByteBudget, given back when it is destroyed. With a weight,
// each byte grown takes `weight` bytes of the budget: a body read into memory is copied and
// parsed afterwards, and what counts is all the memory it will hold, not its length.
class BudgetShare {
 public:
  explicit BudgetShare(ByteBudget& budget, unsigned weight = 1) : budget_(budget), weight_(weight == 0 ? 1 : weight) {}
  ~BudgetShare() { budget_.give_back(taken_); }
  BudgetShare(const BudgetShare&) = delete;
  BudgetShare& operator=(const BudgetShare&) = delete;
  bool grow(std::uint64_t n);  // takes n × weight more, or false (and nothing taken)
  void shrink_to(std::uint64_t bytes);  // gives back what it holds beyond `bytes` of the budget
  std::uint64_t taken() const { return taken_; }

 private:
  ByteBudget& budget_;
  unsigned weight_;
  std::uint64_t taken_ = 0;
};

// Limits on all spool files of the process together: a quota of bytes, and free space left
// on the spool folder's file system (the database may live on it). A write past either is
// refused with errc::no_space; nothing is half-written.
struct SpoolLimits {
  std::uint64_t quota_bytes = 8ull << 30;
  std::uint64_t min_free_bytes = 1ull << 30;
};
void set_spool_limits(const SpoolLimits& limits);
// Bytes in all spool files now.
std::uint64_t spooled_bytes();

class SpoolFile {
 public:
  // A new empty file in `dir` (created when missing). Errors name the folder and the cause.
  static Result<std::shared_ptr<SpoolFile>> create(const std::filesystem::path& dir);
  // An existing regular file, opened for reading only: its bytes are the caller's, so they
  // are not counted in the spool quota, and append() is refused. Its size is taken now.
  static Result<std::shared_ptr<SpoolFile>> open_existing(const std::filesystem::path& file);
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  Status append(std::string_view data);
  std::uint64_t size() const noexcept { return size_; }
  // Reads up to buf.size() bytes at `offset`; 0 at the end.
  Result<std::size_t> read_at(std::uint64_t offset, std::span<char> buf) const;

 private:
  SpoolFile(int fd, std::filesystem::path dir) : fd_(fd), dir_(std::move(dir)) {}
  int fd_ = -1;
  std::filesystem::path dir_;  // (open_existing: the file)
  std::uint64_t size_ = 0;
  bool counted_ = true;  // in the spool quota; false for open_existing()
};

// A body: bytes in memory or a part of a spool file. Copies share what they hold (the bytes
// in memory too, read-only), so a body kept for a second try, or sent as a piece of another,
// is not copied.
class Payload {
 public:
  Payload() = default;
  explicit Payload(std::string bytes)
      : bytes_(bytes.empty() ? nullptr : std::make_shared<std::string>(std::move(bytes))) {}
  Payload(std::shared_ptr<const SpoolFile> file, std::uint64_t offset, std::uint64_t length)
      : file_(std::move(file)), offset_(offset), length_(length) {}
  // The whole of an existing regular file, read from disk in pieces when sent
  // (SpoolFile::open_existing): an upload of a file never holds it in memory.
  static Result<Payload> from_file(const std::filesystem::path& file);

  bool in_memory() const noexcept { return file_ == nullptr; }
  // The bytes of an in-memory payload (empty for a spooled one).
  const std::string& bytes() const noexcept;
  // The bytes of an in-memory payload, moved out when no copy shares them (copied otherwise),
  // leaving it empty; nothing for a spooled one, which keeps its file.
  std::string take_bytes() &&;
  std::uint64_t size() const noexcept { return file_ ? length_ : bytes().size(); }
  bool empty() const noexcept { return size() == 0; }
  // Reads up to buf.size() bytes at `offset` within the payload; 0 at its end.
  Result<std::size_t> read_at(std::uint64_t offset, std::span<char> buf) const;
  // A part of this payload (offset and length within it).
  Payload slice(std::uint64_t offset, std::uint64_t length) const;

  // Calls `f` with the bytes in order, in pieces of at most 64 KiB for a spooled payload;
  // stops at the first error `f` returns.
  Status for_each_piece(const std::function<Status(std::string_view)>& f) const;
  // All bytes in memory, refusing payloads over `limit` (errc::too_large).
  Result<std::string> read_all(std::uint64_t limit) const;

 private:
  std::shared_ptr<std::string> bytes_;  // never changed once made: copies share it
  std::shared_ptr<const SpoolFile> file_;
  std::uint64_t offset_ = 0;
  std::uint64_t length_ = 0;
};

// Collects a body that arrives in pieces: in memory up to `in_memory_limit`, then in a spool
// file under `spool_dir`.
class PayloadBuilder {
 public:
  PayloadBuilder(std::filesystem::path spool_dir, std::uint64_t in_memory_limit)
      : dir_(std::move(spool_dir)), limit_(in_memory_limit) {}
  Status append(std::string_view data);
  // Room in memory for a body of `n` bytes in all, when it would stay there.
  void reserve(std::size_t n);
  // Room for up to `n` more bytes at the end of the body in memory, to be read into directly
  // and then commit()ted (no copy): empty when they would not stay in memory (append() them
  // then). The room is filled with zeros until committed; another call or append() drops it.
  std::span<char> prepare(std::size_t n);
  // Keeps `n` bytes (at most what prepare() gave) of the room.
  void commit(std::size_t n);
  std::uint64_t size() const noexcept { return file_ ? file_->size() : bytes_.size() - room_; }
  // Whether the body has gone to a spool file (and holds no bytes in memory).
  bool spooled() const noexcept { return file_ != nullptr; }
  Payload finish() &&;

 private:
  std::filesystem::path dir_;
  std::uint64_t limit_;
  std::string bytes_;
  std::size_t room_ = 0;  // of bytes_'s end: prepared, not committed
  std::shared_ptr<SpoolFile> file_;
};

}  // namespace roadside::net
