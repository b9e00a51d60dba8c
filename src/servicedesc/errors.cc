#include "servicedesc/errors.h"

namespace roadside::servicedesc {

// The codes are X-Road's admin API DeviationCodes, so a client written for X-Road's API reads
// Roadside's refusals unchanged.
const FaultCategory& servicedesc_category() noexcept {
  static const TableCategory<errc> category(
      "servicedesc",
      {
          {errc::invalid_wsdl, "invalid_wsdl", "invalid WSDL"},
          {errc::invalid_service_identifier, "invalid_wsdl_service_identifier", "service code or version not allowed"},
          {errc::invalid_service_url, "invalid_service_url", "service URL is not http or https"},
          {errc::service_already_exists, "service_already_exists", "service already exists"},
          {errc::wsdl_validator_not_executable, "wsdl_validator_not_executable", "WSDL validator cannot be run"},
          {errc::wsdl_validator_interrupted, "wsdl_validator_interrupted", "WSDL validator did not finish in time"},
          {errc::openapi_parsing_error, "openapi_parsing_error", "OpenAPI description cannot be parsed"},
          {errc::unsupported_openapi_version, "unsupported_openapi_version", "OpenAPI version not supported"},
      });
  return category;
}

std::string_view Failure::fault_code() const noexcept {
  return servicedesc_category().fault_code(static_cast<int>(code_));
}

}  // namespace roadside::servicedesc
