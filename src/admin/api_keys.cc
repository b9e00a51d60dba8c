#include "admin/api_keys.h"

#include <array>

#include "crypto/digest.h"
#include "crypto/encoding.h"

namespace roadside::admin {

namespace {

std::string key_hash(std::string_view plaintext) {
  return crypto::to_hex(crypto::sha256(plaintext));
}

Result<ApiKey> from_row(const storage::Row& row) {
  auto id = storage::as_int(row.at(0));
  auto roles_text = storage::as_text(row.at(1));
  std::optional<Roles> roles = roles_text ? Roles::from_string(*roles_text) : std::nullopt;
  if (!id || !roles) return make_error(storage::errc::query_failed, "api_keys holds a row Roadside cannot read");
  return ApiKey{*id, *roles};
}

Result<std::optional<ApiKey>> first(Result<std::vector<storage::Row>> rows) {
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<ApiKey>();
  ROADSIDE_TRY(ApiKey key, from_row(rows->front()));
  return std::optional<ApiKey>(key);
}

}  // namespace

Result<CreatedApiKey> ApiKeys::create(Roles roles, std::string_view created_by) {
  if (roles.empty())
    return Error(std::make_error_code(std::errc::invalid_argument), "an API key needs at least one role");
  std::string plaintext = random_.uuid();
  const std::array<storage::Value, 3> params = {key_hash(plaintext), roles.to_string(), std::string(created_by)};
  auto rows = store_.with_connection([&](storage::Connection& c) {
    return c.query("INSERT INTO api_keys (key_hash, roles, created_by) VALUES (?, ?, ?) RETURNING id, roles", params);
  });
  ROADSIDE_TRY(std::optional<ApiKey> key, first(std::move(rows)));
  if (!key) return make_error(storage::errc::query_failed, "the new API key was not stored");
  return CreatedApiKey{*key, std::move(plaintext)};
}

Result<std::vector<ApiKey>> ApiKeys::list() {
  auto rows = store_.with_connection(
      [](storage::Connection& c) { return c.query("SELECT id, roles FROM api_keys ORDER BY id"); });
  if (!rows.ok()) return rows.error();
  std::vector<ApiKey> out;
  for (const auto& row : *rows) {
    ROADSIDE_TRY(ApiKey key, from_row(row));
    out.push_back(key);
  }
  return out;
}

Result<std::optional<ApiKey>> ApiKeys::get(std::int64_t id) {
  const std::array<storage::Value, 1> params = {id};
  return first(store_.with_connection(
      [&](storage::Connection& c) { return c.query("SELECT id, roles FROM api_keys WHERE id = ?", params); }));
}

Result<std::optional<ApiKey>> ApiKeys::update(std::int64_t id, Roles roles) {
  if (roles.empty())
    return Error(std::make_error_code(std::errc::invalid_argument), "an API key needs at least one role");
  const std::array<storage::Value, 2> params = {roles.to_string(), id};
  return first(store_.with_connection([&](storage::Connection& c) {
    return c.query("UPDATE api_keys SET roles = ? WHERE id = ? RETURNING id, roles", params);
  }));
}

Result<std::optional<ApiKey>> ApiKeys::revoke(std::int64_t id) {
  const std::array<storage::Value, 1> params = {id};
  return first(store_.with_connection([&](storage::Connection& c) {
    return c.query("DELETE FROM api_keys WHERE id = ? RETURNING id, roles", params);
  }));
}

Result<std::optional<ApiKey>> ApiKeys::authenticate(std::string_view plaintext) {
  // The hash of whatever was sent: its length and content never reach the database as text.
  const std::array<storage::Value, 1> params = {key_hash(plaintext)};
  return first(store_.with_connection(
      [&](storage::Connection& c) { return c.query("SELECT id, roles FROM api_keys WHERE key_hash = ?", params); }));
}

}  // namespace roadside::admin
