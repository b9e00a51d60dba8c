#include "config/config.h"

#include <unistd.h>  // environ

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "base/files.h"

namespace roadside::config {
namespace {

Error invalid(std::string detail) { return Error(make_error_code(errc::invalid_value), std::move(detail)); }

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// " (did you mean X?)" for the closest known name, if it is close.
std::string suggestion(std::string_view unknown, const std::vector<std::string_view>& known) {
  std::string_view best;
  std::size_t best_d = 4;
  for (auto k : known) {
    const std::size_t d = edit_distance(unknown, k);
    if (d < best_d) best_d = d, best = k;
  }
  return best.empty() ? "" : " (did you mean " + std::string(best) + "?)";
}

// Validates `text` for `opt` and returns its normalized form.
Result<std::string> normalize(const Option& opt, std::string_view text, const std::string& origin) {
  const std::string where = std::string(opt.name) + " (from " + origin + ")";
  switch (opt.type) {
    case Type::string:
      return std::string(text);
    case Type::integer: {
      std::int64_t v = 0;
      const auto* end = text.data() + text.size();
      auto [p, ec] = std::from_chars(text.data(), end, v);
      if (text.empty() || ec != std::errc() || p != end) {
        return invalid(where + ": \"" + std::string(text) + "\" is not an integer");
      }
      if (v < opt.min || v > opt.max) {
        return invalid(where + ": " + std::string(text) + " is out of range " + std::to_string(opt.min) + ".." +
                       std::to_string(opt.max));
      }
      return std::to_string(v);
    }
    case Type::boolean: {
      const std::string u = upper(text);
      if (u == "TRUE" || u == "YES" || u == "ON" || u == "1") return std::string("true");
      if (u == "FALSE" || u == "NO" || u == "OFF" || u == "0") return std::string("false");
      return invalid(where + ": \"" + std::string(text) + "\" is not a boolean (true or false)");
    }
    case Type::choice: {
      std::string_view rest = opt.choices;
      while (!rest.empty()) {
        const auto bar = rest.find('|');
        const std::string_view choice = rest.substr(0, bar);
        if (upper(choice) == upper(text)) return std::string(choice);
        if (bar == std::string_view::npos) break;
        rest.remove_prefix(bar + 1);
      }
      std::string allowed(opt.choices);
      std::replace(allowed.begin(), allowed.end(), '|', ',');
      return invalid(where + ": \"" + std::string(text) + "\" is not one of " + allowed);
    }
  }
  return invalid(where + ": unsupported type");
}

// Sidecar variables Roadside recognizes but does not use; they only produce a warning.
const std::map<std::string_view, std::string_view>& ignored_sidecar_vars() {
  static const std::map<std::string_view, std::string_view> m = {
      {"XROAD_ROOT_LOG_LEVEL", "Roadside has one log level (XROAD_LOG_LEVEL)"},
      {"XROAD_IGNORE_DATABASE_SETUP", "Roadside sets up its database itself"},
      {"XROAD_PRIMARY_DNS", "secondaries read the primary's configuration from the shared database"},
      {"XROAD_ADMIN_PWD_HASH", "not supported yet; use XROAD_ADMIN_PASSWORD"},
  };
  return m;
}

// Variables in our namespaces that are not options but are still legitimate.
bool is_reserved_var(std::string_view name) {
  return name == "ROADSIDE_CONFIG" || name == "ROADSIDE_VECTORS_DIR" || name.starts_with("ROADSIDE_TEST_");
}

// Well-known misspellings worth a pointed hint.
std::string_view known_mistake(std::string_view name) {
  if (name == "XROAD_DB_PASSWORD") return "XROAD_DB_PWD";
  if (name == "XROAD_DB_NAME" || name == "XROAD_CONF_DATABASE_NAME") return "XROAD_DATABASE_NAME";
  if (name == "XROAD_ADMIN_PWD") return "XROAD_ADMIN_PASSWORD";
  if (name == "XROAD_TOKEN_0_PIN") return "XROAD_TOKEN_PIN";
  return {};
}

void flatten(const YAML::Node& node, const std::string& prefix,
             std::vector<std::tuple<std::string, YAML::Node, int>>& out) {
  for (const auto& kv : node) {
    const std::string key = prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>();
    if (kv.second.IsMap() && !find_option(key)) {
      flatten(kv.second, key, out);
    } else {
      out.emplace_back(key, kv.second, kv.first.Mark().line + 1);
    }
  }
}

}  // namespace

const FaultCategory& config_category() noexcept {
  static const TableCategory<errc> c("config", {
                                                   {errc::invalid_value, "internal_error", "invalid configuration value"},
                                                   {errc::unknown_key, "internal_error", "unknown configuration key"},
                                                   {errc::bad_file, "internal_error", "unreadable configuration file"},
                                               });
  return c;
}

std::string_view to_string(Source s) noexcept {
  switch (s) {
    case Source::default_value: return "default";
    case Source::profile: return "profile";
    case Source::file: return "file";
    case Source::env: return "env";
    case Source::flag: return "flag";
  }
  return "default";
}

const Option* find_option(std::string_view name) {
  for (const auto& o : options()) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

std::map<std::string, std::string> process_env() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

Config Config::defaults() {
  Config c;
  for (const auto& o : options()) c.values_[std::string(o.name)] = Value{std::string(o.default_value), Source::default_value, "default"};
  return c;
}

Status Config::set(std::string_view name, std::string_view text, Source source, std::string origin) {
  const Option* opt = find_option(name);
  if (!opt) {
    std::vector<std::string_view> names;
    for (const auto& o : options()) names.push_back(o.name);
    return Error(make_error_code(errc::unknown_key),
                 "unknown option \"" + std::string(name) + "\"" + (origin.empty() ? "" : " (from " + origin + ")") +
                     suggestion(name, names));
  }
  if (origin.empty()) origin = std::string(to_string(source));
  ROADSIDE_TRY(std::string norm, normalize(*opt, text, origin));
  values_[std::string(name)] = Value{std::move(norm), source, std::move(origin)};
  return {};
}

Result<Config> Config::load(const Inputs& in) {
  Config c = defaults();

  // 1. YAML file
  if (in.file) {
    const std::string file = in.file->string();
    // The operator's own file, but read within a limit like every other file.
    constexpr std::uintmax_t kMaxConfigFile = 1 << 20;
    auto text = read_file_limited(*in.file, kMaxConfigFile);
    if (!text.ok()) return Error(make_error_code(errc::bad_file), "cannot read configuration file: " + text.error().detail());
    YAML::Node root;
    try {
      root = YAML::Load(*text);
    } catch (const YAML::Exception& e) {
      return Error(make_error_code(errc::bad_file),
                   file + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
    }
    if (root && !root.IsNull()) {
      if (!root.IsMap()) return Error(make_error_code(errc::bad_file), file + ": expected a mapping of options");
      std::vector<std::tuple<std::string, YAML::Node, int>> entries;
      try {
        flatten(root, "", entries);
      } catch (const YAML::Exception& e) {
        return Error(make_error_code(errc::bad_file), file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
      }
      for (const auto& [key, node, line] : entries) {
        const std::string origin = file + ":" + std::to_string(line);
        if (!find_option(key)) {
          ROADSIDE_TRY_STATUS(c.set(key, "", Source::file, origin));  // produces the unknown-key error
        }
        if (!node.IsScalar()) {
          return invalid(std::string(key) + " (from " + origin + "): expected a single value, not " +
                         (node.IsNull() ? "nothing" : node.IsMap() ? "a mapping" : "a list"));
        }
        ROADSIDE_TRY_STATUS(c.set(key, node.Scalar(), Source::file, origin));
      }
    }
  }

  // 2. Environment
  std::set<std::string_view> option_envs;
  std::vector<std::string_view> env_names;
  for (const auto& o : options()) {
    if (!o.env.empty()) option_envs.insert(o.env), env_names.push_back(o.env);
  }
  for (const auto& [name, text] : in.env) {
    if (!name.starts_with("XROAD_") && !name.starts_with("ROADSIDE_")) continue;
    if (option_envs.count(name) || is_reserved_var(name)) continue;
    if (auto it = ignored_sidecar_vars().find(name); it != ignored_sidecar_vars().end()) {
      c.warnings_.push_back("ignoring " + name + ": " + std::string(it->second));
      continue;
    }
    if (name.starts_with("XROAD_TOKEN_") && name.ends_with("_PIN") && name != "XROAD_TOKEN_0_PIN") {
      c.warnings_.push_back("ignoring " + name + ": only the software token (XROAD_TOKEN_PIN) is supported yet");
      continue;
    }
    std::string hint;
    if (auto m = known_mistake(name); !m.empty()) hint = " (did you mean " + std::string(m) + "?)";
    else hint = suggestion(name, env_names);
    return Error(make_error_code(errc::unknown_key), "unknown environment variable " + name + hint);
  }
  for (const auto& o : options()) {
    if (o.env.empty()) continue;
    auto it = in.env.find(std::string(o.env));
    if (it == in.env.end()) continue;
    ROADSIDE_TRY_STATUS(c.set(o.name, it->second, Source::env, std::string(o.env)));
  }

  // 3. Flags
  for (const auto& [name, text] : in.flags) {
    std::string origin = "--set " + name;
    if (const Option* o = find_option(name); o && !o->flag.empty()) origin = std::string(o->flag);
    ROADSIDE_TRY_STATUS(c.set(name, text, Source::flag, origin));
  }

  // 4. The country profile, under everything set above
  const Profile* profile = find_profile(c.str("profile"));
  if (!profile) return invalid("profile: no such profile \"" + c.str("profile") + "\"");  // the choice list prevents it
  for (const auto& s : profile->settings) {
    if (c.value(s.option).source != Source::default_value) continue;
    ROADSIDE_TRY_STATUS(c.set(s.option, s.value, Source::profile, std::string(profile->name)));
  }
  return c;
}

const Value& Config::value(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    static const Value empty;
    return empty;
  }
  return it->second;
}

const std::string& Config::str(std::string_view name) const { return value(name).text; }

std::int64_t Config::integer(std::string_view name) const {
  std::int64_t v = 0;
  const std::string& t = str(name);
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

bool Config::boolean(std::string_view name) const { return str(name) == "true"; }

std::string Config::show_yaml() const {
  // Nested sections in table order; each value with its source as a comment.
  std::ostringstream text;
  text << "# Effective configuration (defaults < profile < file < environment < flags). Secrets are redacted.\n";
  std::vector<std::string> open;  // currently open section path
  for (const auto& o : options()) {
    std::vector<std::string> path;
    std::string_view rest = o.name;
    while (true) {
      auto dot = rest.find('.');
      path.emplace_back(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    const std::vector<std::string> section(path.begin(), path.end() - 1);
    std::size_t common = 0;
    while (common < open.size() && common < section.size() && open[common] == section[common]) ++common;
    for (std::size_t i = common; i < section.size(); ++i) {
      text << std::string(2 * i, ' ') << section[i] << ":\n";
    }
    open = section;
    const Value& v = value(o.name);
    std::string shown = v.text;
    if (o.secret && !shown.empty()) shown = std::string(kRedacted);
    YAML::Emitter scalar;
    if (o.type == Type::string || shown.empty()) {
      scalar << YAML::DoubleQuoted << shown;
    } else {
      scalar << shown;
    }
    std::string line = std::string(2 * section.size(), ' ') + path.back() + ": " + scalar.c_str();
    if (line.size() < 48) line.resize(48, ' ');
    text << line << "  # " << to_string(v.source);
    if (v.source != Source::default_value) text << ": " << v.origin;
    text << "\n";
  }
  return text.str();
}

std::string Config::show_json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& o : options()) {
    const Value& v = value(o.name);
    nlohmann::ordered_json e;
    if (o.secret && !v.text.empty()) e["value"] = kRedacted;
    else if (o.type == Type::integer) e["value"] = integer(o.name);
    else if (o.type == Type::boolean) e["value"] = boolean(o.name);
    else e["value"] = v.text;
    e["source"] = to_string(v.source);
    e["origin"] = v.origin;
    if (o.secret) e["secret"] = true;
    j[std::string(o.name)] = e;
  }
  return j.dump(2);
}

}  // namespace roadside::config
