/* 16-lane multi-buffer SHA-256 with AVX-512 (built with -mavx512f -mavx512bw -mavx512vl; only
 * called after __builtin_cpu_supports("avx512f") said yes).  Rotations are single vprord
 * instructions and the three-input boolean functions single vpternlogd instructions. */
#include <immintrin.h>

#include "engine.h"

typedef __m512i V;
#define L 16
#define ADD(x, y) _mm512_add_epi32(x, y)
#define ROR(x, n) _mm512_ror_epi32(x, n)
#define SHR(x, n) _mm512_srli_epi32(x, n)
#define XOR3(x, y, z) _mm512_ternarylogic_epi32(x, y, z, 0x96)
#define CH(e, f, g) _mm512_ternarylogic_epi32(e, f, g, 0xCA)
#define MAJ(a, b, c) _mm512_ternarylogic_epi32(a, b, c, 0xE8)
#define SET1(x) _mm512_set1_epi32(x)
#define LOAD(p) _mm512_loadu_si512((const void *)(p))
#define STORE(p, v) _mm512_storeu_si512((void *)(p), v)

#define KERNEL_NAME dc_mb_avx512
#define FULL_KERNEL_NAME dc_mbfull_avx512

#include "sha256_mb_impl.h"

/* ---- MD5, 16 lanes (message words are little-endian) ---- */
void dc_mb_md5_avx512(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    V m[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) m[i] = LOAD(W + i * L);
    V a = SET1((int)mid[0]), b = SET1((int)mid[1]), c = SET1((int)mid[2]), d = SET1((int)mid[3]);
#pragma GCC unroll 64
    for (int i = 0; i < 64; i++) {
        V f;
        int g;
        if (i < 16) { f = _mm512_ternarylogic_epi32(b, c, d, 0xCA); g = i; }
        else if (i < 32) { f = _mm512_ternarylogic_epi32(d, b, c, 0xCA); g = (5 * i + 1) & 15; }
        else if (i < 48) { f = _mm512_ternarylogic_epi32(b, c, d, 0x96); g = (3 * i + 5) & 15; }
        else { f = _mm512_ternarylogic_epi32(b, c, d, 0x39); g = (7 * i) & 15; }
        V t = d;
        d = c;
        c = b;
        V x = ADD(ADD(a, f), ADD(SET1((int)dc_MD5K[i]), m[g]));
        b = ADD(b, _mm512_rolv_epi32(x, SET1((int)dc_MD5R[i])));
        a = t;
    }
    _Alignas(64) uint32_t tmp[16];
    STORE(tmp, ADD(d, SET1((int)mid[3])));
    for (int j = 0; j < 16; j++) keys[j] = __builtin_bswap32(tmp[j]); /* digest bytes 12..15 */
}

/* ---- SHA-1, 16 lanes ---- */
void dc_mb_sha1_avx512(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    V w[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) w[i] = LOAD(W + i * L);
    V a = SET1((int)mid[0]), b = SET1((int)mid[1]), c = SET1((int)mid[2]), d = SET1((int)mid[3]);
    V e = SET1((int)mid[4]);
#pragma GCC unroll 80
    for (int i = 0; i < 80; i++) {
        if (i >= 16) {
            V x = _mm512_ternarylogic_epi32(w[(i - 3) & 15], w[(i - 8) & 15], w[(i - 14) & 15], 0x96);
            w[i & 15] = _mm512_rol_epi32(_mm512_xor_si512(x, w[i & 15]), 1);
        }
        V f;
        uint32_t k;
        if (i < 20) { f = _mm512_ternarylogic_epi32(b, c, d, 0xCA); k = 0x5a827999u; }
        else if (i < 40) { f = _mm512_ternarylogic_epi32(b, c, d, 0x96); k = 0x6ed9eba1u; }
        else if (i < 60) { f = _mm512_ternarylogic_epi32(b, c, d, 0xE8); k = 0x8f1bbcdcu; }
        else { f = _mm512_ternarylogic_epi32(b, c, d, 0x96); k = 0xca62c1d6u; }
        V t = ADD(ADD(_mm512_rol_epi32(a, 5), f), ADD(ADD(e, SET1((int)k)), w[i & 15]));
        e = d;
        d = c;
        c = _mm512_rol_epi32(b, 30);
        b = a;
        a = t;
    }
    STORE(keys, ADD(e, SET1((int)mid[4])));
}
