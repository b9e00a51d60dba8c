#include "envmon/metrics.h"

#include <algorithm>
#include <array>
#include <charconv>
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

// A whole non-negative decimal number, nothing else: no sign, no space, no overflow.
std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> to_i64(std::optional<std::uint64_t> v, std::uint64_t factor = 1) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!v || factor == 0 || *v > kMax / factor) return std::nullopt;
  return static_cast<std::int64_t>(*v * factor);
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// Calls `f(line)` for each line of `text` (without its '\n') until it returns false.
template <typename F>
void for_each_line(std::string_view text, F f) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    if (!f(text.substr(0, nl))) return;
    if (nl == std::string_view::npos) return;
    text.remove_prefix(nl + 1);
  }
}

// Whitespace-separated words of `s`, at most `max` of them.
std::vector<std::string_view> words(std::string_view s, std::size_t max) {
  std::vector<std::string_view> out;
  while (out.size() < max) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) break;
    s.remove_prefix(b);
    const auto e = s.find_first_of(" \t");
    out.push_back(s.substr(0, e));
    if (e == std::string_view::npos) break;
    s.remove_prefix(e);
  }
  return out;
}

// The value of a "Key:   value [kB]" line of /proc/meminfo or /proc/self/status, in the file's
// unit (kB there); nullopt when the key is missing, repeated with another value, or malformed.
std::optional<std::uint64_t> keyed_number(std::string_view text, std::string_view key) {
  std::optional<std::uint64_t> found;
  bool bad = false;
  for_each_line(text, [&](std::string_view line) {
    if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != ':') return true;
    const auto w = words(line.substr(key.size() + 1), 3);
    const auto v = w.empty() ? std::nullopt : parse_u64(w[0]);
    if (!v || w.size() > 2 || (w.size() == 2 && w[1] != "kB") || (found && *found != *v)) bad = true;
    found = v;
    return !bad;
  });
  return bad ? std::nullopt : found;
}

std::string bounded(std::string_view s, std::size_t max_chars) {
  return std::string(s.substr(0, max_chars));
}

// /proc/stat's aggregate cpu line: time busy and in all (idle and iowait are not busy).
struct CpuLine {
  std::uint64_t busy = 0, total = 0;
};
std::optional<CpuLine> parse_cpu_line(std::string_view stat) {
  std::optional<CpuLine> out;
  for_each_line(stat, [&](std::string_view line) {
    if (line.substr(0, 4) != "cpu ") return true;
    // user nice system idle iowait irq softirq steal (guest and guest_nice are in user already)
    const auto w = words(line.substr(4), 8);
    if (w.size() < 4) return false;
    CpuLine c;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const auto v = parse_u64(w[i]);
      if (!v || *v > std::numeric_limits<std::uint64_t>::max() / 16) return false;
      c.total += *v;
      if (i != 3 && i != 4) c.busy += *v;
    }
    out = c;
    return false;
  });
  return out;
}

std::optional<std::int64_t> boot_time(std::string_view stat) {
  std::optional<std::int64_t> out;
  for_each_line(stat, [&](std::string_view line) {
    if (line.substr(0, 6) != "btime ") return true;
    out = to_i64(parse_u64(trim(line.substr(6))));
    return false;
  });
  return out;
}

