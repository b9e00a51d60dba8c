// XML Schema validation (libxml2's XSD 1.0 validator) of schemas kept as local files: a
// schema and the files it imports or includes are read from one folder only, each checked
// first as any untrusted document is here (size limit, no DOCTYPE), and a schemaLocation
// that is not a plain file name in that folder (a URL, a path) is refused before libxml2
// reads anything, so loading never touches the network.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>

#include "base/result.h"
#include "xml/dom.h"

namespace roadside::xml {

class Schema {
 public:
  // Loads `xsd` and the schemas it names with xs:import/xs:include/xs:redefine (at most 16
  // files of at most `max_file_bytes` each). Errors: base::errc::io_error/too_large (a file
  // unreadable or too large), base::errc::invalid_argument (not XML, a DOCTYPE, a
  // schemaLocation outside the folder), errc::schema_invalid (libxml2 refuses the schema).
  static Result<Schema> load(const std::filesystem::path& xsd, std::size_t max_file_bytes = 1024 * 1024);

  // Validates `element` and its subtree against the schema's global element declaration of
  // its name. errc::schema_invalid with libxml2's first complaint (line and message).
  // Thread-safe: each call has its own validation context.
  Status validate(const Element& element) const;

 private:
  explicit Schema(std::shared_ptr<void> schema) : schema_(std::move(schema)) {}
  std::shared_ptr<void> schema_;  // xmlSchema*
};

}  // namespace roadside::xml
