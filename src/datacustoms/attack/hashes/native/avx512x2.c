/* The AVX-512 SHA-256 search kernels on two 16-lane groups at once (32 lanes; built with
 * -mavx512f -mavx512bw -mavx512vl, only called after __builtin_cpu_supports("avx512f") said yes).
 *
 * One group's rounds form a single dependency chain of about 60 rounds; a core holds only a
 * third of a kernel call's instructions in flight, so part of the time the two vector ports wait
 * on that chain.  Every operation here is issued for both groups side by side, which gives the
 * scheduler two independent chains; the state no longer fits the 32 vector registers and some of
 * the schedule lives on the stack, which costs loads and stores on other ports.  About 2-3 % more
 * candidates per second than the 16-lane kernels on an Intel Xeon (Emerald Rapids). */
#include <immintrin.h>

#include "engine.h"

typedef struct {
    __m512i x, y;
} V;
#define L 32
#define DC_INL static inline __attribute__((always_inline))
DC_INL V v_pair(__m512i x, __m512i y) { V r = {x, y}; return r; }
DC_INL V v_add(V p, V q) { return v_pair(_mm512_add_epi32(p.x, q.x), _mm512_add_epi32(p.y, q.y)); }
DC_INL V v_ror(V p, int n) { return v_pair(_mm512_ror_epi32(p.x, n), _mm512_ror_epi32(p.y, n)); }
DC_INL V v_shr(V p, int n) { return v_pair(_mm512_srli_epi32(p.x, n), _mm512_srli_epi32(p.y, n)); }
DC_INL V v_tern(V p, V q, V r, int imm) {
    return v_pair(_mm512_ternarylogic_epi32(p.x, q.x, r.x, imm), _mm512_ternarylogic_epi32(p.y, q.y, r.y, imm));
}
DC_INL V v_set1(int s) { __m512i v = _mm512_set1_epi32(s); return v_pair(v, v); }
DC_INL V v_load(const uint32_t *p) { return v_pair(_mm512_loadu_si512((const void *)p), _mm512_loadu_si512((const void *)(p + 16))); }
DC_INL void v_store(uint32_t *p, V v) { _mm512_storeu_si512((void *)p, v.x); _mm512_storeu_si512((void *)(p + 16), v.y); }
#define ADD(x, y) v_add(x, y)
#define ROR(x, n) v_ror(x, n)
#define SHR(x, n) v_shr(x, n)
#define XOR3(x, y, z) v_tern(x, y, z, 0x96)
#define CH(e, f, g) v_tern(e, f, g, 0xCA)
#define MAJ(a, b, c) v_tern(a, b, c, 0xE8)
#define SET1(x) v_set1(x)
#define LOAD(p) v_load(p)
#define STORE(p, v) v_store(p, v)

#define DC_SEARCH_ONLY /* sha256_mb_impl.h: no full kernel here (the 16-lane one verifies) */
#include "sha256_mb_impl.h"

#define KERNEL_NAME dc_mb_avx512x2_nz3
#define NZ 3
#include "sha256_mb_kernel.h"
#define KERNEL_NAME dc_mb_avx512x2_nz4
#define NZ 4
#include "sha256_mb_kernel.h"
#define KERNEL_NAME dc_mb_avx512x2_nz3_inv2
#define NZ 3
#define INV 2
#include "sha256_mb_kernel.h"
#define KERNEL_NAME dc_mb_avx512x2_nz4_inv2
#define NZ 4
#define INV 2
#include "sha256_mb_kernel.h"
