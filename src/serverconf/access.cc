// Access checks: REST endpoint patterns (Endpoint::matches) and who has a right to a service
// (ServerConf::allowed_service, allowed).
#include <algorithm>
#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include "base/identifiers.h"
#include "globalconf/parameters.h"
#include "serverconf/model.h"

namespace roadside::serverconf {
namespace {

// Matches path segments against pattern segments: "*" one segment, "**" any number.
bool match_segments(const std::vector<std::string_view>& pat, std::size_t pi, const std::vector<std::string_view>& seg,
                    std::size_t si) {
  if (pi == pat.size()) return si == seg.size();
  if (pat[pi] == "**") {
    for (std::size_t k = si; k <= seg.size(); ++k) {
      if (match_segments(pat, pi + 1, seg, k)) return true;
    }
    return false;
  }
  if (si == seg.size()) return false;
  if (pat[pi] != "*" && pat[pi] != seg[si]) return false;
  return match_segments(pat, pi + 1, seg, si + 1);
}

std::vector<std::string_view> split_path(std::string_view p) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < p.size()) {
    if (p[i] == '/') {
      ++i;
      continue;
    }
    const auto j = std::min(p.find('/', i), p.size());
    out.push_back(p.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

bool Endpoint::matches(std::string_view m, std::string_view p) const {
  if (method != "*" && method != m) return false;
  return match_segments(split_path(path), 0, split_path(p), 0);
}

bool ServerConf::subject_matches(const XRoadId& subject, const XRoadId& caller, const XRoadId& provider,
                                 const globalconf::SharedParameters* shared) const {
  switch (subject.type()) {
    case ObjectType::member:
    case ObjectType::subsystem:
      return subject == caller;
    case ObjectType::global_group:
      return shared && shared->is_global_group_member(caller, subject);
    case ObjectType::local_group:
      for (const auto& g : local_groups) {
        if (g.owner == provider && g.code == subject.group_code()) {
          return std::find(g.members.begin(), g.members.end(), caller) != g.members.end();
        }
      }
      return false;
    default:
      return false;
  }
}

bool ServerConf::has_right(const XRoadId& caller, const XRoadId& service_id, const globalconf::SharedParameters* shared,
                           const std::function<bool(const Endpoint&)>& endpoint_ok) const {
  const XRoadId provider = service_id.service_provider();
  for (const auto& a : access) {
    if (a.service == service_id && endpoint_ok(a.endpoint) && subject_matches(a.subject, caller, provider, shared))
      return true;
  }
  return false;
}

bool ServerConf::allowed_service(const XRoadId& caller, const XRoadId& service_id,
                                 const globalconf::SharedParameters* shared) const {
  return has_right(caller, service_id, shared, [](const Endpoint&) { return true; });
}

bool ServerConf::allowed(const XRoadId& caller, const XRoadId& service_id, std::string_view method,
                         std::string_view path, const globalconf::SharedParameters* shared) const {
  const std::string_view p = path.empty() ? "/" : path;
  return has_right(caller, service_id, shared, [&](const Endpoint& e) { return e.matches(method, p); });
}

}  // namespace roadside::serverconf
