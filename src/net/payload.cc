#include "net/payload.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "net/errors.h"

namespace roadside::net {

namespace {

constexpr std::size_t kPiece = 64 * 1024;

ByteBudget& spool_budget() {
  static ByteBudget budget(SpoolLimits{}.quota_bytes);
  return budget;
}
std::atomic<std::uint64_t> g_min_free{SpoolLimits{}.min_free_bytes};

Error no_space(std::string what) { return Error(make_error_code(errc::no_space), std::move(what)); }

// Free bytes for unprivileged writers on the file system of `fd`, or max when unknown.
std::uint64_t free_bytes(int fd) {
  struct statvfs st {};
  if (::fstatvfs(fd, &st) != 0) return UINT64_MAX;
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

Error io_error(int err, std::string what) {
  return Error(std::error_code(err, std::generic_category()), std::move(what) + ": " + std::strerror(err));
}

}  // namespace

bool ByteBudget::try_take(std::uint64_t n) {
  std::uint64_t used = used_.load();
  do {
    if (used + n > limit_.load() || used + n < used) return false;
  } while (!used_.compare_exchange_weak(used, used + n));
  return true;
}

void ByteBudget::give_back(std::uint64_t n) { used_ -= n; }

bool BudgetShare::grow(std::uint64_t n) {
  if (n > std::numeric_limits<std::uint64_t>::max() / weight_) return false;
  n *= weight_;
  if (!budget_.try_take(n)) return false;
  taken_ += n;
  return true;
}

void BudgetShare::shrink_to(std::uint64_t bytes) {
  if (bytes >= taken_) return;
  budget_.give_back(taken_ - bytes);
  taken_ = bytes;
}

void set_spool_limits(const SpoolLimits& limits) {
  spool_budget().set_limit(limits.quota_bytes);
  g_min_free = limits.min_free_bytes;
}

std::uint64_t spooled_bytes() { return spool_budget().used(); }

Result<std::shared_ptr<SpoolFile>> SpoolFile::create(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(ec, "cannot create the spool folder " + dir.string() + ": " + ec.message());
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // A file system without O_TMPFILE: a named file, unlinked at once.
    std::string name = (dir / "spool-XXXXXX").string();
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) return io_error(errno, "cannot create a spool file in " + dir.string());
  return std::shared_ptr<SpoolFile>(new SpoolFile(fd, dir));
}

Result<std::shared_ptr<SpoolFile>> SpoolFile::open_existing(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return io_error(errno, "cannot open " + file.string());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return io_error(err, "cannot read the size of " + file.string());
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(std::make_error_code(std::errc::invalid_argument), file.string() + " is not a regular file");
  }
  std::shared_ptr<SpoolFile> out(new SpoolFile(fd, file));
  out->size_ = static_cast<std::uint64_t>(st.st_size);
  out->counted_ = false;
  return out;
}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) ::close(fd_);
  if (counted_) spool_budget().give_back(size_);
}

Status SpoolFile::append(std::string_view data) {
  if (!counted_)
    return Error(std::make_error_code(std::errc::bad_file_descriptor), dir_.string() + " is open for reading only");
  if (free_bytes(fd_) < g_min_free.load() + data.size()) {
    return no_space("the spool folder " + dir_.string() + " keeps " + std::to_string(g_min_free.load()) +
                    " bytes free for the database and the system; the body does not fit");
  }
  if (!spool_budget().try_take(data.size())) {
    return no_space("the spool quota of " + std::to_string(spool_budget().limit()) + " bytes is in use by other bodies");
  }
  const std::uint64_t taken = data.size();
  const std::uint64_t before = size_;
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(size_));
    if (n < 0) {
      if (errno == EINTR) continue;
      spool_budget().give_back(taken - (size_ - before));
      return io_error(errno, "cannot write to a spool file in " + dir_.string());
    }
    size_ += static_cast<std::uint64_t>(n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::size_t> SpoolFile::read_at(std::uint64_t offset, std::span<char> buf) const {
  for (;;) {
    const ssize_t n = ::pread(fd_, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR)
      return io_error(errno, "cannot read " + (counted_ ? "a spool file in " : std::string()) + dir_.string());
  }
}

const std::string& Payload::bytes() const noexcept {
  static const std::string kNone;
  return bytes_ ? *bytes_ : kNone;
}

std::string Payload::take_bytes() && {
  std::shared_ptr<std::string> held = std::move(bytes_);
  if (!held) return {};
  // Alone in holding it (no other copy can appear: this one is being emptied), it can move.
  // (The fence orders the move after whatever a copy just dropped on another thread read.)
  if (held.use_count() != 1) return *held;
  std::atomic_thread_fence(std::memory_order_acquire);
  return std::move(*held);
}

Result<std::size_t> Payload::read_at(std::uint64_t offset, std::span<char> buf) const {
  if (offset >= size()) return std::size_t{0};
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size() - offset));
  if (!file_) {
    std::memcpy(buf.data(), bytes_->data() + offset, n);
    return n;
  }
  return file_->read_at(offset_ + offset, buf.first(n));
}

