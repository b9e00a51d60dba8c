#include "servicedesc/services.h"

#include <algorithm>
#include <set>

namespace roadside::servicedesc {
namespace {

bool identifier_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '\'':
    case '(':
    case ')':
    case '+':
    case ',':
    case '-':
    case '.':
    case '=':
    case '?':
      return true;
    default:
      return false;
  }
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

bool is_valid_identifier(std::string_view text) {
  return std::all_of(text.begin(), text.end(), identifier_char);
}

std::optional<Failure> check_service_identifiers(const std::vector<WsdlService>& services) {
  std::vector<std::string> invalid;
  for (const auto& s : services) {
    if (!is_valid_identifier(s.code)) invalid.push_back(s.code);
    if (s.version && !is_valid_identifier(*s.version)) invalid.push_back(*s.version);
  }
  if (invalid.empty()) return std::nullopt;
  std::string detail = "service codes or versions with characters X-Road does not allow:";
  for (const auto& i : invalid) detail += " \"" + i + "\"";
  return Failure(errc::invalid_service_identifier, std::move(detail), std::move(invalid));
}

std::optional<Failure> check_service_urls(const std::vector<WsdlService>& services) {
  std::vector<std::string> invalid;
  for (const auto& s : services) {
    if (s.url && !s.url->starts_with("http://") && !s.url->starts_with("https://")) invalid.push_back(*s.url);
  }
  if (invalid.empty()) return std::nullopt;
  std::string detail = "service addresses that are not http:// or https://: " + invalid.front();
  return Failure(errc::invalid_service_url, std::move(detail), std::move(invalid));
}

std::optional<Failure> find_service_clash(const std::vector<WsdlService>& candidates,
                                          const std::vector<ExistingDescription>& others) {
  std::vector<std::string> metadata;
  for (const auto& description : others) {
    for (const auto& existing : description.services) {
      const std::string full = existing.full_code();
      const bool clash = std::any_of(candidates.begin(), candidates.end(),
                                     [&](const WsdlService& c) { return iequals(c.full_code(), full); });
      if (!clash) continue;
      metadata.push_back(full);
      metadata.push_back(description.url);
    }
  }
  if (metadata.empty()) return std::nullopt;
  std::string detail = "services the client already has: " + metadata[0] + " in " + metadata[1];
  if (metadata.size() > 2) detail += " and " + std::to_string(metadata.size() / 2 - 1) + " more";
  return Failure(errc::service_already_exists, std::move(detail), std::move(metadata));
}

ServiceChanges diff_services(const std::vector<WsdlService>& before, const std::vector<WsdlService>& after) {
  std::vector<std::string> old_codes, new_codes;
  for (const auto& s : before) old_codes.push_back(s.full_code());
  for (const auto& s : after) new_codes.push_back(s.full_code());
  ServiceChanges changes;
  for (const auto& c : new_codes) {
    if (!contains(old_codes, c)) changes.added.push_back(c);
  }
  for (const auto& c : old_codes) {
    if (!contains(new_codes, c)) changes.removed.push_back(c);
  }
  std::set<std::string> seen;
  for (const auto& n : after) {
    const std::string code = n.full_code();
    for (const auto& o : before) {
      if (o.full_code() == code && (o.title != n.title || o.url != n.url) && seen.insert(code).second) {
        changes.changed.push_back(code);
      }
    }
  }
  return changes;
}

std::vector<Warning> change_warnings(const ServiceChanges& changes) {
  std::vector<Warning> warnings;
  if (!changes.added.empty()) warnings.push_back({std::string(kAddingServices), changes.added});
  if (!changes.removed.empty()) warnings.push_back({std::string(kDeletingServices), changes.removed});
  return warnings;
}

}  // namespace roadside::servicedesc
