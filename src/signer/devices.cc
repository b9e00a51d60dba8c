#include "signer/devices.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "base/files.h"
#include "signer/keyconf.h"

namespace roadside::signer {
namespace {

constexpr std::size_t kMaxSections = 64;
constexpr std::size_t kMaxSlotIds = 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A value without its comment (';' or '#' after white space) and quotes.
std::string value_of(std::string_view raw) {
  raw = trim(raw);
  if (raw.size() >= 2 && (raw.front() == '"' || raw.front() == '\'')) {
    const auto close = raw.find(raw.front(), 1);
    if (close != std::string_view::npos) return std::string(raw.substr(1, close - 1));
  }
  for (std::size_t i = 1; i < raw.size(); ++i) {
    if ((raw[i] == ';' || raw[i] == '#') && std::isspace(static_cast<unsigned char>(raw[i - 1]))) {
      raw = trim(raw.substr(0, i));
      break;
    }
  }
  return std::string(raw);
}

std::optional<bool> boolean(std::string_view text) {
  const std::string v = lower(text);
  for (const char* yes : {"true", "yes", "on", "y", "t"}) {
    if (v == yes) return true;
  }
  for (const char* no : {"false", "no", "off", "n", "f"}) {
    if (v == no) return false;
  }
  return std::nullopt;
}

// devices.ini's key suffixes for key-pair attributes, and the CKA_ name each sets.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kPublicAttributes = {{
    {"encrypt", "ENCRYPT"},
    {"verify", "VERIFY"},
    {"verify_recover", "VERIFY_RECOVER"},
    {"wrap", "WRAP"},
    {"trusted", "TRUSTED"},
}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kPrivateAttributes = {{
    {"sensitive", "SENSITIVE"},
    {"decrypt", "DECRYPT"},
    {"sign", "SIGN"},
    {"sign_recover", "SIGN_RECOVER"},
    {"unwrap", "UNWRAP"},
    {"extractable", "EXTRACTABLE"},
    {"always_sensitive", "ALWAYS_SENSITIVE"},
    {"never_extractable", "NEVER_EXTRACTABLE"},
    {"wrap_with_trusted", "WRAP_WITH_TRUSTED"},
}};

constexpr std::array<std::string_view, 6> kFlags = {
    "enabled",         "os_locking_ok",         "library_cant_create_os_threads",
    "sign_verify_pin", "batch_signing_enabled", "read_only"};

// The key pair attribute a key sets: whether the public key's, and its CKA_ name.
std::optional<std::pair<bool, std::string_view>> attribute_of(std::string_view key) {
  for (const bool pub : {true, false}) {
    const std::string_view prefix = pub ? "pub_key_attribute_" : "priv_key_attribute_";
    if (!key.starts_with(prefix)) continue;
    const std::string_view suffix = key.substr(prefix.size());
    const auto names = pub ? std::span(kPublicAttributes.data(), kPublicAttributes.size())
                           : std::span(kPrivateAttributes.data(), kPrivateAttributes.size());
    for (const auto& [s, cka] : names) {
      if (s == suffix) return std::pair{pub, cka};
    }
  }
  return std::nullopt;
}

void set_attribute(std::vector<std::pair<std::string, bool>>& list, std::string_view name, bool value) {
  for (auto& [n, v] : list) {
    if (n == name) {
      v = value;
      return;
    }
  }
  list.emplace_back(name, value);
}

// One section's keys, in order, the last of a key winning (as Commons Configuration's does).
using Section = std::vector<std::pair<std::string, std::string>>;

// The device a section describes, or why it is left out.
std::variant<DeviceConf, std::string> device_of(const std::string& name, const Section& keys) {
  DeviceConf d;
  d.type = name;
  d.public_key_attributes = {{"ENCRYPT", true}, {"VERIFY", true}};
  d.private_key_attributes = {{"SENSITIVE", true}, {"DECRYPT", true}, {"SIGN", true}};
  auto flag = [&](const std::string& key, const std::string& value) -> std::variant<bool, std::string> {
    auto b = boolean(value);
    if (!b) return "the value '" + value + "' of " + key + " is not a boolean";
    return *b;
  };
  for (const auto& [key, value] : keys) {
    std::variant<bool, std::string> parsed = false;
    const bool text_key = key == "library" || key == "token_id_format" || key == "sign_mechanism" ||
                          key == "slot_ids" || key.ends_with("_allowed_mechanisms");
    const bool boolean_key =
        !text_key && (std::find(kFlags.begin(), kFlags.end(), key) != kFlags.end() || attribute_of(key).has_value());
    if (!text_key && !boolean_key) return "unknown key " + key;
    if (boolean_key) {
      parsed = flag(key, value);
      if (auto* why = std::get_if<std::string>(&parsed)) return *why;
    }
    const bool b = boolean_key && std::get<bool>(parsed);
    if (key == "library") {
      d.library = value;
    } else if (key == "enabled") {
      // read by the caller
    } else if (key == "os_locking_ok") {
      d.os_locking_ok = b;
    } else if (key == "library_cant_create_os_threads") {
      d.cant_create_os_threads = b;
    } else if (key == "sign_verify_pin") {
      d.sign_verify_pin = b;
    } else if (key == "batch_signing_enabled") {
      d.batch_signing = b;
    } else if (key == "read_only") {
      d.read_only = b;
    } else if (key == "token_id_format") {
      if (!value.empty()) d.token_id_format = value;
    } else if (key == "sign_mechanism") {
      if (value == "CKM_RSA_PKCS_PSS") {
        d.rsa_pss = true;
      } else if (value != "CKM_RSA_PKCS") {
        return "sign_mechanism " + value + " is neither CKM_RSA_PKCS nor CKM_RSA_PKCS_PSS";
      }
    } else if (key == "slot_ids") {
      std::string_view rest = value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view item = trim(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (item.empty()) continue;
        unsigned long id = 0;
        auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
        if (ec != std::errc() || end != item.data() + item.size())
          return "slot_ids holds '" + std::string(item) + "', which is not a slot id";
        if (d.slot_ids.size() == kMaxSlotIds) return std::string("slot_ids names too many slots");
        d.slot_ids.push_back(id);
      }
    } else if (key.ends_with("_allowed_mechanisms")) {
      return key + " is not supported by Roadside";
    } else if (auto attribute = attribute_of(key)) {
      set_attribute(attribute->first ? d.public_key_attributes : d.private_key_attributes, attribute->second, b);
    }
  }
  if (d.library.empty()) return std::string("no PKCS#11 library");
  return d;
}

}  // namespace

