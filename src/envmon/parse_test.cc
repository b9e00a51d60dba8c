// The parsers of the host's text on their own: what each reads from real /proc and dpkg
// lines, and what each refuses (signs, spaces and overflow in numbers, missing fields, keys
// given twice), and the bounds their contracts promise. tests/fuzz/envmon_host_fuzz.cc feeds
// them arbitrary bytes.
#include "envmon/parse.h"

#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace roadside::envmon {
namespace {

TEST(Parse, NumbersAreWholeDecimalsWithoutSignOrSpace) {
  EXPECT_EQ(parse_u64("0"), 0U);
  EXPECT_EQ(parse_u64("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1.0", "0x1F", "18446744073709551616"})
    EXPECT_FALSE(parse_u64(bad)) << bad;
}

TEST(Parse, OperatingSystemIsTheFirstLineTrimmedAndBounded) {
  EXPECT_EQ(operating_system_line("  Linux version 6.1.0 (gcc) #1 SMP\r\nsecond\n", 4096),
            "Linux version 6.1.0 (gcc) #1 SMP");
  EXPECT_EQ(operating_system_line("Linux version 6.1.0", 5), "Linux");
  EXPECT_FALSE(operating_system_line(" \t\r\nLinux\n", 4096));
  EXPECT_FALSE(operating_system_line("", 4096));
}

TEST(Parse, KeyedNumbersOfMeminfoAndStatus) {
  const std::string meminfo = "MemTotal:        1024000 kB\nMemFree:  512000 kB\nMemTotalX: 1 kB\nHugePages_Total: 0\n";
  EXPECT_EQ(keyed_number(meminfo, "MemTotal"), 1024000U);
  EXPECT_EQ(keyed_number(meminfo, "MemFree"), 512000U);
  EXPECT_EQ(keyed_number(meminfo, "HugePages_Total"), 0U);
  EXPECT_FALSE(keyed_number(meminfo, "SwapFree"));
  EXPECT_EQ(keyed_number("VmSize:\t1 kB\nVmSize:\t1 kB\n", "VmSize"), 1U);  // the same twice
  for (const char* bad : {"VmSize:\t1 kB\nVmSize:\t2 kB\n", "VmSize: 1 MB\n", "VmSize: 1 kB x\n", "VmSize:\n",
                          "VmSize: -1 kB\n", "VmSize: 99999999999999999999 kB\n"})
    EXPECT_FALSE(keyed_number(bad, "VmSize")) << bad;
}

TEST(Parse, TheAggregateCpuLine) {
  const auto cpu = parse_cpu_line("cpu0 1 1 1 1\ncpu  10 1 5 80 4 0 0 0 7 0\nintr 1\n");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(cpu->busy, 16U);  // user nice system (irq softirq steal 0); not idle, iowait, guest
  EXPECT_EQ(cpu->total, 100U);
  for (const char* bad : {"cpu0 1 2 3 4\n", "cpu  1 2 3\n", "cpu  1 2 x 4\n", "cpu  1 2 3 18446744073709551615\n"})
    EXPECT_FALSE(parse_cpu_line(bad)) << bad;
}

TEST(Parse, BootTimeAndUptime) {
  EXPECT_EQ(boot_time("cpu  1 2 3 4\nbtime 1700000000\nprocesses 1\n"), 1700000000);
  EXPECT_FALSE(boot_time("btime 9223372036854775808\n"));
  EXPECT_FALSE(boot_time("btime -1\n"));
  EXPECT_FALSE(boot_time("cpu  1 2 3 4\n"));
  EXPECT_EQ(uptime_seconds("2592000.25 100.00\n"), 2592000.25);
  for (const char* bad : {"", "-1.0 1\n", "1e5 1\n", "inf 1\n", "nan 1\n", "2000000000000 1\n", "\n1 1\n"})
    EXPECT_FALSE(uptime_seconds(bad)) << bad;
}

TEST(Parse, PidStatWithACommOfSpacesAndParentheses) {
  const std::string tail = " S 1 1 1 0 -1 4194304 1 0 0 0 30 20 0 0 20 0 1 0 500 3133440 7 18446744073709551615 1\n";
  const auto st = parse_pid_stat("7 (kworker (x) y)" + tail);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->comm, "kworker (x) y");
  EXPECT_EQ(st->utime, 30U);
  EXPECT_EQ(st->stime, 20U);
  EXPECT_EQ(st->starttime, 500U);
  EXPECT_EQ(st->rss, 7U);
  EXPECT_FALSE(parse_pid_stat("7 kworker" + tail));
  EXPECT_FALSE(parse_pid_stat("7 )kworker(" + tail));
  EXPECT_FALSE(parse_pid_stat("7 (kworker) S 1 1 1\n"));
  EXPECT_FALSE(parse_pid_stat("7 (kworker) S 1 1 1 0 -1 4194304 1 0 0 0 -30 20 0 0 20 0 1 0 500 3133440 7\n"));
}

TEST(Parse, EffectiveUidFitsUidT) {
  EXPECT_EQ(effective_uid("Name:\tx\nUid:\t1000\t0\t1000\t1000\n"), 0U);
  EXPECT_FALSE(effective_uid("Uid:\t1000\t4294967296\t0\t0\n"));
  EXPECT_FALSE(effective_uid("Uid:\t1000\n"));
  EXPECT_FALSE(effective_uid("Name:\tx\n"));
}

TEST(Parse, CommandLineKeepsTheProgramAndSubcommandOnly) {
  using namespace std::string_literals;
  EXPECT_EQ(program_and_subcommand("/usr/bin/roadside\0serve\0--set\0token.pin=1234\0"s, 4096),
            "/usr/bin/roadside serve");
  EXPECT_EQ(program_and_subcommand("roadside\0--set\0token.pin=1234\0"s, 4096), "roadside");
  EXPECT_EQ(program_and_subcommand("roadside\0token.pin=1234\0"s, 4096), "roadside");
  EXPECT_EQ(program_and_subcommand("roadside\0serve\0"s, 10), "roadside s");
  EXPECT_EQ(program_and_subcommand("", 4096), "");
}

TEST(Parse, DpkgStatusListsInstalledPackagesWithinItsBounds) {
  const std::string status =
      "Package: adduser\nStatus: install ok installed\nVersion: 3.134\nDescription: x\n y\n\n"
      "Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\n"
      "Package: old\nStatus: purge ok not-installed\n\n"
      "Package: noversion\nStatus: install ok installed\n\n"
      "Package: badstatus\nStatus: installed\nVersion: 1\n\n"
      "Package: zlib1g\r\nStatus: install ok installed\r\nVersion: 1:1.2.13.dfsg-1\r\n\r\n"
      "Package: two\nStatus: install ok installed\nVersion: 2";
  bool truncated = false;
  EXPECT_EQ(parse_dpkg_status(status, 100, 4096, truncated),
            (std::vector<PackageInfo>{{"adduser", "3.134"}, {"zlib1g", "1:1.2.13.dfsg-1"}, {"two", "2"}}));
  EXPECT_FALSE(truncated);
  EXPECT_EQ(parse_dpkg_status(status, 2, 3, truncated), (std::vector<PackageInfo>{{"add", "3.1"}, {"zli", "1:1"}}));
  EXPECT_TRUE(truncated);
  truncated = false;
  EXPECT_EQ(parse_dpkg_status(status, 3, 4096, truncated).size(), 3U);
  EXPECT_FALSE(truncated);  // exactly as many as allowed
}

}  // namespace
}  // namespace roadside::envmon