Result<Payload> Payload::from_file(const std::filesystem::path& file) {
  ROADSIDE_TRY(auto opened, SpoolFile::open_existing(file));
  const std::uint64_t size = opened->size();
  return Payload(std::move(opened), 0, size);
}

Payload Payload::slice(std::uint64_t offset, std::uint64_t length) const {
  offset = std::min(offset, size());
  length = std::min(length, size() - offset);
  if (offset == 0 && length == size()) return *this;  // shares what it holds
  if (!file_) return Payload(bytes().substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(length)));
  return Payload(file_, offset_ + offset, length);
}

Status Payload::for_each_piece(const std::function<Status(std::string_view)>& f) const {
  if (!file_) return bytes_ ? f(*bytes_) : Status{};
  std::string buf(static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, length_)), '\0');
  for (std::uint64_t done = 0; done < length_;) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length_ - done));
    ROADSIDE_TRY(std::size_t n, file_->read_at(offset_ + done, std::span<char>(buf.data(), want)));
    if (n == 0) return Error(make_error_code(errc::closed), "a spool file ended early");
    ROADSIDE_TRY_STATUS(f(std::string_view(buf.data(), n)));
    done += n;
  }
  return {};
}

Result<std::string> Payload::read_all(std::uint64_t limit) const {
  if (size() > limit) {
    return Error(make_error_code(errc::too_large), "a body of " + std::to_string(size()) + " bytes is over the limit of " +
                                                      std::to_string(limit) + " bytes for this use");
  }
  if (!file_) return bytes();
  std::string out;
  out.reserve(static_cast<std::size_t>(length_));
  ROADSIDE_TRY_STATUS(for_each_piece([&out](std::string_view piece) -> Status {
    out.append(piece);
    return {};
  }));
  return out;
}

void PayloadBuilder::reserve(std::size_t n) {
  if (!file_ && n <= limit_) bytes_.reserve(n);
}

std::span<char> PayloadBuilder::prepare(std::size_t n) {
  commit(0);
  if (file_ || bytes_.size() + n > limit_) return {};
  const std::size_t at = bytes_.size();
  bytes_.resize(at + n);
  room_ = n;
  return {bytes_.data() + at, n};
}

void PayloadBuilder::commit(std::size_t n) {
  bytes_.resize(bytes_.size() - room_ + std::min(n, room_));
  room_ = 0;
}

Status PayloadBuilder::append(std::string_view data) {
  commit(0);
  if (!file_ && bytes_.size() + data.size() <= limit_) {
    bytes_.append(data);
    return {};
  }
  if (!file_) {
    ROADSIDE_TRY(file_, SpoolFile::create(dir_));
    ROADSIDE_TRY_STATUS(file_->append(bytes_));
    std::string().swap(bytes_);
  }
  return file_->append(data);
}

Payload PayloadBuilder::finish() && {
  commit(0);
  if (!file_) return Payload(std::move(bytes_));
  const std::uint64_t size = file_->size();
  return Payload(std::move(file_), 0, size);
}

}  // namespace roadside::net
