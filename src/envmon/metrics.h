// Environmental monitoring's data (X-Road's ARC-ENVMON §2.2, the xroad-monitor sensors): the
// host as this process sees it, read from /proc, statvfs, getrlimit and dpkg's status file,
// and the certificates the caller names. What X-Road's sensors answer, under X-Road's metric
// names (SystemMetricNames):
//
//   OperatingSystem          the first line of /proc/version (OsInfoLister)
//   TotalPhysicalMemory      MemTotal of /proc/meminfo, bytes          } gauges, read now
//   TotalSwapSpace           SwapTotal, bytes                           }
//   MaxFileDescriptorCount   getrlimit(RLIMIT_NOFILE)'s soft limit      }
//   DiskSpaceTotal_<path>    statvfs: f_blocks * f_frsize, bytes        } one pair a filesystem
//   DiskSpaceFree_<path>     statvfs: f_bfree * f_frsize, bytes         } (X-Road: "/")
//   SystemCpuLoad            percent busy (0-100) of /proc/stat's cpu line since the last sample  } histograms over
//   FreePhysicalMemory       MemFree, bytes                                                        } the samples of
//   FreeSwapSpace            SwapFree, bytes                                                       } the last hour
//   OpenFileDescriptorCount  entries of /proc/self/fd                                              } (X-Road's sliding
//   CommittedVirtualMemory   VmSize of /proc/self/status, bytes                                    } time window)
//   Processes                every process, as `ps -o user,pcpu,start_time,pmem,pid,comm` shows it
//   Xroad Processes          this server's own processes (X-Road: the xroad user's java), with
//                            their program and subcommand (never further arguments: secrets)
//   Packages                 dpkg's installed packages and their versions (PackageLister)
//   Certificates             the caller's (CertificateInfoSensor)
//
// Every file is read with a size limit, every list and text field is bounded, and nothing read
// is trusted: a source that is missing, unreadable, too large or malformed leaves its metric
// out (never a guess, never a crash) and says why in `Snapshot::problems`, for a log line.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/thread_annotations.h"

