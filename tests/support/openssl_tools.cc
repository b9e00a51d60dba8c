#include "support/openssl_tools.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace roadside::testing {

int run_command(const std::string& command, std::string* output) {
  const std::string cmd = command + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf{};
  std::string out;
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(p);
  if (output) *output = std::move(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ocsp_index_valid(const std::string& serial_hex) {
  return "V\t450101000000Z\t\t" + serial_hex + "\tunknown\t/CN=subject\n";
}

std::string openssl_ocsp_respond(TempDir& dir, const OcspResponder& r, const std::string& request_der,
                                 const std::string& extra) {
  write_file(dir / "ocsp-ca.pem", r.ca_pem);
  write_file(dir / "ocsp-signer.pem", r.signer_pem);
  write_file(dir / "ocsp-signer.key", r.signer_key_pem);
  write_file(dir / "ocsp-index.txt", r.index);
  write_file(dir / "ocsp-req.der", request_der);
  const std::string d = dir.path().string();
  std::string out;
  const int rc = run_command("openssl ocsp -index " + d + "/ocsp-index.txt -rsigner " + d + "/ocsp-signer.pem -rkey " + d +
                                 "/ocsp-signer.key -CA " + d + "/ocsp-ca.pem -reqin " + d + "/ocsp-req.der -respout " + d +
                                 "/ocsp-resp.der " + extra,
                             &out);
  EXPECT_EQ(rc, 0) << out;
  return read_file(dir / "ocsp-resp.der");
}

std::string openssl_ts_reply(TempDir& dir, const std::string& tsa_pem, const std::string& tsa_key_pem,
                             const std::string& request_der) {
  write_file(dir / "tsa.pem", tsa_pem);
  write_file(dir / "tsa.key", tsa_key_pem);
  write_file(dir / "tsa-serial", "01\n");
  write_file(dir / "ts.cnf", "[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = " + (dir / "tsa-serial").string() +
                                 "\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256, sha512\n"
                                 "ess_cert_id_alg = sha256\n");
  write_file(dir / "ts-req.tsq", request_der);
  const std::string d = dir.path().string();
  std::string out;
  const int rc = run_command("openssl ts -reply -config " + d + "/ts.cnf -queryfile " + d + "/ts-req.tsq -inkey " + d +
                                 "/tsa.key -signer " + d + "/tsa.pem -out " + d + "/ts-resp.tsr",
                             &out);
  EXPECT_EQ(rc, 0) << out;
  return read_file(dir / "ts-resp.tsr");
}

}  // namespace roadside::testing
