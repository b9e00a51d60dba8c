#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net/errors.h"

namespace roadside::net {
namespace ssl = boost::asio::ssl;
namespace {

Error tls_error(const std::string& what, const boost::system::error_code& ec) {
  return Error(make_error_code(errc::tls_failed), what + ": " + ec.message());
}

Status base_setup(ssl::context& ctx) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_RENEGOTIATION);
  return {};
}

Status set_ciphers(ssl::context& ctx, const std::string& list) {
  if (list.empty()) return {};
  if (SSL_CTX_set_cipher_list(ctx.native_handle(), list.c_str()) != 1) {
    ERR_clear_error();
    return Error(make_error_code(errc::tls_failed), "no usable cipher suite in \"" + list + "\"");
  }
  return {};
}

Status load_identity(ssl::context& ctx, const std::string& chain, const std::string& key) {
  boost::system::error_code ec;
  ctx.use_certificate_chain(boost::asio::buffer(chain), ec);
  if (ec) return tls_error("cannot load certificate chain", ec);
  ctx.use_private_key(boost::asio::buffer(key), ssl::context::pem, ec);
  if (ec) return tls_error("cannot load private key", ec);
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    ERR_clear_error();
    return Error(make_error_code(errc::tls_failed), "private key does not match the certificate");
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_server_context(const TlsServerConfig& cfg) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ROADSIDE_TRY_STATUS(base_setup(*ctx));
  ROADSIDE_TRY_STATUS(load_identity(*ctx, cfg.cert_chain_pem, cfg.key_pem));
  ROADSIDE_TRY_STATUS(set_ciphers(*ctx, cfg.cipher_list));
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);  // GCM before CBC
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

Result<std::shared_ptr<ssl::context>> make_client_context(const TlsClientConfig& cfg) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ROADSIDE_TRY_STATUS(base_setup(*ctx));
  ROADSIDE_TRY_STATUS(set_ciphers(*ctx, cfg.cipher_list));
  boost::system::error_code ec;
  if (!cfg.cert_chain_pem.empty()) ROADSIDE_TRY_STATUS(load_identity(*ctx, cfg.cert_chain_pem, cfg.key_pem));
  if (cfg.verify_server) {
    if (cfg.ca_pem.empty()) {
      ctx->set_default_verify_paths(ec);
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