// The first number of /proc/uptime: seconds since boot.
std::optional<double> uptime_seconds(std::string_view text) {
  const auto w = words(text.substr(0, text.find('\n')), 1);
  double v = 0;
  if (w.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(w[0].data(), w[0].data() + w[0].size(), v, std::chars_format::fixed);
  if (ec != std::errc() || end != w[0].data() + w[0].size() || !std::isfinite(v) || v < 0 || v > 1e12)
    return std::nullopt;
  return v;
}

// The fields of /proc/<pid>/stat that `ps` shows.
struct PidStat {
  std::string comm;
  std::uint64_t utime = 0, stime = 0, starttime = 0, rss = 0;
};
std::optional<PidStat> parse_pid_stat(std::string_view text) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so it ends at the last ')'.
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  PidStat s;
  s.comm = std::string(text.substr(open + 1, close - open - 1));
  // Fields 3.. after the comm: utime is field 14, stime 15, starttime 22, rss 24.
  const auto w = words(text.substr(close + 1), 22);
  if (w.size() < 22) return std::nullopt;
  const auto utime = parse_u64(w[11]), stime = parse_u64(w[12]), start = parse_u64(w[19]), rss = parse_u64(w[21]);
  if (!utime || !stime || !start || !rss) return std::nullopt;
  s.utime = *utime;
  s.stime = *stime;
  s.starttime = *start;
  s.rss = *rss;
  return s;
}

// The effective uid of a /proc/<pid>/status ("Uid:\treal\teffective\tsaved\tfs").
std::optional<std::uint64_t> effective_uid(std::string_view status) {
  std::optional<std::uint64_t> out;
  for_each_line(status, [&](std::string_view line) {
    if (line.substr(0, 4) != "Uid:") return true;
    const auto w = words(line.substr(4), 4);
    if (w.size() >= 2) out = parse_u64(w[1]);
    return false;
  });
  if (out && *out > std::numeric_limits<uid_t>::max()) return std::nullopt;
  return out;
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

// A process's command line with its NULs as spaces; "" when it has none (a kernel thread).
// The program and its subcommand ("/usr/bin/roadside serve"), never further arguments: they may
// carry secrets (--set token.pin=...), and the answer goes to another organisation.
std::string command_line(const std::filesystem::path& file, std::size_t max_chars) {
  auto bytes = read_file_limited(file, kMaxPidFileBytes);
  if (!bytes.ok()) return {};
  const std::string_view args(*bytes);
  const std::size_t end0 = args.find('\0');
  std::string out(args.substr(0, end0));
  if (end0 != std::string_view::npos) {
    const std::string_view rest = args.substr(end0 + 1);
    const std::string_view sub = rest.substr(0, rest.find('\0'));
    if (!sub.empty() && sub.front() != '-' && sub.find('=') == std::string_view::npos) out += " " + std::string(sub);
  }
  return bounded(out, max_chars);
}

// dpkg's status file: every package whose files are on the host (dpkg-query --show less the
// packages of which only configuration files remain), in the file's order.
std::vector<PackageInfo> parse_dpkg_status(std::string_view text, std::size_t max_packages, std::size_t max_chars,
                                           bool& truncated) {
  std::vector<PackageInfo> out;
  PackageInfo current;
  std::string_view state;
  auto finish = [&] {
    const bool present = !state.empty() && state != "not-installed" && state != "config-files";
    if (present && !current.name.empty() && !current.version.empty()) {
      if (out.size() < max_packages) {
        out.push_back(std::move(current));
      } else {
        truncated = true;
      }
    }
    current = {};
    state = {};
  };
  for_each_line(text, [&](std::string_view line) {
    if (trim(line).empty()) {
      finish();
      return !truncated;
    }
    if (line.front() == ' ' || line.front() == '\t') return true;  // a continuation line
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return true;
    const auto key = line.substr(0, colon);
    const auto value = trim(line.substr(colon + 1));
    if (key == "Package") current.name = bounded(value, max_chars);
    if (key == "Version") current.version = bounded(value, max_chars);
    if (key == "Status") {
      const auto w = words(value, 4);
      state = w.size() == 3 ? w[2] : std::string_view();  // malformed: not counted
    }
    return true;
  });
  if (!truncated) finish();
  return out;
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
  } else if (const auto line = trim(std::string_view(*version).substr(0, version->find('\n'))); line.empty()) {
    problem("OperatingSystem: " + (proc / "version").string() + " is empty");
  } else {
    snap.operating_system = bounded(line, options_.max_field_chars);
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
