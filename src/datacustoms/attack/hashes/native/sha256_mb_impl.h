/* Multi-buffer one-block SHA-256 (included by avx2.c and avx512.c, which define the vector
 * type V, the lane count L and the operations below): the round and schedule macros, and the
 * full kernel for batch HMAC.  The search kernels are in sha256_mb_kernel.h. */

#define SIG0(x) XOR3(ROR(x, 2), ROR(x, 13), ROR(x, 22))
#define SIG1(x) XOR3(ROR(x, 6), ROR(x, 11), ROR(x, 25))
#define sig0(x) XOR3(ROR(x, 7), ROR(x, 18), SHR(x, 3))
#define sig1(x) XOR3(ROR(x, 17), ROR(x, 19), SHR(x, 10))

#define RND(i, wi)                                                                   \
    do {                                                                             \
        V t1_ = ADD(ADD(h, SIG1(e)), ADD(ADD(CH(e, f, g), SET1((int)dc_K256[i])), wi)); \
        V t2_ = ADD(SIG0(a), MAJ(a, b, c));                                          \
        h = g; g = f; f = e; e = ADD(d, t1_); d = c; c = b; b = a; a = ADD(t1_, t2_); \
    } while (0)

#define SCHED(i) \
    (w[(i) & 15] = ADD(ADD(w[(i) & 15], sig0(w[((i) + 1) & 15])), ADD(w[((i) + 9) & 15], sig1(w[((i) + 14) & 15]))))

/* One SHA-256 compression of every lane: all 64 rounds from the state st (one vector per word),
 * which receives the result; the schedule overwrites w. */
static inline __attribute__((always_inline)) void sha256_block_v(V st[8], V w[16]) {
    V a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) RND(i, w[i]);
#pragma GCC unroll 48
    for (int i = 16; i < 64; i++) {
        SCHED(i);
        RND(i, w[i & 15]);
    }
    st[0] = ADD(st[0], a); st[1] = ADD(st[1], b); st[2] = ADD(st[2], c); st[3] = ADD(st[3], d);
    st[4] = ADD(st[4], e); st[5] = ADD(st[5], f); st[6] = ADD(st[6], g); st[7] = ADD(st[7], h);
}

/* The state of every lane after its message block W (lane-major words) from the shared midstate. */
static inline __attribute__((always_inline)) void sha256_lanes_v(const uint32_t mid[8], const uint32_t *W, V st[8]) {
    V w[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) w[i] = LOAD(W + i * L);
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) st[i] = SET1((int)mid[i]);
    sha256_block_v(st, w);
}

/* All 64 rounds and the full state (for batch HMAC, where every lane's digest is needed). */
void FULL_KERNEL_NAME(const uint32_t mid[8], const uint32_t *W, uint32_t *out) {
    V st[8];
    sha256_lanes_v(mid, W, st);
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) STORE(out + i * L, st[i]);
}
