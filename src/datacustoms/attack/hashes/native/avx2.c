/* 8-lane multi-buffer SHA-256 with AVX2 (built with -mavx2; only called after
 * __builtin_cpu_supports("avx2") said yes). */
#include <immintrin.h>

#include "engine.h"

typedef __m256i V;
#define L 8
#define ADD(x, y) _mm256_add_epi32(x, y)
#define ROR(x, n) _mm256_or_si256(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - (n)))
#define SHR(x, n) _mm256_srli_epi32(x, n)
#define XOR3(x, y, z) _mm256_xor_si256(_mm256_xor_si256(x, y), z)
#define CH(e, f, g) _mm256_xor_si256(_mm256_and_si256(e, f), _mm256_andnot_si256(e, g))
#define MAJ(a, b, c) _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(c, _mm256_or_si256(a, b)))
#define SET1(x) _mm256_set1_epi32(x)
#define LOAD(p) _mm256_loadu_si256((const __m256i *)(p))
#define STORE(p, v) _mm256_storeu_si256((__m256i *)(p), v)

#define FULL_KERNEL_NAME dc_mbfull_avx2

#include "sha256_mb_impl.h"

#define KPREFIX(suffix) dc_mb_avx2##suffix
#include "sha256_mb_kernels.h"

#define FCH(x, y, z) _mm256_xor_si256(_mm256_and_si256(x, y), _mm256_andnot_si256(x, z))
#define FPAR(x, y, z) XOR3(x, y, z)
#define FMAJ(x, y, z) MAJ(x, y, z)
#define FI(b, c, d) _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, _mm256_set1_epi32(-1))))
#define ROLV(x, n) _mm256_or_si256(_mm256_slli_epi32(x, n), _mm256_srli_epi32(x, 32 - (n)))
#define XOR(x, y) _mm256_xor_si256(x, y)
#define MD5_KERNEL_NAME dc_mb_md5_avx2
#define SHA1_KERNEL_NAME dc_mb_sha1_avx2

#include "md5_sha1_mb_impl.h"

#define AND(x, y) _mm256_and_si256(x, y)
#define OR(x, y) _mm256_or_si256(x, y)
#define SUB(x, y) _mm256_sub_epi32(x, y)
#define SHL(x, n) _mm256_slli_epi32(x, n)
#define SHA256D_KERNEL_NAME dc_mb2_sha256_avx2
#define SHA1D_KERNEL_NAME dc_mb2_sha1_avx2
#define MD5D_KERNEL_NAME dc_mb2_md5_avx2

#include "double_mb_impl.h"
