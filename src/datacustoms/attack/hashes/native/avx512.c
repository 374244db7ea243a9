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

#define FULL_KERNEL_NAME dc_mbfull_avx512

#include "sha256_mb_impl.h"

#define KPREFIX(suffix) dc_mb_avx512##suffix
#include "sha256_mb_kernels.h"

#define FCH(x, y, z) _mm512_ternarylogic_epi32(x, y, z, 0xCA)
#define FPAR(x, y, z) _mm512_ternarylogic_epi32(x, y, z, 0x96)
#define FMAJ(x, y, z) _mm512_ternarylogic_epi32(x, y, z, 0xE8)
#define FI(b, c, d) _mm512_ternarylogic_epi32(b, c, d, 0x39) /* c ^ (b | ~d) */
#define ROLV(x, n) _mm512_rolv_epi32(x, SET1(n))
#define XOR(x, y) _mm512_xor_si512(x, y)
#define MD5_KERNEL_NAME dc_mb_md5_avx512
#define SHA1_KERNEL_NAME dc_mb_sha1_avx512

#include "md5_sha1_mb_impl.h"

#define AND(x, y) _mm512_and_si512(x, y)
#define OR(x, y) _mm512_or_si512(x, y)
#define SUB(x, y) _mm512_sub_epi32(x, y)
#define SHL(x, n) _mm512_slli_epi32(x, n)
#define SHA256D_KERNEL_NAME dc_mb2_sha256_avx512
#define SHA1D_KERNEL_NAME dc_mb2_sha1_avx512
#define MD5D_KERNEL_NAME dc_mb2_md5_avx512

#include "double_mb_impl.h"

/* The varying message words of one group of 16 lanes: row w = basew[w] | lowtab[w][lo + lane]
 * where word w holds low digits, basew[w] in every lane where it holds only high ones. */
void dc_fill_rows_avx512(const uint32_t basew[16], int varmask, int lowmask, uint32_t *const lowtab[16], uint64_t lo,
                         uint32_t *W) {
    for (unsigned m = (unsigned)varmask; m; m &= m - 1) { /* the two or three varying words only */
        int w = __builtin_ctz(m);
        V row = SET1((int)basew[w]);
        if (lowmask >> w & 1) row = _mm512_or_si512(row, LOAD(lowtab[w] + lo));
        STORE(W + w * L, row);
    }
}

/* The lanes whose key has its bit set in a bitmap of 2**(32 - shift) bits, as a mask: one
 * gather instead of sixteen scalar loads, shifts and tests. */
uint32_t dc_bitmap_lanes_avx512(const uint32_t *bitmap, int shift, const uint32_t *keys) {
    V bit = _mm512_srl_epi32(LOAD(keys), _mm_cvtsi32_si128(shift));
    V words = _mm512_i32gather_epi32(SHR(bit, 5), (const void *)bitmap, 4);
    V mask = _mm512_sllv_epi32(SET1(1), _mm512_and_si512(bit, SET1(31)));
    return (uint32_t)_mm512_test_epi32_mask(words, mask);
}

/* Prefetch the bitmap words of 16 keys (the word addresses computed in one vector). */
void dc_prefetch_lanes_avx512(const uint32_t *bitmap, int shift, const uint32_t *keys) {
    _Alignas(64) uint32_t word[16];
    STORE(word, SHR(_mm512_srl_epi32(LOAD(keys), _mm_cvtsi32_si128(shift)), 5));
#pragma GCC unroll 16
    for (int j = 0; j < 16; j++) _mm_prefetch((const char *)(bitmap + word[j]), _MM_HINT_T0);
}
