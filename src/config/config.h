// Roadside's configuration: one typed table of options (options.cc), loaded in layers
//   defaults < country profile < YAML file < environment (XROAD_* / ROADSIDE_*) < command-line flags.
// The option `profile` (ee, fi, is, fo; set in any layer) names one of X-Road's country
// variants (profiles.cc); its values replace only the defaults of the options it lists.
//
// An unknown key in the file, an unknown XROAD_*/ROADSIDE_* variable or a bad value is an
// error that names the key, where it came from and what is allowed. Secrets (PIN, database
// password, admin password) are never shown: `show()` redacts them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/errc.h"
#include "base/result.h"

namespace roadside::config {

enum class errc { invalid_value = 1, unknown_key, bad_file };
const FaultCategory& config_category() noexcept;
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), config_category()}; }

enum class Type { string, integer, boolean, choice };

struct Option {
  std::string_view name;           // dotted: "database.port" is `database: {port: ...}` in YAML
  Type type;
  std::string_view default_value;  // as text
  std::string_view env;            // environment variable ("" = none)
  std::string_view flag;           // dedicated command-line flag ("" = only --set)
  std::string_view description;
  bool secret = false;
  std::int64_t min = 0, max = 0;   // Type::integer bounds (inclusive)
  std::string_view choices;        // Type::choice: "a|b|c", matched case-insensitively
};

// Every option Roadside has, in display order.
const std::vector<Option>& options();
const Option* find_option(std::string_view name);

enum class Source { default_value, profile, file, env, flag };
std::string_view to_string(Source s) noexcept;

struct Value {
  std::string text;    // normalized (choices in their canonical spelling)
  Source source = Source::default_value;
  std::string origin;  // "config.yaml:12", "XROAD_DB_PORT", "--health-port", "fi" (a profile)
};

// A country profile: X-Road's defaults for one country's variant package
// (xroad-securityserver-XX, its /etc/xroad/conf.d/override-securityserver-XX.ini).
struct ProfileSetting {
  std::string_view option;  // a Roadside option
  std::string_view value;   // its default under this profile
  std::string_view xroad;   // X-Road's parameter: "[signer] key-length"
};
struct Profile {
  std::string_view name;  // as the option `profile` takes it: "fi"
  std::string_view description;
  std::vector<ProfileSetting> settings;
  std::string_view unmapped;  // what else X-Road's package changes, and why Roadside has no option for it
};

// Every profile, "none" (no country's changes) first.
const std::vector<Profile>& profiles();
const Profile* find_profile(std::string_view name);

struct Inputs {
  std::optional<std::filesystem::path> file;
  std::map<std::string, std::string> env;              // the process environment
  std::vector<std::pair<std::string, std::string>> flags;  // option name -> value, in order
};

// The environment of this process as a map.
std::map<std::string, std::string> process_env();

class Config {
 public:
  // The layers in order; then the profile the result names gives its values to the options
  // still at their default.
  static Result<Config> load(const Inputs& in);
  // Defaults only, no profile (tests, tools).
  static Config defaults();

  // REQUIRES: `name` is an option of the given type.
  const std::string& str(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  bool boolean(std::string_view name) const;
  const Value& value(std::string_view name) const;
  bool is_set(std::string_view name) const { return !str(name).empty(); }

  // Overrides one option after loading (the server's own decisions, tests). Validated.
  Status set(std::string_view name, std::string_view text, Source source = Source::flag, std::string origin = "");

  // Non-fatal findings while loading (ignored Sidecar variables), to be logged.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // The effective configuration, secrets redacted: YAML with each value's source as a
  // comment, or a JSON object {name: {"value", "source", "origin"}}.
  std::string show_yaml() const;
  std::string show_json() const;

 private:
  std::map<std::string, Value, std::less<>> values_;
  std::vector<std::string> warnings_;
};

inline constexpr std::string_view kRedacted = "<redacted>";

}  // namespace roadside::config

ROADSIDE_ERRC_ENUM(roadside::config::errc)
