/* Portable scalar paths: SHA-256 compression, MD5 and SHA-1 (whole messages), and the scalar
 * multi-buffer kernel used when the CPU has neither SHA-NI nor AVX2. */
#include "engine.h"

const uint32_t dc_K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

const uint32_t dc_IV256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
const uint32_t dc_IV_MD5[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
const uint32_t dc_IV_SHA1[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

/* K[i] + W[i] of the padding block of every 64-byte message (0x80, zeros, the length 512):
 * its schedule is the same in every lane, so it is folded into the round constants. */
const uint32_t dc_pad64_kw[64] = {
    0xc28a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf374,
    0x649b69c1, 0xf0fe4786, 0x0fe1edc6, 0x240cf254, 0x4fe9346f, 0x6cc984be, 0x61b9411e, 0x16f988fa,
    0xf2c65152, 0xa88e5a6d, 0xb019fc65, 0xb9d99ec7, 0x9a1231c3, 0xe70eeaa0, 0xfdb1232b, 0xc7353eb0,
    0x3069bad5, 0xcb976d5f, 0x5a0f118f, 0xdc1eeefd, 0x0a35b689, 0xde0b7a04, 0x58f4ca9d, 0xe15d5b16,
    0x007f3e86, 0x37088980, 0xa507ea32, 0x6fab9537, 0x17406110, 0x0d8cd6f1, 0xcdaa3b6d, 0xc0bbbe37,
    0x83613bda, 0xdb48a363, 0x0b02e931, 0x6fd15ca7, 0x521afaca, 0x31338431, 0x6ed41a95, 0x6d437890,
    0xc39c91f2, 0x9eccabbd, 0xb5c9a0e6, 0x532fb63c, 0xd2c741c6, 0x07237ea3, 0xa4954b68, 0x4c191d76};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

void dc_sha256_compress_scalar(uint32_t st[8], const uint32_t win[16]) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) w[i] = win[i];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = dc_sha256_t1(e, f, g, h, i) + w[i];
        uint32_t t2 = dc_sha256_t2(a, b, c);
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

void dc_mb_scalar(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    for (int l = 0; l < DC_SCALAR_LANES; l++) {
        uint32_t w[16], st[8];
        for (int i = 0; i < 16; i++) w[i] = W[i * DC_SCALAR_LANES + l];
        memcpy(st, mid, sizeof st);
        dc_sha256_compress_scalar(st, w);
        keys[l] = st[7];
    }
}

/* ---- MD5 (RFC 1321) ---- */
const uint32_t dc_MD5K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
const uint8_t dc_MD5R[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                  5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

static void md5_block(uint32_t st[4], const uint8_t *p) {
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)p[4 * i] | ((uint32_t)p[4 * i + 1] << 8) | ((uint32_t)p[4 * i + 2] << 16) |
               ((uint32_t)p[4 * i + 3] << 24);
    dc_md5_compress_words(st, m);
}

void dc_md5_compress_words(uint32_t st[4], const uint32_t m[16]) {
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) { f = (b & c) | (~b & d); g = i; }
        else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) & 15; }
        else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) & 15; }
        else { f = c ^ (b | ~d); g = (7 * i) & 15; }
        uint32_t tmp = d;
        d = c;
        c = b;
        b = b + ROL(a + f + dc_MD5K[i] + m[g], dc_MD5R[i]);
        a = tmp;
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d;
}

void dc_md5(const uint8_t *msg, size_t len, uint8_t out[16]) {
    uint32_t st[4];
    memcpy(st, dc_IV_MD5, sizeof st);
    size_t i = 0;
    for (; i + 64 <= len; i += 64) md5_block(st, msg + i);
    uint8_t buf[128] = {0};
    size_t rem = len - i;
    memcpy(buf, msg + i, rem);
    buf[rem] = 0x80;
    size_t total = rem + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int k = 0; k < 8; k++) buf[total - 8 + k] = (uint8_t)(bits >> (8 * k));
    md5_block(st, buf);
    if (total == 128) md5_block(st, buf + 64);
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 4; j++) out[4 * k + j] = (uint8_t)(st[k] >> (8 * j));
}

/* ---- SHA-1 (FIPS 180-4) ---- */
static void sha1_block(uint32_t st[5], const uint8_t *p) {
    uint32_t w[16];
    for (int i = 0; i < 16; i++) w[i] = dc_be32(p + 4 * i);
    dc_sha1_compress_words(st, w);
}

