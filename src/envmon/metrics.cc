#include "envmon/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <system_error>
#include <utility>

#include <pwd.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/files.h"
#include "envmon/parse.h"

namespace roadside::envmon {

std::string_view to_string(CertificateType type) noexcept {
  switch (type) {
    case CertificateType::auth_or_sign:
      return "AUTH_OR_SIGN";
    case CertificateType::security_server_tls:
      return "SECURITY_SERVER_TLS";
    case CertificateType::internal_is_client_tls:
      return "INTERNAL_IS_CLIENT_TLS";
  }
  return "AUTH_OR_SIGN";
}

namespace {

constexpr std::uintmax_t kMaxPidFileBytes = 64 * 1024;  // a process's stat, status or cmdline
constexpr std::size_t kMaxOpenFds = 1 << 20;            // counted before giving up
constexpr std::int64_t kKiB = 1024;

std::optional<std::int64_t> to_i64(std::optional<std::uint64_t> v, std::uint64_t factor = 1) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!v || factor == 0 || *v > kMax / factor) return std::nullopt;
  return static_cast<std::int64_t>(*v * factor);
}

std::string bounded(std::string_view s, std::size_t max_chars) {
  return std::string(s.substr(0, max_chars));
}

std::string user_name(std::uint64_t uid, std::map<std::uint64_t, std::string>& cache) {
  if (auto it = cache.find(uid); it != cache.end()) return it->second;
  std::string name = std::to_string(uid);
  passwd pw{};
  passwd* found = nullptr;
  std::array<char, 4096> buf{};
  if (::getpwuid_r(static_cast<uid_t>(uid), &pw, buf.data(), buf.size(), &found) == 0 && found && pw.pw_name)
    name = bounded(pw.pw_name, 64);
  cache.emplace(uid, name);
  return name;
}

// ps's "##.#" of a per-mille value (ps writes a whole number from 100 % up).
std::string per_mille(std::uint64_t v) {
  if (v > 999) return std::to_string(v / 10);
  return std::to_string(v / 10) + "." + std::to_string(v % 10);
}

// ps's start_time, in UTC: "HH:MM" today, "MmmDD" this year, "YYYY" before.
std::string start_time(std::int64_t started, std::int64_t now) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto s = static_cast<std::time_t>(started), n = static_cast<std::time_t>(now);
  std::tm st{}, nt{};
  if (!::gmtime_r(&s, &st) || !::gmtime_r(&n, &nt)) return "?";
  char buf[32];
  if (st.tm_year == nt.tm_year && st.tm_yday == nt.tm_yday) {
    std::snprintf(buf, sizeof buf, "%02d:%02d", st.tm_hour, st.tm_min);
  } else if (st.tm_year == nt.tm_year) {
    std::snprintf(buf, sizeof buf, "%s%02d", kMonths[static_cast<std::size_t>(st.tm_mon) % 12], st.tm_mday);
  } else {
    std::snprintf(buf, sizeof buf, "%d", st.tm_year + 1900);
  }
  return buf;
}

// What every process's line needs from the host.
struct HostClock {
  std::int64_t boot_time = 0;  // Unix seconds
  double uptime = 0;           // seconds
  std::int64_t now = 0;        // Unix seconds
  std::uint64_t mem_total_kib = 0;
  std::uint64_t ticks_per_second = 100;
  std::uint64_t page_kib = 4;
};

std::optional<ProcessInfo> process_info(std::uint64_t pid, const PidStat& st, std::uint64_t uid, const HostClock& host,
                                        std::map<std::uint64_t, std::string>& users) {
  const std::uint64_t hz = host.ticks_per_second;
  if (st.rss > std::numeric_limits<std::uint64_t>::max() / 1000 / host.page_kib) return std::nullopt;
  if (st.starttime / hz > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) return std::nullopt;
  ProcessInfo p;
  p.process_id = std::to_string(pid);
  const double running = host.uptime - static_cast<double>(st.starttime) / static_cast<double>(hz);
  const double cpu_ticks = static_cast<double>(st.utime) + static_cast<double>(st.stime);
  const double pcpu = running > 0 ? cpu_ticks * 1000.0 / static_cast<double>(hz) / running : 0.0;
  p.cpu_load = per_mille(static_cast<std::uint64_t>(std::clamp(pcpu, 0.0, 1e9)));
  p.mem_used = per_mille(std::min<std::uint64_t>(999, st.rss * host.page_kib * 1000 / host.mem_total_kib));
  p.start_time = start_time(host.boot_time + static_cast<std::int64_t>(st.starttime / hz), host.now);
  p.user_id = user_name(uid, users);
  return p;
}