namespace roadside::envmon {

// X-Road's metric names (SystemMetricNames), the outputField values a request may name.
namespace names {
inline constexpr std::string_view kOperatingSystem = "OperatingSystem";
inline constexpr std::string_view kTotalPhysicalMemory = "TotalPhysicalMemory";
inline constexpr std::string_view kFreePhysicalMemory = "FreePhysicalMemory";
inline constexpr std::string_view kTotalSwapSpace = "TotalSwapSpace";
inline constexpr std::string_view kFreeSwapSpace = "FreeSwapSpace";
inline constexpr std::string_view kCommittedVirtualMemory = "CommittedVirtualMemory";
inline constexpr std::string_view kOpenFileDescriptorCount = "OpenFileDescriptorCount";
inline constexpr std::string_view kMaxFileDescriptorCount = "MaxFileDescriptorCount";
inline constexpr std::string_view kSystemCpuLoad = "SystemCpuLoad";
inline constexpr std::string_view kDiskSpaceTotal = "DiskSpaceTotal";  // + "_" + the filesystem's path
inline constexpr std::string_view kDiskSpaceFree = "DiskSpaceFree";    // + "_" + the filesystem's path
inline constexpr std::string_view kProcesses = "Processes";
inline constexpr std::string_view kXroadProcesses = "Xroad Processes";
inline constexpr std::string_view kPackages = "Packages";
inline constexpr std::string_view kCertificates = "Certificates";
}  // namespace names

// One process, with X-Road's ProcessInfo fields as `ps` formats them.
struct ProcessInfo {
  std::string process_id;  // pid
  std::string command;     // comm; for this server's own processes the command line
  std::string cpu_load;    // %CPU "##.#": CPU time over the time since the process started
  std::string mem_used;    // %MEM "##.#": resident set over physical memory
  std::string start_time;  // UTC: "HH:MM" if started today, "MmmDD" this year, else "YYYY"
  std::string user_id;     // the effective user's name, or its number when it has none
  friend bool operator==(const ProcessInfo&, const ProcessInfo&) = default;
};

struct PackageInfo {
  std::string name, version;
  friend bool operator==(const PackageInfo&, const PackageInfo&) = default;
};

// X-Road's CertificateMonitoringInfo.CertificateType.
enum class CertificateType { auth_or_sign, security_server_tls, internal_is_client_tls };
std::string_view to_string(CertificateType type) noexcept;  // "AUTH_OR_SIGN", ...

// A certificate of this server, as the caller knows it from its keys and configuration.
struct CertificateInfo {
  CertificateType type = CertificateType::auth_or_sign;
  // X-Road's form: the certificate's hash as uppercase hex pairs joined by ':'
  // (CryptoUtils.calculateDelimitedCertHexHash; X-Road still names the field sha1Hash).
  std::string sha1_hash;
  Clock::time_point not_before, not_after;
  bool active = true;
};

// Dropwizard's snapshot of a histogram's samples, as X-Road answers it.
struct Histogram {
  Clock::time_point updated;  // when the snapshot was taken
  std::int64_t min = 0, max = 0;
  double mean = 0, median = 0, stddev = 0;  // stddev: the sample standard deviation (0 for one sample)
};

struct DiskSpace {
  std::string path;
  std::int64_t total = 0, free = 0;  // bytes
};

// What one collection found. An absent value (nullopt, or a filesystem left out of `disks`) is a
// metric the host did not give; `problems` says why, one line each.
struct Snapshot {
  std::optional<std::string> operating_system;
  std::optional<std::int64_t> total_physical_memory, total_swap_space, max_file_descriptor_count;
  std::vector<DiskSpace> disks;
  std::optional<Histogram> system_cpu_load, free_physical_memory, free_swap_space, open_file_descriptor_count,
      committed_virtual_memory;
  std::optional<std::vector<ProcessInfo>> processes, server_processes;
  std::optional<std::vector<PackageInfo>> packages;
  std::vector<CertificateInfo> certificates;
  std::vector<std::string> problems;
};

struct CollectorOptions {
  std::filesystem::path proc_root = "/proc";
  std::filesystem::path dpkg_status = "/var/lib/dpkg/status";
  // The filesystems measured, each named as written here (X-Road measures "/"); the caller
  // adds its data directory.
  std::vector<std::filesystem::path> filesystems = {"/"};
  // The command name (comm) of this server's processes; "" takes this process's own (from
  // proc_root/self/stat).
  std::string server_command;
  std::size_t max_processes = 2000;              // the rest are left out, and `problems` says so
  std::size_t max_packages = 20'000;             // likewise
  std::uintmax_t max_proc_file_bytes = 1 << 20;  // /proc/stat of a large machine is some 100 KiB
  std::uintmax_t max_dpkg_status_bytes = 64 << 20;
  std::size_t max_field_chars = 4096;  // a command line, a version, the OS line: cut there
  // X-Road's sliding time window for the histograms (an hour), and a bound on its samples.
  std::chrono::seconds window = std::chrono::hours(1);
  std::size_t max_samples = 1000;
  // The process and package lists are read anew only when older than this (X-Road's
  // exec-listing-sensor-interval), so a burst of requests does not re-read them each time.
  std::chrono::seconds listing_max_age = std::chrono::seconds(60);
};

// Collects snapshots and keeps the samples of the histograms' window. Thread-safe: one
// collection at a time (the lock is held while it reads).
class Collector {
 public:
  explicit Collector(CollectorOptions options, const Clock& clock = Clock::system());

  // Reads the host now, adds the histogram metrics' values to the window as one sample (the
  // CPU load: the share of time busy since the previous sample, or since boot for the first),
  // and answers the window's histograms and the rest as read now. `certificates` are passed
  // through.
  Snapshot collect(std::vector<CertificateInfo> certificates = {}) EXCLUDES(mu_);

 private:
  struct Sample {
    Clock::time_point at;
    std::optional<std::int64_t> cpu_load, free_physical_memory, free_swap_space, open_fds, committed_vm;
  };
  struct CpuTimes {
    std::uint64_t busy = 0, total = 0;
  };
  struct Listings {
    Clock::time_point read_at;
    std::optional<std::vector<ProcessInfo>> processes, server_processes;
    std::optional<std::vector<PackageInfo>> packages;
    std::vector<std::string> problems;
  };

  Listings read_listings(std::optional<std::int64_t> mem_total_kib) const;

  const CollectorOptions options_;
  const Clock& clock_;
  Mutex mu_;
  std::optional<CpuTimes> last_cpu_ GUARDED_BY(mu_);
  std::deque<Sample> samples_ GUARDED_BY(mu_);
  std::optional<Listings> listings_ GUARDED_BY(mu_);
};

}  // namespace roadside::envmon
