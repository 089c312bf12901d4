// TlsTestDir: a fixture base that makes a temporary directory with a self-signed P-256
// certificate for "localhost" (cert.pem, key.pem), made by the openssl CLI, and removes it after.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <string>

namespace ssegate::net {

class TlsTestDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ssegate-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::string cmd = "cd " + dir_ +
                      " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                      "-keyout key.pem -out cert.pem -days 1 -subj /CN=localhost "
                      "-addext subjectAltName=DNS:localhost >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string dir_;
};

}  // namespace ssegate::net
