// What an import took over and what it could not, line by line, for the operator.
#pragma once

#include <string>
#include <vector>

namespace roadside::xroadimport {

struct Report {
  std::vector<std::string> imported;      // "3 keys of the software token (2 signing, 1 authentication)"
  std::vector<std::string> not_imported;  // each with why
  void took(std::string line) { imported.push_back(std::move(line)); }
  void left(std::string line) { not_imported.push_back(std::move(line)); }
};

}  // namespace roadside::xroadimport