// A process's command line: its program and subcommand (program_and_subcommand); "" when it
// has none (a kernel thread) or it cannot be read.
std::string command_line(const std::filesystem::path& file, std::size_t max_chars) {
  auto bytes = read_file_limited(file, kMaxPidFileBytes);
  if (!bytes.ok()) return {};
  return program_and_subcommand(*bytes, max_chars);
}

std::int64_t unix_seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Dropwizard's UniformSnapshot of a histogram's values, as X-Road answers it.
std::optional<Histogram> uniform_snapshot(std::vector<std::int64_t> v, Clock::time_point updated) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  Histogram h;
  h.updated = updated;
  h.min = v.front();
  h.max = v.back();
  const auto n = static_cast<double>(v.size());
  double sum = 0;
  for (const auto x : v) sum += static_cast<double>(x);
  h.mean = sum / n;
  if (v.size() > 1) {
    double squares = 0;
    for (const auto x : v) squares += (static_cast<double>(x) - h.mean) * (static_cast<double>(x) - h.mean);
    h.stddev = std::sqrt(squares / (n - 1));
  }
  // The median as Snapshot.getValue(0.5) interpolates it.
  const double pos = 0.5 * (n + 1);
  const auto index = static_cast<std::size_t>(pos);
  if (index < 1) {
    h.median = static_cast<double>(v.front());
  } else if (index >= v.size()) {
    h.median = static_cast<double>(v.back());
  } else {
    const auto lower = static_cast<double>(v[index - 1]), upper = static_cast<double>(v[index]);
    h.median = lower + (pos - std::floor(pos)) * (upper - lower);
  }
  return h;
}

}  // namespace

Collector::Collector(CollectorOptions options, const Clock& clock) : options_(std::move(options)), clock_(clock) {}

