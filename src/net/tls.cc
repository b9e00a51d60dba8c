#include "net/tls.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net/errors.h"

namespace roadside::net {
namespace ssl = boost::asio::ssl;
namespace {

Error tls_error(const std::string& what, const boost::system::error_code& ec) {
  return Error(make_error_code(errc::tls_failed), what + ": " + ec.message());
}

Error policy_error(std::string what) { return Error(make_error_code(errc::tls_failed), std::move(what)); }

// Every suite this OpenSSL knows: its OpenSSL name, its IANA name, whether it is a TLS 1.3
// suite, and the key its server authenticates with (NID_auth_rsa, NID_auth_ecdsa, or
// NID_auth_any for TLS 1.3).
struct KnownSuite {
  std::string name, standard_name;
  bool tls13 = false;
  int auth = NID_undef;
};

const std::vector<KnownSuite>& known_suites() {
  static const std::vector<KnownSuite> all = [] {
    std::vector<KnownSuite> out;
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_method()), &SSL_CTX_free);
    SSL_CTX_set_security_level(ctx.get(), 0);
    SSL_CTX_set_cipher_list(ctx.get(), "ALL:COMPLEMENTOFALL");
    SSL_CTX_set_ciphersuites(ctx.get(),
                             "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256:"
                             "TLS_AES_128_CCM_8_SHA256");
    STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx.get());
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
      const char* standard = SSL_CIPHER_standard_name(c);
      out.push_back({SSL_CIPHER_get_name(c), standard ? standard : "", std::string_view(SSL_CIPHER_get_version(c)) == "TLSv1.3",
                     SSL_CIPHER_get_auth_nid(c)});
    }
    ERR_clear_error();
    return out;
  }();
  return all;
}

const KnownSuite* find_suite(std::string_view name) {
  for (const auto& s : known_suites()) {
    if (s.name == name || s.standard_name == name) return &s;
  }
  return nullptr;
}

// X-Road splits its lists with `\s*,\s*` after trimming; empty items are dropped.
std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : separator) + i;
  return out;
}

Status base_setup(ssl::context& ctx) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_RENEGOTIATION);
  return {};
}

int openssl_version(TlsVersion v) { return v == TlsVersion::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION; }

// The policy's versions and suites on `ctx` (TLS 1.2 suites as the cipher list, TLS 1.3 ones as
// the ciphersuites).
Status apply_policy(SSL_CTX* ctx, const TlsPolicy& policy) {
  SSL_CTX_set_min_proto_version(ctx, openssl_version(policy.min_version));
  SSL_CTX_set_max_proto_version(ctx, openssl_version(policy.max_version));
  if (policy.suites.empty()) return {};
  std::vector<std::string> tls12, tls13;
  for (const auto& s : policy.suites) (s.rfind("TLS_", 0) == 0 ? tls13 : tls12).push_back(s);
  const std::string list12 = joined(tls12, ":"), list13 = joined(tls13, ":");
  // A TLS 1.3-only policy keeps OpenSSL's 1.2 list; its versions keep 1.2 off.
  if (!tls12.empty() && SSL_CTX_set_cipher_list(ctx, list12.c_str()) != 1) {
    ERR_clear_error();
    return policy_error("no usable cipher suite in \"" + list12 + "\"");
  }
  if (SSL_CTX_set_ciphersuites(ctx, list13.c_str()) != 1) {
    ERR_clear_error();
    return policy_error("no usable TLS 1.3 cipher suite in \"" + list13 + "\"");
  }
  return {};
}

// A server whose key no suite of its policy can authenticate with would refuse every client.
Status check_key_fits(SSL_CTX* ctx, const TlsPolicy& policy) {
  if (policy.suites.empty()) return {};
  EVP_PKEY* key = SSL_CTX_get0_privatekey(ctx);
  if (!key) return {};
  const bool rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
  const bool ec = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
  for (const auto& name : policy.suites) {
    const KnownSuite* s = find_suite(name);
    if (!s || s->tls13 || s->auth == NID_auth_any || (rsa && s->auth == NID_auth_rsa) || (ec && s->auth == NID_auth_ecdsa)) {
      return {};
    }
  }
  return policy_error(std::string("none of the cipher suites ") + joined(policy.suites, ", ") + " can be used with the server's " +
                      (rsa ? "RSA" : ec ? "EC" : "") + " key");
}

