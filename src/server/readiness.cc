#include "server/readiness.h"

namespace roadside::server {

void Readiness::add(std::string component, Check check) {
  MutexLock lock(mu_);
  checks_.emplace_back(std::move(component), std::move(check));
}

std::vector<Readiness::Reason> Readiness::reasons() const {
  std::vector<std::pair<std::string, Check>> checks;
  {
    MutexLock lock(mu_);
    checks = checks_;
  }
  std::vector<Reason> out;
  for (const auto& [component, check] : checks) {
    if (auto why = check()) out.push_back({component, *why});
  }
  return out;
}

std::optional<std::string> Readiness::reason(std::string_view component) const {
  std::vector<Check> checks;
  {
    MutexLock lock(mu_);
    for (const auto& [name, check] : checks_) {
      if (name == component) checks.push_back(check);
    }
  }
  for (const auto& check : checks) {
    if (auto why = check()) return why;
  }
  return std::nullopt;
}

}  // namespace roadside::server
