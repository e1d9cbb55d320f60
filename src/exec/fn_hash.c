/*
 * fn_hash.c — the digests of MD5() and SHA256() as lower-case hex, through
 * OpenSSL's libcrypto (EVP_Digest): the only file that includes it.
 */
#include "fn.h"

#include <stdlib.h>
#include <openssl/evp.h>

static void digest_hex(const EVP_MD *md, const unsigned char *s, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(n ? s : (const unsigned char *)"", n, d, &len, md, NULL)) abort();   /* out of memory: the library does not print */
    for (unsigned int i = 0; i < len; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * len] = 0;
}

void fn_md5_hex(const unsigned char *s, size_t n, char *out) { digest_hex(EVP_md5(), s, n, out); }

void fn_sha256_hex(const unsigned char *s, size_t n, char *out) { digest_hex(EVP_sha256(), s, n, out); }
