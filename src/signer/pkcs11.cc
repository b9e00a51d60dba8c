#include "signer/pkcs11.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include "crypto/external_key.h"

namespace roadside::signer::pkcs11 {
namespace {

constexpr std::size_t kMaxSlots = 1024;
constexpr unsigned long kMaxAttributeBytes = 64 * 1024;

const CK_FUNCTION_LIST* fns(const void* functions) {
  return static_cast<const CK_FUNCTION_LIST*>(functions);
}

errc errc_of(Failure f) {
  switch (f) {
    case Failure::gone:
      return errc::token_not_available;
    case Failure::pin:
      return errc::pin_incorrect;
    case Failure::not_logged:
      return errc::token_not_active;
    case Failure::other:
      break;
  }
  return errc::token_failed;
}

Error fail(const char* call, CK_RV rv) {
  return Error(make_error_code(errc_of(classify(rv))), std::string(call) + ": " + rv_name(rv));
}

// A blank-padded field of the device's, trimmed at both ends as X-Road trims it (Java's trim:
// every character up to ' ').
std::string trimmed(const unsigned char* text, std::size_t size) {
  std::string out(reinterpret_cast<const char*>(text), size);
  while (!out.empty() && static_cast<unsigned char>(out.back()) <= ' ') out.pop_back();
  std::size_t first = 0;
  while (first < out.size() && static_cast<unsigned char>(out[first]) <= ' ') ++first;
  return out.substr(first);
}

CK_ULONG length(std::string_view s) {
  return static_cast<CK_ULONG>(s.size());
}
void* bytes(std::string_view s) {
  return const_cast<char*>(s.data());
}

// The boolean attributes a devices.ini template may set, by name without "CKA_".
struct NamedAttribute {
  std::string_view name;
  CK_ATTRIBUTE_TYPE type;
};
constexpr std::array<NamedAttribute, 18> kBooleanAttributes = {{
    {"TOKEN", CKA_TOKEN},
    {"PRIVATE", CKA_PRIVATE},
    {"MODIFIABLE", CKA_MODIFIABLE},
    {"SENSITIVE", CKA_SENSITIVE},
    {"EXTRACTABLE", CKA_EXTRACTABLE},
    {"ENCRYPT", CKA_ENCRYPT},
    {"DECRYPT", CKA_DECRYPT},
    {"WRAP", CKA_WRAP},
    {"UNWRAP", CKA_UNWRAP},
    {"SIGN", CKA_SIGN},
    {"SIGN_RECOVER", CKA_SIGN_RECOVER},
    {"VERIFY", CKA_VERIFY},
    {"VERIFY_RECOVER", CKA_VERIFY_RECOVER},
    {"DERIVE", CKA_DERIVE},
    {"WRAP_WITH_TRUSTED", CKA_WRAP_WITH_TRUSTED},
    {"TRUSTED", CKA_TRUSTED},
    {"ALWAYS_SENSITIVE", CKA_ALWAYS_SENSITIVE},
    {"NEVER_EXTRACTABLE", CKA_NEVER_EXTRACTABLE},
}};

// A key template being built: the values live in the template, so attributes may point at them.
class Template {
 public:
  void set(CK_ATTRIBUTE_TYPE type, bool value) {
    for (std::size_t i = 0; i < types_.size(); ++i) {
      if (types_[i] == type && sizes_[i] == sizeof(CK_BBOOL)) {
        values_[i] = std::string(1, static_cast<char>(value ? CK_TRUE : CK_FALSE));
        return;
      }
    }
    add(type, std::string(1, static_cast<char>(value ? CK_TRUE : CK_FALSE)));
  }
  void add(CK_ATTRIBUTE_TYPE type, std::string value) {
    types_.push_back(type);
    sizes_.push_back(value.size());
    values_.push_back(std::move(value));
  }
  void add_ulong(CK_ATTRIBUTE_TYPE type, CK_ULONG value) {
    add(type, std::string(reinterpret_cast<const char*>(&value), sizeof value));
  }
  void apply(const std::vector<std::pair<std::string, bool>>& extra) {
    for (const auto& [name, value] : extra) {
      for (const auto& known : kBooleanAttributes) {
        if (known.name == name) set(known.type, value);
      }
    }
  }
  std::vector<CK_ATTRIBUTE> attributes() {
    std::vector<CK_ATTRIBUTE> out;
    for (std::size_t i = 0; i < types_.size(); ++i) out.push_back({types_[i], values_[i].data(), length(values_[i])});
    return out;
  }

