#include "base/errors.h"

namespace roadside::base {

const FaultCategory& base_category() noexcept {
  static const TableCategory<errc> category("base",
                                            {
                                                {errc::invalid_identifier, "bad_request", "invalid X-Road identifier"},
                                                {errc::invalid_argument, "internal_error", "invalid argument"},
                                                {errc::io_error, "io_error", "I/O error"},
                                                {errc::too_large, "io_error", "file too large"},
                                            });
  return category;
}

}  // namespace roadside::base
