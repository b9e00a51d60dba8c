// The server's hardware tokens: a HardwareDevice for each device devices.ini names, and what
// the key model (token.h's HardwareKeys) asks of them. A device whose library cannot be loaded
// is logged and left out, as X-Road's signer leaves it out; the others are used.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "signer/devices.h"
#include "signer/hardware_token.h"
#include "signer/token.h"

namespace roadside::signer {

class HardwareTokens final : public HardwareKeys, public std::enable_shared_from_this<HardwareTokens> {
 public:
  // Opens the devices of `conf`. Their tokens are listed once; refresh() lists them again.
  static std::shared_ptr<HardwareTokens> open(const DevicesConf& conf);

  // Every token of every device, in the order of devices.ini and then of their slots.
  std::vector<std::shared_ptr<HardwareToken>> tokens() const;
  std::shared_ptr<HardwareToken> token(const std::string& id) const;
  // HardwareDevice::refresh() of each device (X-Road's module manager, every minute). Returns
  // whether a token's availability or login changed.
  bool refresh();

  std::optional<HardwareTokenState> state(const std::string& token_id) const override;
  // The key signs through whichever token has `token_id` when it signs: a token no device
  // lists now (its device absent since the start) refuses with token_not_available, and
  // signs once a refresh() finds it. Keys hold these tokens (weakly: gone with them).
  Result<crypto::PrivateKey> key(const std::string& token_id, const std::string& key_id,
                                 const std::string& public_key_der) const override;
  Result<Generated> generate(const std::string& token_id, const std::string& label, crypto::KeyType type) override;
  Status destroy(const std::string& token_id, const std::string& key_id) override;

 private:
  HardwareTokens() = default;
  Result<std::shared_ptr<HardwareToken>> find(const std::string& token_id) const;
  std::vector<std::unique_ptr<HardwareDevice>> devices_;  // fixed after open()
};

// The options of a device as devices.ini gives them.
HardwareDevice::Options device_options(const DeviceConf& conf);

}  // namespace roadside::signer
