// The servicedesc module's refusals and warnings, in the form the Security Server admin API
// reports them (X-Road's DeviationCodes): an error code with metadata for
// {"status":400,"error":{"code":...,"metadata":[...]}}, and warnings for a
// `warnings_detected` answer that the user may choose to ignore.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/errc.h"

namespace roadside::servicedesc {

enum class errc {
  invalid_wsdl = 1,               // not a WSDL, or refused by the external validator ("invalid_wsdl")
  invalid_service_identifier,     // a service code or version with a forbidden character
  invalid_service_url,            // a WSDL service whose address is not http:// or https://
  service_already_exists,         // a service code.version another description of the client has
  wsdl_validator_not_executable,  // the configured validator could not be started
  wsdl_validator_interrupted,     // the validator ran past its time limit and was killed
  openapi_parsing_error,          // not an OpenAPI document Roadside can use
  unsupported_openapi_version,    // an "openapi" version other than 3.0.x and 3.1.0
};

const FaultCategory& servicedesc_category() noexcept;
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), servicedesc_category()};
}

}  // namespace roadside::servicedesc

ROADSIDE_ERRC_ENUM(roadside::servicedesc::errc)

namespace roadside::servicedesc {

// Warning codes (X-Road's DeviationCodes.WARNING_*).
inline constexpr std::string_view kWsdlValidationWarnings = "wsdl_validation_warnings";
inline constexpr std::string_view kOpenApiValidationWarnings = "openapi_validation_warnings";
inline constexpr std::string_view kAddingServices = "adding_services";
inline constexpr std::string_view kDeletingServices = "deleting_services";
inline constexpr std::string_view kAddingEndpoints = "adding_endpoints";
inline constexpr std::string_view kDeletingEndpoints = "deleting_endpoints";

// A refusal: X-Road's error code (fault_code()) with the metadata X-Road gives for it, and a
// detail for the log. The admin API answers it as
// {"status":400,"error":{"code":fault_code(),"metadata":metadata()}} (service_already_exists
// is a 409 in X-Road; wsdl_validator_* are its 500s).
class Failure {
 public:
  Failure(errc code, std::string detail, std::vector<std::string> metadata = {})
      : code_(code), detail_(std::move(detail)), metadata_(std::move(metadata)) {}

  errc code() const noexcept { return code_; }
  std::string_view fault_code() const noexcept;
  const std::string& detail() const noexcept { return detail_; }
  const std::vector<std::string>& metadata() const noexcept { return metadata_; }
  // The same refusal as a roadside::Error (its code and detail; the metadata is left out).
  Error error() const { return make_error(code_, detail_); }

 private:
  errc code_;
  std::string detail_;
  std::vector<std::string> metadata_;
};

// A warning: {"code":code,"metadata":metadata} in the answer's "warnings" list.
struct Warning {
  std::string code;
  std::vector<std::string> metadata;
  bool operator==(const Warning&) const = default;
};

// The value of an operation or the Failure that stopped it.
template <typename T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}            // NOLINT(google-explicit-constructor)
  Outcome(Failure failure) : v_(std::in_place_index<1>, std::move(failure)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  // REQUIRES: ok()
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  // REQUIRES: !ok()
  const Failure& failure() const& { return std::get<1>(v_); }
  Failure&& failure() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Failure> v_;
};

}  // namespace roadside::servicedesc
