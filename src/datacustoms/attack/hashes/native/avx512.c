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

#define KERNEL_NAME dc_mb_avx512
#define NZ 16
#include "sha256_mb_kernel.h"
#define KERNEL_NAME dc_mb_avx512_nz3
#define NZ 3
#include "sha256_mb_kernel.h"
#define KERNEL_NAME dc_mb_avx512_nz4
#define NZ 4
#include "sha256_mb_kernel.h"
#define KERNEL_NAME dc_mb_avx512_nz5
#define NZ 5
#include "sha256_mb_kernel.h"
#define KERNEL_NAME dc_mb_avx512_nz3_inv2
#define NZ 3
#define INV 2
#include "sha256_mb_kernel.h"
#define KERNEL_NAME dc_mb_avx512_nz4_inv2
#define NZ 4
#define INV 2
#include "sha256_mb_kernel.h"

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
