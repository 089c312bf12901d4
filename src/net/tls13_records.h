// Tls13Records: the TLS 1.3 record layer (RFC 8446 5) of an established connection, run by
// ssegate itself once OpenSSL has finished the handshake, so that the SSL object (about 12 KiB
// per connection in OpenSSL 3.0: the SSL structure with its 32 pipeline records, the session, the
// handshake state) can be freed. What a connection keeps afterwards is, per direction, the
// traffic secret, the key and IV derived from it and a sequence number (about 100 bytes): the
// user-space equivalent of handing the keys to kernel TLS.
//
// AEAD contexts are not kept per connection: each thread has one per suite and direction, keyed
// again for every record. An OpenSSL 3.0 AES-GCM context is about 1.2 KiB, and with thousands of
// connections it is cold in cache by the time the connection's next event comes, so keeping one
// cost more (cache misses on every record) than the key setup it saved; see tls13_records.cc.
//
// What it does: protects outgoing application data (and alerts, KeyUpdate) as records; opens
// incoming records, checking their tags and sequence; answers the peer's KeyUpdate (RFC 8446
// 4.6.3) and follows it on the read side; reports close_notify as the end. Anything else a
// peer may send after the handshake (change_cipher_spec, an unexpected handshake message or
// content type, an oversized or malformed record, a failed tag) is an error with a message.
// Post-handshake handshake messages must not be fragmented across records (KeyUpdate is 5 bytes
// and must end its record anyway).
//
// Suites: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256.
// Thread: the loop of its connection. Owner: the TlsSession.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ssegate::net {

class Tls13Records {
 public:
  // Largest inner plaintext of one record (content + type + padding, RFC 8446 5.4): a read
  // buffer at least this big always takes a whole record.
  static constexpr size_t kMaxInnerPlaintext = (1u << 14) + 256;

  // `suite`: the IANA id (0x1301..0x1303). Secrets are the current application traffic
  // secrets; `read_seq`/`write_seq` count records already protected with them. Returns null (and
  // sets *error) for another suite or a secret of the wrong length.
  static std::unique_ptr<Tls13Records> create(uint16_t suite, std::string_view read_secret,
                                              std::string_view write_secret, uint64_t read_seq,
                                              uint64_t write_seq, std::string* error);
  ~Tls13Records();
  Tls13Records(const Tls13Records&) = delete;
  Tls13Records& operator=(const Tls13Records&) = delete;

  // Appends `plain` to *out as application_data records (at most 16 KiB each).
  bool sealData(std::string_view plain, std::string* out);
  // Appends a close_notify alert.
  bool sealCloseNotify(std::string* out);
  // Appends `content` of content type `type` (21 alert, 22 handshake, 23 data) as records.
  bool sealRecord(uint8_t type, std::string_view content, std::string* out);

  enum class Result { kOk, kWantMore, kClosed, kError };
  // Opens the complete records at the front of `in` while their plaintext fits in buf:
  // application data goes to buf (*n bytes), *consumed says how much of `in` was used. A KeyUpdate
  // that asks for ours appends it to *out. kOk: progress made (*n may be 0 after a record with no
  // data); kWantMore: no complete record; kClosed: close_notify; kError: see error().
  // REQUIRES: cap >= kMaxInnerPlaintext.
  Result open(std::string_view in, char* buf, size_t cap, size_t* consumed, size_t* n,
              std::string* out);

  const std::string& error() const { return error_; }

 private:
  // One direction's keys: the traffic secret (for KeyUpdate), the AEAD key and static IV derived
  // from it, and the sequence number of the next record.
  struct Direction {
    unsigned char secret[48];
    size_t secret_len = 0;
    unsigned char key[32];
    unsigned char iv[12];
    uint64_t seq = 0;
    // The per-record nonce: the IV xor the sequence number, big-endian in the last 8 bytes.
    void nonce(unsigned char* out) const;
  };
  Tls13Records();
  bool rekey(Direction* dir);
  bool update(Direction* dir);
  Result openOne(const unsigned char* rec, size_t len, char* buf, size_t* n, std::string* out);
  Result onHandshake(const unsigned char* msg, size_t len, std::string* out);
  Result fail(std::string why);

  // This thread's AEAD context for the suite, keyed with dir's key and the nonce of its next
  // record; null if OpenSSL fails.
  EVP_CIPHER_CTX* keyed(const Direction& dir, bool encrypt) const;
  const EVP_CIPHER* cipher_ = nullptr;
  int suite_slot_ = 0;  // 0..2: which of the thread's contexts
  const char* digest_ = nullptr;
  size_t key_len_ = 0;
  Direction read_;
  Direction write_;
  Result final_ = Result::kOk;  // kClosed or kError once seen: every later open() says so
  std::string error_;
};

}  // namespace ssegate::net
