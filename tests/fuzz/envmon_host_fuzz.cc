// Fuzz target: the parsers of the host's text that the environmental monitor reads
// (envmon/parse.h): /proc/version, meminfo, stat, uptime, <pid>/stat, <pid>/status and
// <pid>/cmdline, and dpkg's status file. A hostile or broken host (a container's /proc, a
// corrupt status file) must leave a metric out, never crash or hang. Each parser gets the
// same bytes, and what it answers must keep its contract: bounded texts and lists, sums
// that did not overflow, numbers in range, no argument beyond the subcommand.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "envmon/parse.h"
#include "fuzz_checks.h"

namespace {

using roadside::fuzz::check;
using namespace roadside::envmon;

// Whether `text` has a line that starts with `prefix`.
bool has_line_starting(std::string_view text, std::string_view prefix) {
  for (std::size_t at = 0; at <= text.size();) {
    if (text.substr(at, prefix.size()) == prefix) return true;
    const auto nl = text.find('\n', at);
    if (nl == std::string_view::npos) return false;
    at = nl + 1;
  }
  return false;
}

void check_dpkg(std::string_view input) {
  // Small bounds, so that truncation and cutting happen; and ones no input of this size reaches.
  constexpr std::size_t kFew = 8, kShort = 16;
  bool few_truncated = false, all_truncated = false;
  const auto few = parse_dpkg_status(input, kFew, kShort, few_truncated);
  const auto all = parse_dpkg_status(input, input.size() + 1, kShort, all_truncated);
  check(few.size() <= kFew);
  check(!all_truncated);
  for (const auto& p : all) {
    check(!p.name.empty() && p.name.size() <= kShort);
    check(!p.version.empty() && p.version.size() <= kShort);
  }
  // The bounded list is the whole one's beginning, and says when it left some out.
  check(few_truncated == (all.size() > kFew));
  check(std::equal(few.begin(), few.end(), all.begin(), all.begin() + static_cast<std::ptrdiff_t>(few.size())));
  bool none_truncated = false;
  check(parse_dpkg_status(input, 0, kShort, none_truncated).empty());
  check(none_truncated == !all.empty());
}

void check_proc(std::string_view input) {
  const auto os = operating_system_line(input, 64);
  if (os) {
    check(!os->empty() && os->size() <= 64 && os->find('\n') == std::string::npos);
    check(input.find(*os) != std::string_view::npos);
  }
  const auto os_cut = operating_system_line(input, 0);
  check(os_cut.has_value() == os.has_value() && os_cut.value_or("").empty());

  // A key the input names (its first up to ':'), and the ones the collector asks for.
  const std::string_view own_key = input.substr(0, std::min<std::size_t>(input.find(':'), 32));
  const std::array<std::string_view, 6> keys = {"MemTotal", "MemFree", "SwapTotal", "SwapFree", "VmSize", own_key};
  for (const std::string_view key : keys) {
    if (keyed_number(input, key)) check(has_line_starting(input, std::string(key) + ":"));
  }

  if (const auto cpu = parse_cpu_line(input)) {
    check(cpu->busy <= cpu->total);
    check(has_line_starting(input, "cpu "));
  }
  if (const auto boot = boot_time(input)) check(*boot >= 0 && has_line_starting(input, "btime "));
  if (const auto up = uptime_seconds(input)) check(std::isfinite(*up) && *up >= 0 && *up <= 1e12);

  if (const auto st = parse_pid_stat(input)) {
    check(st->comm.size() + 2 <= input.size());
    check(input.find("(" + st->comm + ")") != std::string_view::npos);
  }
  if (const auto uid = effective_uid(input)) {
    check(*uid <= std::numeric_limits<uid_t>::max());
    check(has_line_starting(input, "Uid:"));
  }

  // /proc/<pid>/cmdline: the program, and a second argument only when it is a subcommand.
  const std::string line = program_and_subcommand(input, input.size() + 1);
  const std::string_view program = input.substr(0, input.find('\0'));
  check(line.size() <= input.size());
  check(std::string_view(line).substr(0, program.size()) == program);
  if (line.size() > program.size()) {
    const std::string_view sub = std::string_view(line).substr(program.size());
    check(sub.size() >= 2 && sub[0] == ' ' && sub[1] != '-' && sub.find('=') == std::string_view::npos);
    check(sub.find('\0') == std::string_view::npos);
  }
  check(program_and_subcommand(input, 16).size() <= 16);
  check(program_and_subcommand(input, 16) == line.substr(0, 16));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_dpkg(input);
  check_proc(input);
  return 0;
}
