#include "signer/hardware_tokens.h"

#include <utility>

#include "base/log.h"

namespace roadside::signer {

HardwareDevice::Options device_options(const DeviceConf& conf) {
  HardwareDevice::Options options;
  options.library = conf.library;
  options.os_locking_ok = conf.os_locking_ok;
  options.cant_create_os_threads = conf.cant_create_os_threads.value_or(false);
  options.slot_ids = conf.slot_ids;
  options.token.module_type = conf.type;
  options.token.token_id_format = conf.token_id_format;
  options.token.read_only = conf.read_only;
  options.token.key_template.public_key = conf.public_key_attributes;
  options.token.key_template.private_key = conf.private_key_attributes;
  return options;
}

std::shared_ptr<HardwareTokens> HardwareTokens::open(const DevicesConf& conf) {
  std::shared_ptr<HardwareTokens> out(new HardwareTokens());
  for (const auto& device : conf.devices) {
    // What X-Road's devices.ini can ask and Roadside does not do (yet), said rather than ignored.
    if (device.sign_verify_pin || !device.batch_signing || device.rsa_pss) {
      log::warn(
          "devices.ini: sign_verify_pin, batch_signing_enabled and sign_mechanism = CKM_RSA_PKCS_PSS are not "
          "supported; the device signs with CKM_RSA_PKCS (RSA) or CKM_ECDSA, logged in once",
          {{"device", device.type}});
    }
    auto opened = HardwareDevice::open(device_options(device));
    if (!opened.ok()) {
      log::error("devices.ini: device left out", {{"device", device.type}, {"error", opened.error().detail()}});
      continue;
    }
    for (const auto& token : (*opened)->tokens())
      log::info("hardware token", {{"device", device.type}, {"token", token->id()}, {"label", token->info().label}});
    out->devices_.push_back(std::move(*opened));
  }
  return out;
}

std::vector<std::shared_ptr<HardwareToken>> HardwareTokens::tokens() const {
  std::vector<std::shared_ptr<HardwareToken>> out;
  for (const auto& device : devices_) {
    for (auto& token : device->tokens()) out.push_back(std::move(token));
  }
  return out;
}

std::shared_ptr<HardwareToken> HardwareTokens::token(const std::string& id) const {
  for (const auto& device : devices_) {
    if (auto token = device->token(id)) return token;
  }
  return nullptr;
}

bool HardwareTokens::refresh() {
  auto snapshot = [&] {
    std::vector<std::pair<std::string, std::pair<bool, bool>>> out;
    for (const auto& t : tokens()) out.push_back({t->id(), {t->available(), t->active()}});
    return out;
  };
  const auto before = snapshot();
  for (const auto& device : devices_) {
    if (auto st = device->refresh(); !st.ok())
      log::warn("hardware token device not listed",
                {{"device", device->options().token.module_type}, {"error", st.error().detail()}});
  }
  return snapshot() != before;
}

Result<std::shared_ptr<HardwareToken>> HardwareTokens::find(const std::string& token_id) const {
  if (auto t = token(token_id)) return t;
  return Error(make_error_code(errc::token_not_available), "no configured device has token " + token_id);
}

std::optional<HardwareTokenState> HardwareTokens::state(const std::string& token_id) const {
  auto t = token(token_id);
  if (!t) return std::nullopt;
  return HardwareTokenState{t->available(), t->active()};
}

Result<crypto::PrivateKey> HardwareTokens::key(const std::string& token_id, const std::string& key_id,
                                               const std::string& public_key_der) const {
  auto listed = [tokens = weak_from_this(), token_id]() -> std::shared_ptr<HardwareToken> {
    auto all = tokens.lock();
    return all ? all->token(token_id) : nullptr;
  };
  return hardware_key(std::move(listed), token_id, key_id, public_key_der);
}

Result<HardwareKeys::Generated> HardwareTokens::generate(const std::string& token_id, const std::string& label,
                                                         crypto::KeyType type) {
  ROADSIDE_TRY(auto t, find(token_id));
  ROADSIDE_TRY(HardwareKey made, t->generate_key(label, type));
  return Generated{made.key_id, made.public_key_der};
}

Status HardwareTokens::destroy(const std::string& token_id, const std::string& key_id) {
  ROADSIDE_TRY(auto t, find(token_id));
  return t->delete_key(key_id);
}

}  // namespace roadside::signer
