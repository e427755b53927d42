/* sha1.h: SHA-1 (FIPS 180-4), for the WeChat platform's signatures only: it signs its requests
 * with SHA-1 and nothing else Kefu links offers it. Not for anything Kefu itself protects. */
#ifndef KEFU_SHA1_H
#define KEFU_SHA1_H

#include <stddef.h>
#include <stdint.h>

enum { SHA1_LEN = 20, SHA1_HEX_LEN = 41 /* with the NUL */ };

struct sha1 {
    uint32_t h[5];
    uint64_t len; /* bytes taken in */
    unsigned char block[64];
    size_t used; /* bytes of block filled */
};

void sha1_init(struct sha1 *s);
void sha1_update(struct sha1 *s, const void *data, size_t n);
/* Writes the digest to out; s must be initialized again before another use. */
void sha1_final(struct sha1 *s, unsigned char out[SHA1_LEN]);
/* The digest of n bytes at data as 40 lower-case hex digits and a NUL in hex. */
void sha1_hex(const void *data, size_t n, char hex[SHA1_HEX_LEN]);

#endif