Collector::Listings Collector::read_listings(std::optional<std::int64_t> mem_total_kib) const {
  Listings out;
  out.read_at = clock_.now();
  const auto& proc = options_.proc_root;
  auto problem = [&](std::string what) { out.problems.push_back(std::move(what)); };

  if (auto status = read_file_limited(options_.dpkg_status, options_.max_dpkg_status_bytes); !status.ok()) {
    problem("Packages: " + status.error().detail());
  } else {
    bool truncated = false;
    out.packages = parse_dpkg_status(*status, options_.max_packages, options_.max_field_chars, truncated);
    if (truncated) problem("Packages: only the first " + std::to_string(options_.max_packages) + " are listed");
  }

  HostClock host;
  host.now = unix_seconds(out.read_at);
  const long hz = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  host.ticks_per_second = hz > 0 ? static_cast<std::uint64_t>(hz) : 100;
  host.page_kib = page >= kKiB ? static_cast<std::uint64_t>(page / kKiB) : 4;
  auto stat = read_file_limited(proc / "stat", options_.max_proc_file_bytes);
  auto uptime = read_file_limited(proc / "uptime", options_.max_proc_file_bytes);
  const auto boot = stat.ok() ? boot_time(*stat) : std::nullopt;
  const auto up = uptime.ok() ? uptime_seconds(*uptime) : std::nullopt;
  if (!boot || *boot > (std::int64_t{1} << 40) || !up || !mem_total_kib || *mem_total_kib <= 0) {
    problem("Processes: no boot time in " + (proc / "stat").string() + ", uptime in " + (proc / "uptime").string() +
            " or MemTotal in " + (proc / "meminfo").string());
    return out;
  }
  host.boot_time = *boot;
  host.uptime = *up;
  host.mem_total_kib = static_cast<std::uint64_t>(*mem_total_kib);

  std::string server_command = options_.server_command;
  if (server_command.empty()) {
    auto self = read_file_limited(proc / "self" / "stat", kMaxPidFileBytes);
    if (auto st = self.ok() ? parse_pid_stat(*self) : std::nullopt) server_command = st->comm;
  }

  std::vector<std::uint64_t> pids;
  bool truncated = false;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(proc, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > 10 || !parse_u64(name)) continue;
    if (pids.size() == options_.max_processes) {
      truncated = true;
      break;
    }
    pids.push_back(*parse_u64(name));
  }
  if (ec) {
    problem("Processes: cannot list " + proc.string() + ": " + ec.message());
    return out;
  }
  std::sort(pids.begin(), pids.end());

  std::vector<ProcessInfo> all, server;
  std::map<std::uint64_t, std::string> users;
  std::size_t malformed = 0;
  for (const std::uint64_t pid : pids) {
    const auto dir = proc / std::to_string(pid);
    auto stat_text = read_file_limited(dir / "stat", kMaxPidFileBytes);
    auto status_text = read_file_limited(dir / "status", kMaxPidFileBytes);
    if (!stat_text.ok() || !status_text.ok()) continue;  // it ended since the listing
    const auto st = parse_pid_stat(*stat_text);
    const auto uid = effective_uid(*status_text);
    auto info = st && uid ? process_info(pid, *st, *uid, host, users) : std::nullopt;
    if (!info) {
      ++malformed;
      continue;
    }
    info->command = bounded(st->comm, options_.max_field_chars);
    if (!server_command.empty() && st->comm == server_command) {
      ProcessInfo own = *info;
      if (auto line = command_line(dir / "cmdline", options_.max_field_chars); !line.empty()) own.command = line;
      server.push_back(std::move(own));
    }
    all.push_back(std::move(*info));
  }
  if (truncated) problem("Processes: only the first " + std::to_string(options_.max_processes) + " are listed");
  if (malformed > 0) problem("Processes: " + std::to_string(malformed) + " left out, their stat or status malformed");
  out.processes = std::move(all);
  out.server_processes = std::move(server);
  return out;
}

