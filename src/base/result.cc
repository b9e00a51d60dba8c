#include "base/result.h"

namespace roadside {

std::string Error::fault_code() const {
  if (const auto* fc = dynamic_cast<const FaultCategory*>(&code_.category())) {
    return std::string(fc->fault_code(code_.value()));
  }
  return "internal_error";
}

std::string Error::to_string() const {
  std::string out = detail_.empty() ? code_.message() : detail_;
  out += " (";
  out += fault_code();
  out += ")";
  return out;
}

Error& Error::context(std::string_view what) {
  std::string d(what);
  d += ": ";
  d += detail_;
  detail_ = std::move(d);
  return *this;
}

}  // namespace roadside
