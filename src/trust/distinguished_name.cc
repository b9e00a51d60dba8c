#include "trust/distinguished_name.h"

#include <algorithm>
#include <array>

#include "trust/errors.h"

namespace roadside::trust {
namespace {

Error invalid(std::string detail) {
  return Error(make_error_code(errc::invalid_dn_parameter), std::move(detail));
}

struct Keyword {
  std::string_view keyword;  // the short form first: attribute_keyword() writes it
  std::string_view oid;
};
// BCStyle's keywords (what X-Road's signer parses CSR subjects with) and javax
// X500Principal's where they differ ("S" for ST); "SN" is BCStyle's serialNumber.
constexpr std::array kKeywords{
    Keyword{"C", "2.5.4.6"},
    Keyword{"CN", "2.5.4.3"},
    Keyword{"O", "2.5.4.10"},
    Keyword{"OU", "2.5.4.11"},
    Keyword{"L", "2.5.4.7"},
    Keyword{"ST", "2.5.4.8"},
    Keyword{"S", "2.5.4.8"},
    Keyword{"STREET", "2.5.4.9"},
    Keyword{"serialNumber", "2.5.4.5"},
    Keyword{"SN", "2.5.4.5"},
    Keyword{"SERIALNUMBER", "2.5.4.5"},
    Keyword{"T", "2.5.4.12"},
    Keyword{"businessCategory", "2.5.4.15"},
    Keyword{"postalCode", "2.5.4.17"},
    Keyword{"SURNAME", "2.5.4.4"},
    Keyword{"GIVENNAME", "2.5.4.42"},
    Keyword{"INITIALS", "2.5.4.43"},
    Keyword{"GENERATION", "2.5.4.44"},
    Keyword{"DN", "2.5.4.46"},
    Keyword{"DNQUALIFIER", "2.5.4.46"},
    Keyword{"pseudonym", "2.5.4.65"},
    Keyword{"organizationIdentifier", "2.5.4.97"},
    Keyword{"DC", "0.9.2342.19200300.100.1.25"},
    Keyword{"UID", "0.9.2342.19200300.100.1.1"},
    Keyword{"E", "1.2.840.113549.1.9.1"},
    Keyword{"EMAILADDRESS", "1.2.840.113549.1.9.1"},
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_dotted_oid(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  bool last_dot = false;
  for (char c : s) {
    if (c == '.') {
      if (last_dot) return false;
      last_dot = true;
    } else if (c >= '0' && c <= '9') {
      last_dot = false;
    } else {
      return false;
    }
  }
  return s.find('.') != std::string_view::npos;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) {
  return c == ' ';
}

// RFC 2253's special characters, escaped with a backslash when written.
bool is_special(char c) {
  return c == ',' || c == '"' || c == '\\' || c == '+' || c == '=' || c == '<' || c == '>' || c == ';';
}

// One attribute value at `pos` (after the '='); leaves `pos` at the separator or the end.
Result<std::string> parse_value(std::string_view text, std::size_t& pos) {
  std::string out;
  if (pos < text.size() && text[pos] == '#') {
    return invalid("hex-encoded attribute values are not supported: " + std::string(text.substr(pos, 40)));
  }
  if (pos < text.size() && text[pos] == '"') {
    for (++pos;; ++pos) {
      if (pos >= text.size()) return invalid("a quoted value without its closing quote");
      const char c = text[pos];
      if (c == '"') break;
      if (c == '\\') {
        if (++pos >= text.size()) return invalid("a value ending in a backslash");
      }
      out += text[pos];
    }
    ++pos;
    while (pos < text.size() && is_space(text[pos])) ++pos;
    if (pos < text.size() && text[pos] != ',' && text[pos] != ';' && text[pos] != '+') {
      return invalid("text after a quoted value");
    }
    return out;
  }
  std::size_t keep = 0;  // out's length up to its last character that is not an unescaped space
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c == ',' || c == ';' || c == '+') break;
    if (c == '\\') {
      if (pos + 1 >= text.size()) return invalid("a value ending in a backslash");
      const int hi = hex_digit(text[pos + 1]);
      const int lo = pos + 2 < text.size() ? hex_digit(text[pos + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        pos += 2;
      } else {
        out += text[++pos];
      }
      keep = out.size();
      continue;
    }
    out += c;
    if (!is_space(c)) keep = out.size();
  }
  out.resize(keep);
  return out;
}

}  // namespace

std::optional<std::string> attribute_oid(std::string_view keyword) {
  if (keyword.size() > 4 && iequals(keyword.substr(0, 4), "OID.")) keyword.remove_prefix(4);
  if (is_dotted_oid(keyword)) return std::string(keyword);
  for (const auto& k : kKeywords) {
    if (iequals(k.keyword, keyword)) return std::string(k.oid);
  }
  return std::nullopt;
}

std::string attribute_keyword(std::string_view oid) {
  for (const auto& k : kKeywords) {
    if (k.oid == oid) return std::string(k.keyword);
  }
  return std::string(oid);
}

Result<DistinguishedName> parse_dn(std::string_view text, DnStringOrder order) {
  std::vector<DistinguishedName> rdns;
  std::size_t pos = 0;
  while (pos < text.size() && is_space(text[pos])) ++pos;
  if (pos == text.size()) return DistinguishedName{};
  bool new_rdn = true;
  while (true) {
    while (pos < text.size() && is_space(text[pos])) ++pos;
    const std::size_t eq = text.find('=', pos);
    if (eq == std::string_view::npos) return invalid("no '=' after " + std::string(text.substr(pos, 40)));
    std::string_view type = text.substr(pos, eq - pos);
    while (!type.empty() && is_space(type.back())) type.remove_suffix(1);
    const auto oid = attribute_oid(type);
    if (!oid) return invalid("unknown attribute type \"" + std::string(type.substr(0, 40)) + "\"");
    pos = eq + 1;
    while (pos < text.size() && is_space(text[pos])) ++pos;
    ROADSIDE_TRY(std::string value, parse_value(text, pos));
    if (new_rdn) rdns.emplace_back();
    rdns.back().push_back({*oid, std::move(value)});
    if (pos >= text.size()) break;
    new_rdn = text[pos] != '+';
    ++pos;
  }
  if (order == DnStringOrder::reversed) std::reverse(rdns.begin(), rdns.end());
  DistinguishedName out;
  for (auto& rdn : rdns) {
    for (auto& a : rdn) out.push_back(std::move(a));
  }
  return out;
}

std::string dn_to_string(const DistinguishedName& dn, DnStringOrder order) {
  std::string out;
  auto write = [&](const DnAttribute& a) {
    if (!out.empty()) out += ", ";
    out += attribute_keyword(a.oid) + "=";
    for (std::size_t i = 0; i < a.value.size(); ++i) {
      const char c = a.value[i];
      if (is_special(c) || (i == 0 && (c == '#' || c == ' ')) || (i + 1 == a.value.size() && c == ' ')) out += '\\';
      out += c;
    }
  };
  if (order == DnStringOrder::der) {
    std::for_each(dn.begin(), dn.end(), write);
  } else {
    std::for_each(dn.rbegin(), dn.rend(), write);
  }
  return out;
}

std::optional<std::string> rdn_value(const DistinguishedName& dn, std::string_view oid) {
  const auto found = std::find_if(dn.rbegin(), dn.rend(), [&](const DnAttribute& a) { return a.oid == oid; });
  if (found == dn.rend()) return std::nullopt;
  // IETFUtils.valueToString.
  const std::string& v = found->value;
  std::string out;
  std::size_t i = 0;
  if (!v.empty() && v.front() == '#') {
    out += "\\#";
    i = 1;
  }
  for (; i < v.size(); ++i) {
    if (is_special(v[i])) out += '\\';
    out += v[i];
  }
  std::string lead;
  std::size_t start = 0;
  while (start < out.size() && out[start] == ' ') {
    lead += "\\ ";
    ++start;
  }
  out = lead + out.substr(start);
  std::size_t spaces = 0;
  while (spaces < out.size() - lead.size() && out[out.size() - 1 - spaces] == ' ') ++spaces;
  if (spaces > 0) {
    out.resize(out.size() - spaces);
    for (std::size_t k = 0; k < spaces; ++k) out += "\\ ";
  }
  return out;
}

}  // namespace roadside::trust