Snapshot Collector::collect(std::vector<CertificateInfo> certificates) {
  MutexLock lock(mu_);
  Snapshot snap;
  snap.certificates = std::move(certificates);
  const Clock::time_point now = clock_.now();
  const auto& proc = options_.proc_root;
  auto problem = [&](std::string what) { snap.problems.push_back(std::move(what)); };
  Sample sample{now, {}, {}, {}, {}, {}};

  if (auto version = read_file_limited(proc / "version", options_.max_proc_file_bytes); !version.ok()) {
    problem("OperatingSystem: " + version.error().detail());
  } else if (auto line = operating_system_line(*version, options_.max_field_chars); !line) {
    problem("OperatingSystem: " + (proc / "version").string() + " is empty");
  } else {
    snap.operating_system = std::move(line);
  }

  std::optional<std::int64_t> mem_total_kib;
  if (auto meminfo = read_file_limited(proc / "meminfo", options_.max_proc_file_bytes); !meminfo.ok()) {
    problem("memory and swap: " + meminfo.error().detail());
  } else {
    mem_total_kib = to_i64(keyed_number(*meminfo, "MemTotal"));
    snap.total_physical_memory = to_i64(keyed_number(*meminfo, "MemTotal"), kKiB);
    sample.free_physical_memory = to_i64(keyed_number(*meminfo, "MemFree"), kKiB);
    snap.total_swap_space = to_i64(keyed_number(*meminfo, "SwapTotal"), kKiB);
    sample.free_swap_space = to_i64(keyed_number(*meminfo, "SwapFree"), kKiB);
    if (!snap.total_physical_memory || !sample.free_physical_memory || !snap.total_swap_space ||
        !sample.free_swap_space)
      problem("memory and swap: " + (proc / "meminfo").string() +
              " lacks a usable MemTotal, MemFree, SwapTotal or SwapFree");
  }

  if (auto stat = read_file_limited(proc / "stat", options_.max_proc_file_bytes); !stat.ok()) {
    problem("SystemCpuLoad: " + stat.error().detail());
  } else if (const auto cpu = parse_cpu_line(*stat); !cpu || cpu->busy > cpu->total) {
    problem("SystemCpuLoad: " + (proc / "stat").string() + " has no usable cpu line");
  } else {
    // Since the previous sample; since boot for the first, or when the counters went back.
    CpuLine delta = *cpu;
    if (last_cpu_ && last_cpu_->total <= cpu->total && last_cpu_->busy <= cpu->busy) {
      delta = {cpu->busy - last_cpu_->busy, cpu->total - last_cpu_->total};
    }
    if (delta.total > 0 && delta.busy <= delta.total) {
      sample.cpu_load =
          static_cast<std::int64_t>(static_cast<double>(delta.busy) * 100.0 / static_cast<double>(delta.total));
      last_cpu_ = CpuTimes{cpu->busy, cpu->total};
    }
  }

  if (auto status = read_file_limited(proc / "self" / "status", options_.max_proc_file_bytes); !status.ok()) {
    problem("CommittedVirtualMemory: " + status.error().detail());
  } else if (!(sample.committed_vm = to_i64(keyed_number(*status, "VmSize"), kKiB))) {
    problem("CommittedVirtualMemory: " + (proc / "self" / "status").string() + " has no usable VmSize");
  }

  {
    std::error_code ec;
    std::size_t fds = 0;
    const auto fd_dir = proc / "self" / "fd";
    for (std::filesystem::directory_iterator it(fd_dir, ec), end; !ec && it != end && fds <= kMaxOpenFds;
         it.increment(ec))
      ++fds;
    if (ec) {
      problem("OpenFileDescriptorCount: cannot list " + fd_dir.string() + ": " + ec.message());
    } else if (fds > kMaxOpenFds) {
      problem("OpenFileDescriptorCount: more than " + std::to_string(kMaxOpenFds) + " in " + fd_dir.string());
    } else {
      sample.open_fds = static_cast<std::int64_t>(fds);
    }
  }

  if (rlimit lim{}; ::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) {
    problem("MaxFileDescriptorCount: getrlimit(RLIMIT_NOFILE) gives no limit");
  } else {
    snap.max_file_descriptor_count = to_i64(static_cast<std::uint64_t>(lim.rlim_cur));
  }

  for (const auto& fs : options_.filesystems) {
    struct statvfs st {};
    const auto total = ::statvfs(fs.c_str(), &st) == 0 ? to_i64(st.f_blocks, st.f_frsize) : std::nullopt;
    const auto free = total ? to_i64(st.f_bfree, st.f_frsize) : std::nullopt;
    if (!total || !free) {
      problem("DiskSpace: cannot measure " + fs.string());
      continue;
    }
    snap.disks.push_back({fs.string(), *total, *free});
  }

  if (!listings_ || now - listings_->read_at >= options_.listing_max_age || now < listings_->read_at)
    listings_ = read_listings(mem_total_kib);
  snap.processes = listings_->processes;
  snap.server_processes = listings_->server_processes;
  snap.packages = listings_->packages;
  snap.problems.insert(snap.problems.end(), listings_->problems.begin(), listings_->problems.end());

  samples_.push_back(sample);
  while (!samples_.empty() && (samples_.size() > options_.max_samples || samples_.front().at <= now - options_.window))
    samples_.pop_front();
  std::vector<std::int64_t> cpu, free_memory, free_swap, fds, vm;
  for (const auto& x : samples_) {
    if (x.cpu_load) cpu.push_back(*x.cpu_load);
    if (x.free_physical_memory) free_memory.push_back(*x.free_physical_memory);
    if (x.free_swap_space) free_swap.push_back(*x.free_swap_space);
    if (x.open_fds) fds.push_back(*x.open_fds);
    if (x.committed_vm) vm.push_back(*x.committed_vm);
  }
  snap.system_cpu_load = uniform_snapshot(std::move(cpu), now);
  snap.free_physical_memory = uniform_snapshot(std::move(free_memory), now);
  snap.free_swap_space = uniform_snapshot(std::move(free_swap), now);
  snap.open_file_descriptor_count = uniform_snapshot(std::move(fds), now);
  snap.committed_virtual_memory = uniform_snapshot(std::move(vm), now);
  return snap;
}

}  // namespace roadside::envmon
