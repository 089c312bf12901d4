// TestCa: a throw-away certificate authority and a server certificate for 127.0.0.1/localhost,
// generated with the openssl CLI at test time (no key material is committed).
//
// Owned by the test thread; the files live in the directory given to create().
#pragma once

#include <string>

namespace ssegate::integration {

struct TestCa {
  std::string ca_pem;      // the CA certificate (trust anchor for clients)
  std::string server_pem;  // server certificate signed by the CA (SAN: localhost, 127.0.0.1)
  std::string server_key;  // its private key
  std::string other_key;   // a key that matches no certificate (for mismatch tests)

  // Writes everything into `dir`. Returns false (with the openssl output in *error) on failure.
  bool create(const std::string& dir, std::string* error);
};

}  // namespace ssegate::integration
