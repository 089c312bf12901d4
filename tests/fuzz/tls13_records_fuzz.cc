// libFuzzer target for the TLS 1.3 record layer that ssegate runs after a handshake
// (net::Tls13Records): what a client sends after its Finished. A peer with the mirrored keys
// seals content of any type the input picks (data, alerts, handshake messages such as
// KeyUpdate), and the input can also splice raw bytes or flip bits in the wire. Nothing may
// crash or read out of bounds; open() never consumes more than it was given nor fills more than
// its buffer; an untouched stream of data records comes out byte for byte; once an error or
// close_notify is seen it stays.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "net/tls13_records.h"

namespace {

using ssegate::net::Tls13Records;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "tls13_records_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const uint16_t kSuites[] = {0x1301, 0x1302, 0x1303};
  uint16_t suite = kSuites[data[0] % 3];
  size_t hash = suite == 0x1302 ? 48 : 32;
  std::string client_secret(hash, '\x11');
  std::string server_secret(hash, '\x22');
  std::string error;
  // The client writes with its secret; the server reads with it.
  auto client = Tls13Records::create(suite, server_secret, client_secret, 0, 0, &error);
  auto server = Tls13Records::create(suite, client_secret, server_secret, 0, 0, &error);
  if (!client || !server) fail("create failed");

  std::string wire;
  std::string sent;       // application data the client sealed
  bool tampered = false;  // anything but data records went on the wire
  size_t i = 1;
  while (i + 2 <= size) {
    uint8_t op = data[i];
    size_t len = data[i + 1];
    i += 2;
    if (len > size - i) len = size - i;
    std::string chunk(reinterpret_cast<const char*>(data + i), len);
    i += len;
    switch (op % 5) {
      case 0:
      case 1:
        client->sealData(chunk, &wire);
        sent += chunk;
        break;
      case 2:  // any content type, the first byte of the chunk
        if (!chunk.empty()) {
          client->sealRecord(static_cast<uint8_t>(chunk[0]), chunk.substr(1), &wire);
          tampered = true;
        }
        break;
      case 3:
        wire += chunk;
        tampered = true;
        break;
      case 4:
        if (!wire.empty() && len > 0) {
          wire[static_cast<size_t>(data[i - 1]) * 131 % wire.size()] ^= chunk[0] | 1;
          tampered = true;
        }
        break;
    }
  }

  static std::vector<char> buf(Tls13Records::kMaxInnerPlaintext);
  std::string got;
  std::string answers;  // KeyUpdate replies
  size_t at = 0;
  Tls13Records::Result r = Tls13Records::Result::kOk;
  for (int rounds = 0; rounds < 100000; ++rounds) {
    size_t consumed = 0, n = 0;
    r = server->open(std::string_view(wire).substr(at), buf.data(), buf.size(), &consumed, &n,
                     &answers);
    if (consumed > wire.size() - at) fail("consumed more than given");
    if (n > buf.size()) fail("filled more than the buffer");
    at += consumed;
    got.append(buf.data(), n);
    if (r != Tls13Records::Result::kOk) break;
    if (consumed == 0) fail("kOk without progress");
  }
  if (r == Tls13Records::Result::kError || r == Tls13Records::Result::kClosed) {
    size_t consumed = 0, n = 0;
    if (server->open("", buf.data(), buf.size(), &consumed, &n, &answers) != r) {
      fail("a final result did not stay");
    }
  }
  if (!tampered) {
    if (r != Tls13Records::Result::kWantMore) fail("clean data records did not all open");
    if (got != sent) fail("data changed on the way");
  }
  return 0;
}