Result<DevicesConf> parse_devices_ini(std::string_view text) {
  auto bad = [](const std::string& why) {
    return Error(make_error_code(errc::malformed_keyconf), "devices.ini: " + why);
  };
  if (text.size() > kMaxDevicesIniBytes) return bad("over " + std::to_string(kMaxDevicesIniBytes) + " bytes");
  if (text.find('\0') != std::string_view::npos) return bad("not text");
  std::vector<std::pair<std::string, Section>> sections;
  DevicesConf out;
  std::size_t line_number = 0;
  for (std::string_view rest = text; !rest.empty();) {
    const auto newline = rest.find('\n');
    std::string_view line = trim(rest.substr(0, newline));
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    ++line_number;
    if (line.empty() || line.front() == ';' || line.front() == '#') continue;
    if (line.front() == '[') {
      const auto close = line.find(']');
      if (close == std::string_view::npos) {
        out.warnings.push_back("line " + std::to_string(line_number) + ": a section without ']'");
        sections.emplace_back(std::string(), Section());  // its keys go nowhere
        continue;
      }
      if (sections.size() == kMaxSections) return bad("more than " + std::to_string(kMaxSections) + " sections");
      sections.emplace_back(std::string(trim(line.substr(1, close - 1))), Section());
      continue;
    }
    const auto eq = line.find_first_of("=:");
    if (eq == std::string_view::npos || sections.empty()) {
      out.warnings.push_back("line " + std::to_string(line_number) + ": neither a section nor key = value");
      continue;
    }
    auto& keys = sections.back().second;
    const std::string key = lower(trim(line.substr(0, eq)));
    std::string value = value_of(line.substr(eq + 1));
    auto same = std::find_if(keys.begin(), keys.end(), [&](const auto& kv) { return kv.first == key; });
    if (same != keys.end()) {
      same->second = std::move(value);
    } else {
      keys.emplace_back(key, std::move(value));
    }
  }
  std::vector<std::string> seen;
  for (const auto& [name, keys] : sections) {
    if (name.empty()) continue;  // X-Road skips a section without a name
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      out.warnings.push_back("[" + name + "]: a second section of that name, left out");
      continue;
    }
    seen.push_back(name);
    if (name == "softToken") {
      for (const auto& [key, value] : keys) {
        if (key == "enabled" && boolean(value) == false) out.soft_token_enabled = false;
      }
      continue;
    }
    auto enabled = std::find_if(keys.begin(), keys.end(), [](const auto& kv) { return kv.first == "enabled"; });
    if (enabled != keys.end() && boolean(enabled->second) == false) continue;  // turned off, not wrong
    auto device = device_of(name, keys);
    if (auto* why = std::get_if<std::string>(&device)) {
      out.warnings.push_back("[" + name + "] left out: " + *why);
      continue;
    }
    out.devices.push_back(std::get<DeviceConf>(std::move(device)));
  }
  return out;
}

Result<DevicesConf> read_devices_ini(const std::filesystem::path& file) {
  auto text = read_file_limited(file, kMaxDevicesIniBytes);
  if (!text.ok()) return Error(make_error_code(errc::malformed_keyconf), file.string() + ": " + text.error().detail());
  return parse_devices_ini(*text);
}

}  // namespace roadside::signer
