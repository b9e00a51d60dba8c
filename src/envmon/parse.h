// The host's text as a Collector reads it: /proc's files (version, meminfo, stat, uptime,
// <pid>/stat, <pid>/status, <pid>/cmdline) and dpkg's status file, each parsed by a pure
// function over bytes already read (with a size limit), so tests and the fuzz target
// (tests/fuzz/envmon_host_fuzz.cc) call them without a /proc.
//
// Nothing read is trusted: any bytes give a value or nullopt (never a crash, never a guess),
// numbers are whole decimals without sign or space that must not overflow, and what the
// functions return is bounded as each says.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envmon/metrics.h"

namespace roadside::envmon {

// A whole non-negative decimal number, nothing else: no sign, no space, no overflow.
std::optional<std::uint64_t> parse_u64(std::string_view s);

// The first line of /proc/version without surrounding white space, cut at `max_chars`;
// nullopt when that line is empty. ENSURES: at most `max_chars` long (not empty unless
// `max_chars` is 0), no '\n'.
std::optional<std::string> operating_system_line(std::string_view version, std::size_t max_chars);

// The value of a "Key:   value [kB]" line of /proc/meminfo or /proc/<pid>/status, in the
// file's unit (kB there); nullopt when the key is missing, repeated with another value, or
// malformed (no number, a unit other than kB, more words).
std::optional<std::uint64_t> keyed_number(std::string_view text, std::string_view key);

// /proc/stat's aggregate cpu line ("cpu  user nice system idle iowait irq softirq steal ..."):
// time busy and in all, in ticks; idle and iowait are not busy, guest and guest_nice are not
// counted (user holds them already). nullopt without a "cpu " line, with fewer than four
// numbers or a malformed one among the first eight. ENSURES: busy <= total (no sum overflows).
struct CpuLine {
  std::uint64_t busy = 0, total = 0;
};
std::optional<CpuLine> parse_cpu_line(std::string_view stat);

// /proc/stat's "btime" line: the boot time in Unix seconds. ENSURES: not negative.
std::optional<std::int64_t> boot_time(std::string_view stat);

// The first number of /proc/uptime: seconds since boot. ENSURES: finite, in [0, 1e12].
std::optional<double> uptime_seconds(std::string_view text);

// The fields of /proc/<pid>/stat that `ps` shows: "pid (comm) state ppid ...", where comm may
// hold spaces and parentheses and so ends at the last ')'. nullopt when there is no
// "(...)" or fewer than 22 fields after it, or utime (field 14), stime (15), starttime (22) or
// rss (24) is not a number. `comm` is not bounded beyond the text (the kernel's is 15 bytes).
struct PidStat {
  std::string comm;
  std::uint64_t utime = 0, stime = 0, starttime = 0, rss = 0;  // ticks, ticks, ticks since boot, pages
};
std::optional<PidStat> parse_pid_stat(std::string_view text);

// The effective uid of /proc/<pid>/status ("Uid:\treal\teffective\tsaved\tfs").
// ENSURES: fits uid_t.
std::optional<std::uint64_t> effective_uid(std::string_view status);

// /proc/<pid>/cmdline (arguments ending in NULs) as a line: the program and its subcommand
// ("/usr/bin/roadside serve"), never further arguments, which may carry secrets
// (--set token.pin=...), nor a second argument that is an option (starts with '-') or holds
// '='. "" for an empty cmdline (a kernel thread). ENSURES: at most `max_chars` long.
std::string program_and_subcommand(std::string_view cmdline, std::size_t max_chars);

// dpkg's status file (/var/lib/dpkg/status): every package whose files are on the host
// (dpkg-query --show less the packages of which only configuration files remain, and those
// without a name, a version or a three-word Status), in the file's order. Sets `truncated`
// when a package beyond the first `max_packages` is present, and stops reading there.
// REQUIRES: `truncated` is false. ENSURES: at most `max_packages` packages, each with a name
// and a version of 1 to `max_chars` characters.
std::vector<PackageInfo> parse_dpkg_status(std::string_view text, std::size_t max_packages, std::size_t max_chars,
                                           bool& truncated);

}  // namespace roadside::envmon
