// The host's metrics read from fixture /proc and dpkg files: the values X-Road's sensors give,
// the histograms' window, the bounds, and hostile files (too large, fields missing, garbage
// numbers) leaving their metrics out with a reason instead of crashing. And one collection of
// the real host.
#include "envmon/metrics.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "support/test_support.h"

namespace roadside::envmon {
namespace {

using namespace std::chrono_literals;

const std::int64_t kPageKib = ::sysconf(_SC_PAGESIZE) / 1024;
const std::int64_t kHz = ::sysconf(_SC_CLK_TCK);

void put(const std::filesystem::path& p, const std::string& content) {
  std::filesystem::create_directories(p.parent_path());
  testing::write_file(p, content);
}

// /proc/<pid>/stat with the fields the collector reads (utime 14, stime 15, starttime 22, rss 24).
std::string stat_line(int pid, const std::string& comm, std::int64_t utime, std::int64_t stime, std::int64_t starttime,
                      std::int64_t rss) {
  return std::to_string(pid) + " (" + comm + ") S 1 1 1 0 -1 4194304 1 0 0 0 " + std::to_string(utime) + " " +
         std::to_string(stime) + " 0 0 20 0 1 0 " + std::to_string(starttime) + " 3133440 " + std::to_string(rss) +
         " 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
}

std::string status_for(int uid) {
  return "Name:\tx\nUid:\t" + std::to_string(uid) + "\t" + std::to_string(uid) + "\t0\t0\nVmSize:\t  2048 kB\n";
}

bool mentions(const Snapshot& s, const std::string& what) {
  return std::any_of(s.problems.begin(), s.problems.end(),
                     [&](const std::string& p) { return p.find(what) != std::string::npos; });
}

// A /proc and a dpkg status file of a host booted 30 days before the clock's now.
class Host {
 public:
  explicit Host(const ManualClock& clock) {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
    put(proc() / "version", "Linux version 6.1.0-test (gcc) #1 SMP\nsecond line\n");
    put(proc() / "meminfo",
        "MemTotal:        1024000 kB\nMemFree:          512000 kB\nMemAvailable:     800000 kB\n"
        "SwapTotal:        2048000 kB\nSwapFree:        1024000 kB\n");
    put(proc() / "stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\nintr 1 2 3\nbtime " +
                             std::to_string(now - 30 * 86400) + "\nprocesses 10\n");
    put(proc() / "uptime", "2592000.00 100.00\n");
    put(proc() / "self" / "stat", stat_line(42, "roadside", 0, 0, 0, 0));
    put(proc() / "self" / "status", "Name:\troadside\nVmPeak:\t  9000 kB\nVmSize:\t    4096 kB\n");
    for (const char* fd : {"0", "1", "2", "3"}) put(proc() / "self" / "fd" / fd, "");
    // Started 500 s ago, 50 s of CPU since (10 %), 10 MiB resident of 1000 MiB (1 %).
    put(proc() / "42" / "stat",
        stat_line(42, "roadside", 30 * kHz, 20 * kHz, (30 * 86400 - 500) * kHz, 10240 / kPageKib));
    put(proc() / "42" / "status", status_for(0));
    const std::string args = std::string("roadside\0serve\0--config\0/etc/roadside.yaml\0--set\0token.pin=1234\0", 64);
    put(proc() / "42" / "cmdline", args);
    // Started at boot, a comm with a space and a parenthesis, a user without a name.
    put(proc() / "7" / "stat", stat_line(7, "kworker (x) y", 0, 0, 0, 0));
    put(proc() / "7" / "status", status_for(4242424));
    put(dpkg(),
        "Package: adduser\nStatus: install ok installed\nVersion: 3.134\nDescription: x\n y\n\n"
        "Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\n"
        "Package: zlib1g\nStatus: install ok installed\nMulti-Arch: same\nVersion: 1:1.2.13.dfsg-1\n\n"
        "Package: old\nStatus: purge ok not-installed\n\n"
        "Package: two\nStatus: install ok installed\nVersion: 2\n");
  }
  std::filesystem::path proc() const { return dir_ / "proc"; }
  std::filesystem::path dpkg() const { return dir_ / "status"; }
  CollectorOptions options() const {
    CollectorOptions o;
    o.proc_root = proc();
    o.dpkg_status = dpkg();
    o.filesystems = {dir_.path()};
    return o;
  }

