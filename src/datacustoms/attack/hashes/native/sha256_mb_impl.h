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

/* All 64 rounds and the full state (for batch HMAC, where every lane's digest is needed). */
void FULL_KERNEL_NAME(const uint32_t mid[8], const uint32_t *W, uint32_t *out) {
    V w[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) w[i] = LOAD(W + i * L);
    V a = SET1((int)mid[0]), b = SET1((int)mid[1]), c = SET1((int)mid[2]), d = SET1((int)mid[3]);
    V e = SET1((int)mid[4]), f = SET1((int)mid[5]), g = SET1((int)mid[6]), h = SET1((int)mid[7]);
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) RND(i, w[i]);
#pragma GCC unroll 48
    for (int i = 16; i < 64; i++) {
        SCHED(i);
        RND(i, w[i & 15]);
    }
    STORE(out + 0 * L, ADD(a, SET1((int)mid[0])));
    STORE(out + 1 * L, ADD(b, SET1((int)mid[1])));
    STORE(out + 2 * L, ADD(c, SET1((int)mid[2])));
    STORE(out + 3 * L, ADD(d, SET1((int)mid[3])));
    STORE(out + 4 * L, ADD(e, SET1((int)mid[4])));
    STORE(out + 5 * L, ADD(f, SET1((int)mid[5])));
    STORE(out + 6 * L, ADD(g, SET1((int)mid[6])));
    STORE(out + 7 * L, ADD(h, SET1((int)mid[7])));
}
