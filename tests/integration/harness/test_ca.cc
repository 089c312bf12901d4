#include "harness/test_ca.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ssegate::integration {

bool TestCa::create(const std::string& dir, std::string* error) {
  ca_pem = dir + "/ca.pem";
  server_pem = dir + "/server.pem";
  server_key = dir + "/server.key";
  other_key = dir + "/other.key";
  const std::string log = dir + "/openssl.log";
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ";
  std::ostringstream sh;
  sh << "set -e; cd '" << dir << "'; "
     << "openssl req -x509" << ec
     << "-keyout ca.key -out ca.pem -days 2 -subj '/CN=ssegate test CA'; "
     << "openssl req" << ec << "-keyout server.key -out server.csr -subj /CN=localhost; "
     << "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf; "
     << "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
     << "-out server.pem -days 2 -extfile ext.cnf; "
     << "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key";
  const std::string cmd = "/bin/sh -c \"" + sh.str() + "\" > '" + log + "' 2>&1";
  if (std::system(cmd.c_str()) == 0) return true;
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  *error = ss.str();
  return false;
}

}  // namespace ssegate::integration