Status load_identity(ssl::context& ctx, const std::string& chain, const std::string& key_pem,
                     const std::optional<crypto::PrivateKey>& key) {
  boost::system::error_code ec;
  ctx.use_certificate_chain(boost::asio::buffer(chain), ec);
  if (ec) return tls_error("cannot load certificate chain", ec);
  if (key) {
    if (SSL_CTX_use_PrivateKey(ctx.native_handle(), static_cast<EVP_PKEY*>(key->native())) != 1) {
      ERR_clear_error();
      return Error(make_error_code(errc::tls_failed), "cannot use the private key");
    }
  } else {
    ctx.use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec);
    if (ec) return tls_error("cannot load private key", ec);
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    ERR_clear_error();
    return Error(make_error_code(errc::tls_failed), "private key does not match the certificate");
  }
  return {};
}

}  // namespace

Result<TlsPolicy> parse_tls_policy(std::string_view protocols, std::string_view ciphers) {
  TlsPolicy policy;
  bool tls12 = false, tls13 = false;
  for (const auto& p : split_list(protocols)) {
    if (p == "TLSv1.2") {
      tls12 = true;
    } else if (p == "TLSv1.3") {
      tls13 = true;
    } else {
      return policy_error("unknown TLS protocol \"" + p + "\" (Roadside speaks TLSv1.2 and TLSv1.3)");
    }
  }
  if (!tls12 && !tls13) return policy_error("no TLS protocol given (TLSv1.2, TLSv1.3)");
  policy.min_version = tls12 ? TlsVersion::tls1_2 : TlsVersion::tls1_3;
  policy.max_version = tls13 ? TlsVersion::tls1_3 : TlsVersion::tls1_2;

  bool has12 = false, has13 = false;
  for (const auto& name : split_list(ciphers)) {
    const KnownSuite* s = find_suite(name);
    if (!s) return policy_error("unknown cipher suite \"" + name + "\"");
    (s->tls13 ? has13 : has12) = true;
    if (std::find(policy.suites.begin(), policy.suites.end(), s->name) == policy.suites.end()) policy.suites.push_back(s->name);
  }
  if (policy.suites.empty()) return policy_error("no cipher suite given");
  if (tls12 && !has12) return policy_error("TLSv1.2 is enabled but none of the cipher suites is a TLS 1.2 suite");
  if (tls13 && !has13) {
    return policy_error("TLSv1.3 is enabled but none of the cipher suites is a TLS 1.3 suite (such as TLS_AES_256_GCM_SHA384)");
  }

  // What OpenSSL itself accepts here (its security level may rule suites out).
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  ROADSIDE_TRY_STATUS(apply_policy(ctx.get(), policy));
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
  STACK_OF(SSL_CIPHER)* usable = ssl ? SSL_get1_supported_ciphers(ssl.get()) : nullptr;
  std::vector<std::string> refused;
  for (const auto& name : policy.suites) {
    // (A suite of a protocol not enabled is never used; X-Road lets it be listed.)
    if (const KnownSuite* s = find_suite(name); s && (s->tls13 ? !tls13 : !tls12)) continue;
    bool found = false;
    for (int i = 0; usable && i < sk_SSL_CIPHER_num(usable); ++i) found = found || name == SSL_CIPHER_get_name(sk_SSL_CIPHER_value(usable, i));
    if (!found) refused.push_back(name);
  }
  sk_SSL_CIPHER_free(usable);
  ERR_clear_error();
  if (!refused.empty()) {
    return policy_error("OpenSSL refuses the cipher suite(s) " + joined(refused, ", ") + " (at its security level " +
                        std::to_string(SSL_CTX_get_security_level(ctx.get())) + ")");
  }
  return policy;
}

namespace {

// X-Road's own lists: an OpenSSL that cannot use them is not one Roadside can run on.
TlsPolicy builtin_policy(std::string_view protocols, std::string_view ciphers) {
  auto p = parse_tls_policy(protocols, ciphers);
  if (!p.ok()) {
    std::fprintf(stderr, "X-Road's TLS policy is unusable with this OpenSSL: %s\n", p.error().detail().c_str());
    std::abort();
  }
  return std::move(p).value();
}

}  // namespace

