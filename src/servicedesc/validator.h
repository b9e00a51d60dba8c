// X-Road's optional external WSDL validator (the wsdlvalidator add-on, run by the admin
// service's WsdlValidator): a command given the WSDL's URL, whose exit status and output
// decide whether a WSDL may be added and what the user is warned of.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "servicedesc/errors.h"

namespace roadside::servicedesc {

struct WsdlValidatorConfig {
  // The program (a path; no shell, no PATH search) and its leading arguments; the WSDL's URL
  // is appended. Empty: no validator, as X-Road without the add-on.
  std::vector<std::string> argv;
  std::chrono::milliseconds timeout{60'000};  // then the validator's process group is killed
  std::size_t max_output = 64 * 1024;         // output bytes kept; the rest is read and dropped
};

// Runs the validator on `url` and waits for it (blocking; the admin API runs it off its I/O
// threads). Its standard output and error are read together, line by line, as X-Road's
// ExternalProcessRunner reads them (non-UTF-8 bytes become '?').
//   exit 0 without output: no warnings; exit 0 with output: one wsdl_validation_warnings
//     warning whose metadata is the lines;
//   another exit (or a signal): invalid_wsdl, metadata the lines (X-Road: even when the
//     user ignores warnings);
//   cannot be started: wsdl_validator_not_executable; past the timeout:
//     wsdl_validator_interrupted (X-Road has no limit; these are its 500s).
Outcome<std::vector<Warning>> run_wsdl_validator(const WsdlValidatorConfig& config, std::string_view url);

}  // namespace roadside::servicedesc
