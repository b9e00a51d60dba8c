#include "envmon/parse.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>
#include <utility>

#include <sys/types.h>

namespace roadside::envmon {
namespace {

std::optional<std::int64_t> to_i64(std::optional<std::uint64_t> v) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!v || *v > kMax) return std::nullopt;
  return static_cast<std::int64_t>(*v);
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string bounded(std::string_view s, std::size_t max_chars) {
  return std::string(s.substr(0, max_chars));
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

}  // namespace

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::string> operating_system_line(std::string_view version, std::size_t max_chars) {
  const auto line = trim(version.substr(0, version.find('\n')));
  if (line.empty()) return std::nullopt;
  return bounded(line, max_chars);
}

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

std::optional<double> uptime_seconds(std::string_view text) {
  const auto w = words(text.substr(0, text.find('\n')), 1);
  double v = 0;
  if (w.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(w[0].data(), w[0].data() + w[0].size(), v, std::chars_format::fixed);
  if (ec != std::errc() || end != w[0].data() + w[0].size() || !std::isfinite(v) || v < 0 || v > 1e12)
    return std::nullopt;
  return v;
}

std::optional<PidStat> parse_pid_stat(std::string_view text) {
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

std::string program_and_subcommand(std::string_view cmdline, std::size_t max_chars) {
  const std::size_t end0 = cmdline.find('\0');
  std::string out(cmdline.substr(0, end0));
  if (end0 != std::string_view::npos) {
    const std::string_view rest = cmdline.substr(end0 + 1);
    const std::string_view sub = rest.substr(0, rest.find('\0'));
    if (!sub.empty() && sub.front() != '-' && sub.find('=') == std::string_view::npos) out += " " + std::string(sub);
  }
  return bounded(out, max_chars);
}

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

}  // namespace roadside::envmon
