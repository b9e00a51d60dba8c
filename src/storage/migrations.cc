// Roadside's schema, one migration at a time. Never edit a released migration: add one.
// Each has SQL for both databases; keep them equivalent.
#include <array>

#include "storage/store.h"

namespace roadside::storage {

namespace {

constexpr std::array kMigrations = {
    Migration{1, "settings",
              R"sql(
CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
)sql",
              R"sql(
CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace roadside::storage
