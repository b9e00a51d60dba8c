#include "crypto/openssl.h"

#include <chrono>
#include <cstddef>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

namespace roadside::crypto::detail {

std::string x509_der(X509* x) {
  return der(x, i2d_X509).value_or("");
}

Error fail(errc e, std::string what) {
  const char* data = nullptr;
  int flags = 0;
  const unsigned long code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags);
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    what += ": ";
    what += buf;
    if (data && *data && (flags & ERR_TXT_STRING)) {
      what += " (";
      what += data;
      what += ")";
    }
  }
  ERR_clear_error();
  return Error(make_error_code(e), std::move(what));
}

BioPtr mem_bio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), &BIO_free);
}
BioPtr out_bio() {
  return BioPtr(BIO_new(BIO_s_mem()), &BIO_free);
}
std::string bio_string(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::vector<std::pair<std::string, std::string>> name_entries(const X509_NAME* name, bool by_oid) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(e);
    std::string key;
    if (by_oid) {
      char oid[128];
      const int n = OBJ_obj2txt(oid, sizeof oid, obj, 1);
      if (n <= 0 || n >= static_cast<int>(sizeof oid)) continue;
      key.assign(oid, static_cast<std::size_t>(n));
    } else if (const int nid = OBJ_obj2nid(obj); nid != NID_undef) {
      key = OBJ_nid2sn(nid);
    }
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (len < 0) {
      ERR_clear_error();
      continue;
    }
    out.emplace_back(std::move(key), std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len)));
    OPENSSL_free(utf8);
  }
  return out;
}

std::string name_text(const X509_NAME* name) {
  auto b = out_bio();
  X509_NAME_print_ex(b.get(), name, 0, XN_FLAG_RFC2253);
  return bio_string(b.get());
}

std::chrono::system_clock::time_point asn1_time(const ASN1_TIME* t) {
  using Clock = std::chrono::system_clock;
  std::tm tm{};
  ASN1_TIME_to_tm(t, &tm);
  const std::chrono::sys_seconds at{std::chrono::seconds(timegm(&tm))};
  const auto first = std::chrono::ceil<std::chrono::seconds>(Clock::time_point::min());
  const auto last = std::chrono::floor<std::chrono::seconds>(Clock::time_point::max());
  if (at <= first) return Clock::time_point::min();
  if (at >= last) return Clock::time_point::max();
  return std::chrono::time_point_cast<Clock::duration>(at);
}

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace roadside::crypto::detail