const TlsPolicy& xroad_tls_policy() {
  static const TlsPolicy p = builtin_policy(kXRoadTlsProtocols, kXRoadTlsCiphers);
  return p;
}

const TlsPolicy& xroad_client_tls_policy() {
  static const TlsPolicy p = builtin_policy(kXRoadClientTlsProtocols, kXRoadClientTlsCiphers);
  return p;
}

Result<std::shared_ptr<ssl::context>> make_server_context(const TlsServerConfig& cfg) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ROADSIDE_TRY_STATUS(base_setup(*ctx));
  ROADSIDE_TRY_STATUS(load_identity(*ctx, cfg.cert_chain_pem, cfg.key_pem, cfg.key));
  ROADSIDE_TRY_STATUS(apply_policy(ctx->native_handle(), cfg.policy));
  ROADSIDE_TRY_STATUS(check_key_fits(ctx->native_handle(), cfg.policy));
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);  // the policy's order (X-Road's "preferred order")
  SSL_CTX_set_dh_auto(ctx->native_handle(), 1);  // DHE suites (X-Road lists some): FFDHE groups sized to the key
  boost::system::error_code ec;
  if (cfg.client_auth != ClientAuth::none) {
    ssl::verify_mode mode = ssl::verify_peer;
    if (cfg.client_auth == ClientAuth::required) mode |= ssl::verify_fail_if_no_peer_cert;
    ctx->set_verify_mode(mode, ec);
    if (!cfg.client_ca_pem.empty()) {
      ctx->add_certificate_authority(boost::asio::buffer(cfg.client_ca_pem), ec);
      if (ec) return tls_error("cannot load client CA", ec);
    } else {
      // Any certificate passes the TLS layer; check_peer judges it after the handshake.
      ctx->set_verify_callback([](bool, ssl::verify_context&) { return true; }, ec);
    }
  }
  // Session tickets would let a client resume without showing its certificate again to
  // check_peer; keep every connection fully authenticated.
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_OFF);
  return ctx;
}

namespace {

// The system's CAs, loaded once and shared by every client context that verifies with them
// (each load of the bundle costs most of a MiB). Null when they cannot be loaded. Shared:
// nothing may add to a context's store that uses it; a changed bundle needs a restart.
X509_STORE* system_ca_store() {
  static X509_STORE* const store = [] {
    X509_STORE* made = X509_STORE_new();
    if (made && X509_STORE_set_default_paths(made) != 1) {
      X509_STORE_free(made);
      made = nullptr;
    }
    ERR_clear_error();
    return made;
  }();
  return store;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_client_context(const TlsClientConfig& cfg) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ROADSIDE_TRY_STATUS(base_setup(*ctx));
  ROADSIDE_TRY_STATUS(apply_policy(ctx->native_handle(), cfg.policy));
  boost::system::error_code ec;
  if (!cfg.cert_chain_pem.empty()) ROADSIDE_TRY_STATUS(load_identity(*ctx, cfg.cert_chain_pem, cfg.key_pem, cfg.key));
  if (cfg.verify_server) {
    if (cfg.ca_pem.empty()) {
      X509_STORE* system = system_ca_store();
      if (!system)
        return Error(make_error_code(errc::tls_failed), "cannot load server CA: the system's CA certificates");
      SSL_CTX_set1_cert_store(ctx->native_handle(), system);
    } else {
      ctx->add_certificate_authority(boost::asio::buffer(cfg.ca_pem), ec);
    }
    if (ec) return tls_error("cannot load server CA", ec);
    ctx->set_verify_mode(ssl::verify_peer, ec);
  } else {
    ctx->set_verify_mode(ssl::verify_none, ec);
  }
  return ctx;
}

PeerChain peer_chain(void* ssl_ptr) {
  PeerChain out;
  SSL* s = static_cast<SSL*>(ssl_ptr);
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(s);  // server side: without the leaf
  X509* leaf = SSL_get0_peer_certificate(s);
  auto add = [&](X509* x) {
    unsigned char* buf = nullptr;
    const int n = i2d_X509(x, &buf);
    if (n > 0) out.emplace_back(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
    OPENSSL_free(buf);
  };
  if (leaf) add(leaf);
  if (chain) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      X509* x = sk_X509_value(chain, i);
      if (x != leaf && X509_cmp(x, leaf) != 0) add(x);
    }
  }
  return out;
}

}  // namespace roadside::net