 private:
  testing::TempDir dir_;
};

TEST(Collector, ReadsWhatXRoadsSensorsGive) {
  ManualClock clock;
  Host host(clock);
  Collector collector(host.options(), clock);
  const Snapshot s = collector.collect();
  EXPECT_TRUE(s.problems.empty()) << s.problems.front();
  EXPECT_EQ(s.operating_system, "Linux version 6.1.0-test (gcc) #1 SMP");
  EXPECT_EQ(s.total_physical_memory, 1024000 * 1024LL);
  EXPECT_EQ(s.total_swap_space, 2048000 * 1024LL);
  ASSERT_TRUE(s.free_physical_memory && s.free_swap_space && s.committed_virtual_memory &&
              s.open_file_descriptor_count && s.system_cpu_load);
  EXPECT_EQ(s.free_physical_memory->max, 512000 * 1024LL);
  EXPECT_EQ(s.free_swap_space->min, 1024000 * 1024LL);
  EXPECT_EQ(s.committed_virtual_memory->mean, 4096.0 * 1024);
  EXPECT_EQ(s.open_file_descriptor_count->median, 4.0);
  EXPECT_EQ(s.system_cpu_load->max, 20);  // 200 of 1000 ticks busy since boot
  EXPECT_EQ(s.system_cpu_load->updated, clock.now());
  ASSERT_TRUE(s.max_file_descriptor_count);
  EXPECT_GT(*s.max_file_descriptor_count, 0);
  ASSERT_EQ(s.disks.size(), 1u);
  EXPECT_GT(s.disks[0].total, 0);

  ASSERT_TRUE(s.processes);
  ASSERT_EQ(s.processes->size(), 2u);  // by pid
  EXPECT_EQ(s.processes->at(0), (ProcessInfo{"7", "kworker (x) y", "0.0", "0.0", "Oct15", "4242424"}));
  EXPECT_EQ(s.processes->at(1), (ProcessInfo{"42", "roadside", "10.0", "1.0", "22:05", "root"}));
  ASSERT_TRUE(s.server_processes);
  ASSERT_EQ(s.server_processes->size(), 1u);
  // The program and its subcommand only: arguments may carry secrets.
  EXPECT_EQ(s.server_processes->at(0).command, "roadside serve");

  ASSERT_TRUE(s.packages);
  EXPECT_EQ(*s.packages, (std::vector<PackageInfo>{{"adduser", "3.134"}, {"zlib1g", "1:1.2.13.dfsg-1"}, {"two", "2"}}));
}

TEST(Collector, KeepsAnHourOfSamplesForTheHistograms) {
  ManualClock clock;
  Host host(clock);
  Collector collector(host.options(), clock);
  (void)collector.collect();
  clock.advance(5s);
  put(host.proc() / "stat", "cpu  400 0 100 1000 0 0 0 0 0 0\nbtime 1\n");  // 300 of 500 ticks busy
  put(host.proc() / "meminfo", "MemTotal: 1024000 kB\nMemFree: 0 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
  Snapshot s = collector.collect();
  ASSERT_TRUE(s.system_cpu_load && s.free_physical_memory);
  EXPECT_EQ(s.system_cpu_load->min, 20);
  EXPECT_EQ(s.system_cpu_load->max, 60);
  EXPECT_EQ(s.system_cpu_load->mean, 40.0);
  EXPECT_EQ(s.system_cpu_load->median, 40.0);
  EXPECT_NEAR(s.system_cpu_load->stddev, std::sqrt(800.0), 1e-9);  // the sample standard deviation
  EXPECT_EQ(s.free_physical_memory->min, 0);

  clock.advance(2h);
  put(host.proc() / "stat", "cpu  400 0 200 1100 0 0 0 0 0 0\nbtime 1\n");  // 100 of 200
  s = collector.collect();
  ASSERT_TRUE(s.system_cpu_load);
  EXPECT_EQ(s.system_cpu_load->min, 50);
  EXPECT_EQ(s.system_cpu_load->max, 50);
  EXPECT_EQ(s.system_cpu_load->stddev, 0.0);
}

TEST(Collector, ReadsTheListingsAgainOnlyAfterAMinute) {
  ManualClock clock;
  Host host(clock);
  Collector collector(host.options(), clock);
  ASSERT_EQ(collector.collect().packages->size(), 3u);
  put(host.dpkg(), "Package: only\nStatus: install ok installed\nVersion: 1\n");
  clock.advance(30s);
  EXPECT_EQ(collector.collect().packages->size(), 3u);
  clock.advance(31s);
  EXPECT_EQ(collector.collect().packages->size(), 1u);
}

TEST(Collector, BoundsTheListsItReads) {
  ManualClock clock;
  Host host(clock);
  put(host.proc() / "100" / "stat", stat_line(100, "a", 0, 0, 0, 0));
  put(host.proc() / "100" / "status", status_for(0));
  CollectorOptions options = host.options();
  options.max_processes = 2;
  options.max_packages = 1;
  options.max_field_chars = 8;
  Collector collector(options, clock);
  const Snapshot s = collector.collect();
  ASSERT_TRUE(s.processes && s.packages && s.operating_system);
  EXPECT_EQ(s.processes->size(), 2u);
  EXPECT_TRUE(mentions(s, "Processes: only the first 2"));
  EXPECT_EQ(*s.packages, (std::vector<PackageInfo>{{"adduser", "3.134"}}));
  EXPECT_TRUE(mentions(s, "Packages: only the first 1"));
  EXPECT_EQ(*s.operating_system, "Linux ve");
  for (const auto& p : *s.server_processes) EXPECT_LE(p.command.size(), 8u);
}

TEST(Collector, LeavesOutWhatItCannotRead) {
  ManualClock clock;
  testing::TempDir empty;
  CollectorOptions options;
  options.proc_root = empty / "proc";
  options.dpkg_status = empty / "status";
  options.filesystems = {empty / "none"};
  Collector collector(options, clock);
  const Snapshot s = collector.collect();
  EXPECT_FALSE(s.operating_system || s.total_physical_memory || s.total_swap_space || s.free_physical_memory ||
               s.free_swap_space || s.system_cpu_load || s.committed_virtual_memory || s.open_file_descriptor_count ||
               s.processes || s.server_processes || s.packages);
  EXPECT_TRUE(s.disks.empty());
  for (const char* what : {"OperatingSystem", "memory and swap", "SystemCpuLoad", "CommittedVirtualMemory",
                           "OpenFileDescriptorCount", "DiskSpace", "Packages", "Processes"})
    EXPECT_TRUE(mentions(s, what)) << what;
}

TEST(Collector, HostileFilesGiveAbsentMetrics) {
  ManualClock clock;
  Host host(clock);
  // A huge line, over the size limit: the file is refused whole.
  put(host.proc() / "meminfo", "MemTotal: " + std::string(2 << 20, '9') + " kB\n");
  // A cpu line of garbage and no boot time.
  put(host.proc() / "stat", "cpu  12 x 3 4\n");
  put(host.proc() / "version", "\n\n");
  put(host.proc() / "self" / "status", "VmSize: 18446744073709551615 kB\n");  // overflows as bytes
  put(host.dpkg(), std::string(3000, '\xff'));
  CollectorOptions options = host.options();
  options.max_dpkg_status_bytes = 2048;
  Collector collector(options, clock);
  const Snapshot s = collector.collect();
  EXPECT_FALSE(s.total_physical_memory || s.free_physical_memory || s.system_cpu_load || s.operating_system ||
               s.committed_virtual_memory || s.processes || s.packages);
  EXPECT_TRUE(mentions(s, "larger than"));
  EXPECT_TRUE(s.open_file_descriptor_count);  // what could be read still is
}

TEST(Collector, GarbageNumbersAndMissingFieldsAreLeftOut) {
  ManualClock clock;
  Host host(clock);
  put(host.proc() / "meminfo",
      "MemTotal: 1000 kB\nMemTotal: 2000 kB\nMemFree: -5 kB\nSwapTotal: 99999999999999999999999 kB\n"
      "SwapFree:\n");
  put(host.proc() / "uptime", "nan 1\n");
  put(host.dpkg(),
      "Package: noversion\nStatus: install ok installed\n\nPackage\nVersion: 1\n\n"
      "Status: install ok installed\nVersion: 1\n\nPackage: weird\nStatus: installed\nVersion: 1\n\n"
      "Package: ok\nStatus: install ok installed\nVersion: 1.0\n");
  // Processes whose files are malformed are left out; the others stay.
  put(host.proc() / "43" / "stat", "43 (broken S 1 2 3");
  put(host.proc() / "43" / "status", status_for(0));
  put(host.proc() / "44" / "stat", "44 (short) S 1 2 3\n");
  put(host.proc() / "44" / "status", status_for(0));
  put(host.proc() / "45" / "stat", stat_line(45, "nouid", 0, 0, 0, 0));
  put(host.proc() / "45" / "status", "Uid:\tx\n");
  Collector collector(host.options(), clock);
  Snapshot s = collector.collect();
  EXPECT_FALSE(s.total_physical_memory || s.free_physical_memory || s.total_swap_space || s.free_swap_space);
  EXPECT_FALSE(s.processes);  // no MemTotal, no uptime: no %CPU or %MEM to give
  ASSERT_TRUE(s.packages);
  EXPECT_EQ(*s.packages, (std::vector<PackageInfo>{{"ok", "1.0"}}));

  Host sane(clock);
  for (const auto& [pid, stat] :
       {std::pair{"43", std::string("43 (broken S 1 2 3")}, std::pair{"44", std::string("44 (short) S 1 2 3\n")},
        std::pair{"46", stat_line(46, "huge", 0, 0, 0, -1) + "x"}}) {
    put(sane.proc() / pid / "stat", stat);
    put(sane.proc() / pid / "status", status_for(0));
  }
  Collector other(sane.options(), clock);
  s = other.collect();
  ASSERT_TRUE(s.processes);
  EXPECT_EQ(s.processes->size(), 2u);
  EXPECT_TRUE(mentions(s, "Processes: 3 left out"));
}

TEST(Collector, ReadsTheRealHost) {
  CollectorOptions options;
  Collector collector(options);
  const Snapshot s = collector.collect();
  ASSERT_TRUE(s.operating_system && s.total_physical_memory && s.open_file_descriptor_count && s.processes);
  EXPECT_GT(*s.total_physical_memory, 0);
  EXPECT_GT(s.open_file_descriptor_count->max, 2);
  const std::string me = std::to_string(::getpid());
  auto is_me = [&](const ProcessInfo& p) { return p.process_id == me; };
  EXPECT_TRUE(std::any_of(s.processes->begin(), s.processes->end(), is_me));
  ASSERT_TRUE(s.server_processes);
  EXPECT_TRUE(std::any_of(s.server_processes->begin(), s.server_processes->end(), is_me));
}

}  // namespace
}  // namespace roadside::envmon