 private:
  std::vector<CK_ATTRIBUTE_TYPE> types_;
  std::vector<std::size_t> sizes_;
  std::vector<std::string> values_;
};

// The DER OID of a named curve, as CKA_EC_PARAMS holds it.
std::optional<std::string> curve_oid(std::string_view curve) {
  if (curve == "P-256") return std::string("\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 10);
  if (curve == "P-384") return std::string("\x06\x05\x2b\x81\x04\x00\x22", 7);
  return std::nullopt;
}

}  // namespace

Failure classify(unsigned long rv) noexcept {
  switch (rv) {
    case CKR_DEVICE_REMOVED:
    case CKR_DEVICE_ERROR:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_SLOT_ID_INVALID:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
      return Failure::gone;
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
    case CKR_PIN_EXPIRED:
    case CKR_PIN_LOCKED:
      return Failure::pin;
    case CKR_USER_NOT_LOGGED_IN:
      return Failure::not_logged;
    default:
      return Failure::other;
  }
}

std::string rv_name(unsigned long rv) {
  static constexpr std::pair<CK_RV, std::string_view> kNames[] = {
      {CKR_OK, "CKR_OK"},
      {CKR_CANCEL, "CKR_CANCEL"},
      {CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
      {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID"},
      {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
      {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
      {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
      {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE"},
      {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID"},
      {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID"},
      {CKR_DATA_INVALID, "CKR_DATA_INVALID"},
      {CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE"},
      {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
      {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
      {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
      {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED"},
      {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"},
      {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT"},
      {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
      {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
      {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID"},
      {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"},
      {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE"},
      {CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED"},
      {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
      {CKR_PIN_INVALID, "CKR_PIN_INVALID"},
      {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"},
      {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"},
      {CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
      {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"},
      {CKR_SESSION_COUNT, "CKR_SESSION_COUNT"},
      {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
      {CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY"},
      {CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE"},
      {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT"},
      {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
      {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
      {CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED"},
      {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN"},
      {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
      {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
      {CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID"},
      {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL"},
      {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
      {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
  };
  for (const auto& [value, name] : kNames) {
    if (value == rv) return std::string(name);
  }
  char hex[32];
  std::snprintf(hex, sizeof hex, "CKR_0x%lx", rv);
  return hex;
}

Result<std::shared_ptr<Module>> Module::load(const std::string& library, bool os_locking_ok, bool cant_create_threads) {
  auto unavailable = [&](const std::string& why) {
    return Error(make_error_code(errc::token_not_available), "PKCS#11 library " + library + ": " + why);
  };
  // Never unloaded (RTLD_NODELETE): some libraries leave handlers behind that crash at exit.
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle) {
    const char* why = dlerror();
    return unavailable(why ? why : "cannot be loaded");
  }
  auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST_PTR list = nullptr;
  if (!get || get(&list) != CKR_OK || !list) {
    dlclose(handle);
    return unavailable("no PKCS#11 function list");
  }
  CK_C_INITIALIZE_ARGS args{};
  if (os_locking_ok) args.flags |= CKF_OS_LOCKING_OK;
  if (cant_create_threads) args.flags |= CKF_LIBRARY_CANT_CREATE_OS_THREADS;
  const CK_RV rv = list->C_Initialize(&args);
  if (rv != CKR_OK) {
    // Already initialized: another Module holds it; finalizing it here would pull it from
    // under that one.
    dlclose(handle);
    return unavailable("C_Initialize: " + rv_name(rv));
  }
  return std::shared_ptr<Module>(new Module(library, handle, list, args.flags));
}

Module::~Module() {
  fns(functions_)->C_Finalize(nullptr);
  dlclose(handle_);
}

Status Module::reinitialize() {
  WriterLock lock(lock_);
  ++generation_;  // whatever C_Initialize says, the sessions before are gone
  fns(functions_)->C_Finalize(nullptr);
  CK_C_INITIALIZE_ARGS args{};
  args.flags = init_flags_;
  const CK_RV rv = fns(functions_)->C_Initialize(&args);
  if (rv != CKR_OK) return fail("C_Initialize", rv);
  return {};
}

unsigned long Module::call(std::uint64_t generation, const std::function<unsigned long(const void*)>& call) const {
  if (!(init_flags_ & CKF_OS_LOCKING_OK)) {  // a library that may not be called from two threads at once
    WriterLock lock(lock_);
    if (generation != generation_) return CKR_SESSION_CLOSED;
    return call(functions_);
  }
  ReaderLock lock(lock_);
  if (generation != generation_) return CKR_SESSION_CLOSED;
  return call(functions_);
}

std::uint64_t Module::generation() const {
  ReaderLock lock(lock_);
  return generation_;
}

Result<std::vector<TokenInfo>> Module::tokens() const {
  if (!(init_flags_ & CKF_OS_LOCKING_OK)) {
    WriterLock lock(lock_);
    return tokens_locked();
  }
  ReaderLock lock(lock_);
  return tokens_locked();
}

Result<std::vector<TokenInfo>> Module::tokens_locked() const {
  const CK_FUNCTION_LIST* f = fns(functions_);
  std::vector<CK_SLOT_ID> slots;
  for (int attempt = 0;; ++attempt) {  // a slot may appear between the two calls
    CK_ULONG count = 0;
    CK_RV rv = f->C_GetSlotList(CK_TRUE, nullptr, &count);
    if (rv != CKR_OK) return fail("C_GetSlotList", rv);
    if (count == 0) break;
    slots.resize(std::min<CK_ULONG>(count, kMaxSlots));
    count = slots.size();
    rv = f->C_GetSlotList(CK_TRUE, slots.data(), &count);
    if (rv == CKR_BUFFER_TOO_SMALL && attempt < 3) continue;
    if (rv != CKR_OK) return fail("C_GetSlotList", rv);
    slots.resize(std::min<std::size_t>(count, slots.size()));
    break;
  }
  std::vector<TokenInfo> out;
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info{};
    const CK_RV rv = f->C_GetTokenInfo(slot, &info);
    if (classify(rv) == Failure::gone) continue;  // removed since the list was made
    if (rv != CKR_OK) return fail("C_GetTokenInfo", rv);
    TokenInfo t;
    t.slot_id = slot;
    t.slot_index = out.size();
    t.label = trimmed(info.label, sizeof info.label);
    t.manufacturer = trimmed(info.manufacturerID, sizeof info.manufacturerID);
    t.model = trimmed(info.model, sizeof info.model);
    t.serial = trimmed(info.serialNumber, sizeof info.serialNumber);
    t.initialized = info.flags & CKF_TOKEN_INITIALIZED;
    t.login_required = info.flags & CKF_LOGIN_REQUIRED;
    t.user_pin_initialized = info.flags & CKF_USER_PIN_INITIALIZED;
    t.write_protected = info.flags & CKF_WRITE_PROTECTED;
    t.user_pin_locked = info.flags & CKF_USER_PIN_LOCKED;
    t.user_pin_count_low = info.flags & CKF_USER_PIN_COUNT_LOW;
    t.user_pin_final_try = info.flags & CKF_USER_PIN_FINAL_TRY;
    out.push_back(std::move(t));
  }
  return out;
}

Result<Session> Module::open_session(unsigned long slot_id) const {
  CK_SESSION_HANDLE handle = 0;
  std::uint64_t generation = 0;
  auto open = [&](const void* f) {
    return fns(f)->C_OpenSession(slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &handle);
  };
  CK_RV rv = CKR_OK;
  {
    ReaderLock lock(lock_);
    generation = generation_;
  }
  rv = call(generation, open);
  if (rv != CKR_OK) return fail("C_OpenSession", rv);
  return Session(shared_from_this(), handle, generation);
}

Status Module::init_token(unsigned long slot_id, const std::string& so_pin, const std::string& label,
                          const std::string& user_pin) const {
  ReaderLock lock(lock_);
  const CK_FUNCTION_LIST* f = fns(functions_);
  unsigned char padded[32];
  std::memset(padded, ' ', sizeof padded);
  std::copy_n(label.begin(), std::min(label.size(), sizeof padded), padded);
  CK_RV rv = f->C_InitToken(slot_id, reinterpret_cast<CK_UTF8CHAR_PTR>(bytes(so_pin)), length(so_pin), padded);
  if (rv != CKR_OK) return fail("C_InitToken", rv);
  // The token may now be in another slot (SoftHSM2 names a token's slot after its serial).
  auto tokens_now = tokens_locked();
  if (!tokens_now.ok()) return tokens_now.error();
  for (const auto& t : *tokens_now) {
    if (t.label != label.substr(0, sizeof padded) || !t.initialized || t.user_pin_initialized) continue;
    CK_SESSION_HANDLE s = 0;
    rv = f->C_OpenSession(t.slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s);
    if (rv != CKR_OK) return fail("C_OpenSession", rv);
    rv = f->C_Login(s, CKU_SO, reinterpret_cast<CK_UTF8CHAR_PTR>(bytes(so_pin)), length(so_pin));
    if (rv == CKR_OK) rv = f->C_InitPIN(s, reinterpret_cast<CK_UTF8CHAR_PTR>(bytes(user_pin)), length(user_pin));
    f->C_Logout(s);
    f->C_CloseSession(s);
    if (rv != CKR_OK) return fail("C_InitPIN", rv);
    return {};
  }
  return Error(make_error_code(errc::token_not_available), "the initialized token " + label + " is not listed");
}

Session::~Session() {
  if (open_ && module_) module_->call(generation_, [h = handle_](const void* f) { return fns(f)->C_CloseSession(h); });
}

Session::Session(Session&& other) noexcept
    : module_(std::move(other.module_)),
      handle_(other.handle_),
      generation_(other.generation_),
      open_(std::exchange(other.open_, false)) {}

Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    Session old(std::move(*this));
    module_ = std::move(other.module_);
    handle_ = other.handle_;
    generation_ = other.generation_;
    open_ = std::exchange(other.open_, false);
  }
  return *this;
}

Status Session::invoke(const char* name, const std::function<unsigned long(const void*)>& call) const {
  const CK_RV rv = module_->call(generation_, call);
  if (rv != CKR_OK) return fail(name, rv);
  return {};
}

Status Session::login(const std::string& pin) {
  if (pin.empty()) return Error(make_error_code(errc::pin_incorrect), "C_Login: no PIN");
  const CK_RV rv = module_->call(generation_, [&](const void* fp) {
    const CK_FUNCTION_LIST* f = fns(fp);
    auto login = [&] {
      return f->C_Login(handle_, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(bytes(pin)), length(pin));
    };
    CK_RV r = login();
    // Logged in already (by whoever last did): the device did not check this PIN. It does now.
    if (r == CKR_USER_ALREADY_LOGGED_IN) {
      f->C_Logout(handle_);
      r = login();
    }
    return r;
  });
  if (rv != CKR_OK) return fail("C_Login", rv);
  return {};
}

Status Session::logout() {
  const CK_RV rv = module_->call(generation_, [&](const void* f) { return fns(f)->C_Logout(handle_); });
  if (rv != CKR_OK && rv != CKR_USER_NOT_LOGGED_IN) return fail("C_Logout", rv);
  return {};
}

Result<bool> Session::logged_in() const {
  CK_SESSION_INFO info{};
  ROADSIDE_TRY_STATUS(
      invoke("C_GetSessionInfo", [&](const void* f) { return fns(f)->C_GetSessionInfo(handle_, &info); }));
  return info.state == CKS_RW_USER_FUNCTIONS || info.state == CKS_RO_USER_FUNCTIONS;
}

Result<std::vector<ObjectHandle>> Session::find_keys(bool private_keys, std::string_view id, std::size_t limit) const {
  CK_OBJECT_CLASS cls = private_keys ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
  std::vector<CK_ATTRIBUTE> query = {{CKA_CLASS, &cls, sizeof cls}};
  if (!id.empty()) query.push_back({CKA_ID, bytes(id), length(id)});
  std::vector<ObjectHandle> out;
  // One call under the module's lock: a search is not left half done by a reinitialization.
  const CK_RV rv = module_->call(generation_, [&](const void* fp) {
    const CK_FUNCTION_LIST* f = fns(fp);
    CK_RV r = f->C_FindObjectsInit(handle_, query.data(), static_cast<CK_ULONG>(query.size()));
    if (r != CKR_OK) return r;
    std::array<CK_OBJECT_HANDLE, 64> batch{};
    while (out.size() < limit) {
      CK_ULONG found = 0;
      r = f->C_FindObjects(handle_, batch.data(), static_cast<CK_ULONG>(batch.size()), &found);
      if (r != CKR_OK || found == 0) break;
      found = std::min<CK_ULONG>(found, batch.size());  // a library that says it found more than asked
      for (CK_ULONG i = 0; i < found && out.size() < limit; ++i) out.push_back(batch[i]);
    }
    f->C_FindObjectsFinal(handle_);
    return r;
  });
  if (rv != CKR_OK) return fail("C_FindObjects", rv);
  return out;
}

Result<std::string> Session::attribute(ObjectHandle object, unsigned long type) const {
  CK_ATTRIBUTE a{type, nullptr, 0};
  auto get = [&](const void* f) { return fns(f)->C_GetAttributeValue(handle_, object, &a, 1); };
  ROADSIDE_TRY_STATUS(invoke("C_GetAttributeValue", get));
  if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > kMaxAttributeBytes)
    return Error(make_error_code(errc::token_failed), "C_GetAttributeValue: no value of the size expected");
  std::string value(a.ulValueLen, '\0');
  a.pValue = value.data();
  ROADSIDE_TRY_STATUS(invoke("C_GetAttributeValue", get));
  value.resize(std::min<std::size_t>(value.size(), a.ulValueLen));
  return value;
}

Result<std::string> Session::public_key_der(ObjectHandle key) const {
  ROADSIDE_TRY(const std::string type, attribute(key, CKA_KEY_TYPE));
  CK_KEY_TYPE kt = 0;
  if (type.size() != sizeof kt) return Error(make_error_code(errc::token_failed), "CKA_KEY_TYPE is not a CK_ULONG");
  std::memcpy(&kt, type.data(), sizeof kt);
  if (kt == CKK_RSA) {
    ROADSIDE_TRY(const std::string modulus, attribute(key, CKA_MODULUS));
    ROADSIDE_TRY(const std::string exponent, attribute(key, CKA_PUBLIC_EXPONENT));
    return crypto::rsa_public_key_der(modulus, exponent);
  }
  if (kt == CKK_EC) {
    ROADSIDE_TRY(const std::string params, attribute(key, CKA_EC_PARAMS));
    ROADSIDE_TRY(const std::string point, attribute(key, CKA_EC_POINT));
    return crypto::ec_public_key_der(params, point);
  }
  return Error(make_error_code(errc::token_failed), "a key on the token is neither RSA nor EC");
}

Result<Session::KeyFacts> Session::describe_key(ObjectHandle private_key) const {
  KeyFacts facts;
  ROADSIDE_TRY(facts.id, attribute(private_key, CKA_ID));
  if (auto label = attribute(private_key, CKA_LABEL); label.ok()) facts.label = *label;
  ROADSIDE_TRY(const std::string type, attribute(private_key, CKA_KEY_TYPE));
  CK_KEY_TYPE kt = 0;
  if (type.size() == sizeof kt) std::memcpy(&kt, type.data(), sizeof kt);
  facts.ec = kt == CKK_EC;
  auto der = public_key_der(private_key);
  if (!der.ok() && !facts.id.empty()) {
    auto pubs = find_keys(false, facts.id, 1);
    if (pubs.ok() && !pubs->empty()) der = public_key_der(pubs->front());
  }
  if (!der.ok()) return der.error();
  facts.public_key_der = std::move(*der);
  return facts;
}

Result<ObjectHandle> Session::generate_key_pair(std::string_view id, std::string_view label, unsigned rsa_bits,
                                                std::string_view ec_curve, const KeyTemplate& extra) {
  Template pub, priv;
  for (Template* t : {&pub, &priv}) {
    t->set(CKA_TOKEN, true);
    t->add(CKA_ID, std::string(id));
    t->add(CKA_LABEL, std::string(label));
  }
  pub.set(CKA_VERIFY, true);
  priv.set(CKA_PRIVATE, true);
  priv.set(CKA_SENSITIVE, true);
  priv.set(CKA_EXTRACTABLE, false);
  priv.set(CKA_SIGN, true);
  CK_MECHANISM mechanism{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
  if (ec_curve.empty()) {
    if (rsa_bits < 2048) return Error(make_error_code(errc::token_failed), "an RSA key is of 2048 bits or more");
    pub.add_ulong(CKA_MODULUS_BITS, rsa_bits);
    pub.add(CKA_PUBLIC_EXPONENT, std::string("\x01\x00\x01", 3));
  } else {
    auto oid = curve_oid(ec_curve);
    if (!oid) return Error(make_error_code(errc::token_failed), "no such curve: " + std::string(ec_curve));
    mechanism.mechanism = CKM_EC_KEY_PAIR_GEN;
    pub.add(CKA_EC_PARAMS, *oid);
  }
  pub.apply(extra.public_key);
  priv.apply(extra.private_key);
  auto pub_attrs = pub.attributes();
  auto priv_attrs = priv.attributes();
  CK_OBJECT_HANDLE pub_key = 0, priv_key = 0;
  ROADSIDE_TRY_STATUS(invoke("C_GenerateKeyPair", [&](const void* f) {
    return fns(f)->C_GenerateKeyPair(handle_, &mechanism, pub_attrs.data(), static_cast<CK_ULONG>(pub_attrs.size()),
                                     priv_attrs.data(), static_cast<CK_ULONG>(priv_attrs.size()), &pub_key, &priv_key);
  }));
  return priv_key;
}

Status Session::destroy_key_pair(std::string_view id) {
  if (id.empty()) return Error(make_error_code(errc::key_not_found), "no key id");
  for (bool private_keys : {true, false}) {
    ROADSIDE_TRY(const auto found, find_keys(private_keys, id, 16));
    for (ObjectHandle h : found) {
      ROADSIDE_TRY_STATUS(
          invoke("C_DestroyObject", [&](const void* f) { return fns(f)->C_DestroyObject(handle_, h); }));
    }
  }
  return {};
}

Result<std::string> Session::sign(Mechanism mechanism, ObjectHandle key, std::string_view data) {
  CK_MECHANISM m{CKM_RSA_PKCS, nullptr, 0};
  if (mechanism == Mechanism::rsa_x509) m.mechanism = CKM_RSA_X_509;
  if (mechanism == Mechanism::ecdsa) m.mechanism = CKM_ECDSA;
  std::string out(1024, '\0');  // RSA of 8192 bits, ECDSA on any curve
  CK_ULONG size = out.size();
  const char* failed = "C_SignInit";
  const CK_RV rv = module_->call(generation_, [&](const void* fp) {
    const CK_FUNCTION_LIST* f = fns(fp);
    CK_RV r = f->C_SignInit(handle_, &m, key);
    if (r != CKR_OK) return r;
    failed = "C_Sign";
    auto* in = reinterpret_cast<CK_BYTE_PTR>(bytes(data));
    r = f->C_Sign(handle_, in, length(data), reinterpret_cast<CK_BYTE_PTR>(out.data()), &size);
    if (r == CKR_BUFFER_TOO_SMALL && size <= kMaxAttributeBytes) {  // the operation stays active
      out.resize(size);
      r = f->C_Sign(handle_, in, length(data), reinterpret_cast<CK_BYTE_PTR>(out.data()), &size);
    }
    return r;
  });
  if (rv != CKR_OK) return fail(failed, rv);
  out.resize(std::min<std::size_t>(out.size(), size));
  return out;
}

}  // namespace roadside::signer::pkcs11
