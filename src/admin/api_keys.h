// The admin API's keys (X-Road's `Authorization: X-Road-ApiKey token=<key>`), kept in the
// database (table api_keys) as the SHA-256 of the key only: the key itself is shown once, when
// it is created, and cannot be read back. A key is a random UUID (122 random bits), so one
// hash is enough; no salt or slow hash is needed against guessing, and checking a key costs
// one indexed look-up. Nothing is cached: a revoked key stops working on every node of a
// cluster at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/roles.h"
#include "base/random.h"
#include "base/result.h"
#include "storage/store.h"

namespace roadside::admin {

struct ApiKey {
  std::int64_t id = 0;
  Roles roles;
};

struct CreatedApiKey {
  ApiKey key;
  std::string plaintext;  // the one time it exists outside the caller's hands
};

class ApiKeys {
 public:
  explicit ApiKeys(storage::Store& store, Random& random = Random::system()) : store_(store), random_(random) {}

  // A new key with `roles` (not empty), recorded as made by `created_by`.
  Result<CreatedApiKey> create(Roles roles, std::string_view created_by);
  Result<std::vector<ApiKey>> list();
  // std::nullopt: no key with that id.
  Result<std::optional<ApiKey>> get(std::int64_t id);
  Result<std::optional<ApiKey>> update(std::int64_t id, Roles roles);
  // The revoked key, or std::nullopt when there was none.
  Result<std::optional<ApiKey>> revoke(std::int64_t id);
  // The key whose plaintext this is, or std::nullopt.
  Result<std::optional<ApiKey>> authenticate(std::string_view plaintext);

 private:
  storage::Store& store_;
  Random& random_;
};

}  // namespace roadside::admin