void dc_sha1_compress_words(uint32_t st[5], const uint32_t win[16]) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++) w[i] = win[i];
    for (int i = 16; i < 80; i++) w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
        else if (i < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
        else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; }
        else { f = b ^ c ^ d; k = 0xca62c1d6; }
        uint32_t tmp = ROL(a, 5) + f + e + k + w[i];
        e = d; d = c; c = ROL(b, 30); b = a; a = tmp;
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e;
}

void dc_sha1(const uint8_t *msg, size_t len, uint8_t out[20]) {
    uint32_t st[5];
    memcpy(st, dc_IV_SHA1, sizeof st);
    size_t i = 0;
    for (; i + 64 <= len; i += 64) sha1_block(st, msg + i);
    uint8_t buf[128] = {0};
    size_t rem = len - i;
    memcpy(buf, msg + i, rem);
    buf[rem] = 0x80;
    size_t total = rem + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int k = 0; k < 8; k++) buf[total - 1 - k] = (uint8_t)(bits >> (8 * k));
    sha1_block(st, buf);
    if (total == 128) sha1_block(st, buf + 64);
    for (int k = 0; k < 5; k++) dc_put_be32(out + 4 * k, st[k]);
}

#ifdef DC_NO_SIMD
/* Builds without the SIMD units (non-x86 CPUs): the dispatcher never selects these, because
 * detect_cpu() leaves every feature flag at 0; they exist only so that module.c links. */
#include <stdlib.h>
void dc_sha256_compress_shani(uint32_t st[8], const uint32_t w[16]) { dc_sha256_compress_scalar(st, w); }
#define DC_STUB(name) \
    void name(const uint32_t mid[8], const uint32_t *W, uint32_t *out) { (void)mid; (void)W; (void)out; abort(); }
DC_STUB(dc_mb_shani) DC_STUB(dc_mb_shani_nz4)
DC_STUB(dc_mb_avx2) DC_STUB(dc_mb_avx2_nz3) DC_STUB(dc_mb_avx2_nz4) DC_STUB(dc_mb_avx2_nz5)
DC_STUB(dc_mb_avx512) DC_STUB(dc_mb_avx512_nz3) DC_STUB(dc_mb_avx512_nz4) DC_STUB(dc_mb_avx512_nz5)
DC_STUB(dc_mb_avx2_nz3_inv2) DC_STUB(dc_mb_avx2_nz4_inv2) DC_STUB(dc_mb_avx512_nz3_inv2) DC_STUB(dc_mb_avx512_nz4_inv2)
DC_STUB(dc_mb_md5_avx512) DC_STUB(dc_mb_sha1_avx512) DC_STUB(dc_mb_md5_avx2) DC_STUB(dc_mb_sha1_avx2)
DC_STUB(dc_mbfull_avx2) DC_STUB(dc_mbfull_avx512) DC_STUB(dc_mbfull_shani)
DC_STUB(dc_mb2_sha256_avx512) DC_STUB(dc_mb2_sha1_avx512) DC_STUB(dc_mb2_md5_avx512)
DC_STUB(dc_mb2_sha256_avx2) DC_STUB(dc_mb2_sha1_avx2) DC_STUB(dc_mb2_md5_avx2)
DC_STUB(dc_mb2_sha256_shani) DC_STUB(dc_mb_shani_rev) DC_STUB(dc_mb_shani_nz4_rev)
DC_STUB(dc_mb_avx2_rev) DC_STUB(dc_mb_avx2_nz3_rev) DC_STUB(dc_mb_avx2_nz4_rev) DC_STUB(dc_mb_avx2_nz5_rev)
DC_STUB(dc_mb_avx2_nz3_inv2_rev) DC_STUB(dc_mb_avx2_nz4_inv2_rev)
DC_STUB(dc_mb_avx512_rev) DC_STUB(dc_mb_avx512_nz3_rev) DC_STUB(dc_mb_avx512_nz4_rev) DC_STUB(dc_mb_avx512_nz5_rev)
DC_STUB(dc_mb_avx512_nz3_inv2_rev) DC_STUB(dc_mb_avx512_nz4_inv2_rev)
void dc_fill_rows_avx512(const uint32_t basew[16], int varmask, int lowmask, uint32_t *const lowtab[16], uint64_t lo,
                         uint32_t *W) { (void)basew; (void)varmask; (void)lowmask; (void)lowtab; (void)lo; (void)W; abort(); }
uint32_t dc_bitmap_lanes_avx512(const uint32_t *bitmap, int shift, const uint32_t *keys) { (void)bitmap; (void)shift; (void)keys; abort(); }
void dc_prefetch_lanes_avx512(const uint32_t *bitmap, int shift, const uint32_t *keys) { (void)bitmap; (void)shift; (void)keys; abort(); }
#endif
