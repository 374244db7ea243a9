/* One early-exit multi-buffer SHA-256 search kernel, included once per NZ after
 * sha256_mb_impl.h (the includer defines KERNEL_NAME and NZ).
 *
 * Only a key is produced: H7, which equals e after round 60 plus mid[7], so three of the 64
 * rounds are skipped (or with REV, below, a after round 56).  The caller tests the key against
 * the target bitmap and recomputes the full digest of the rare lanes that pass.
 *
 * Short identifiers leave most of their one block zero: "01012345678" fills words 0-2, and words
 * 3-14 are zero (word 15 holds the length).  A kernel built for such messages (tail-block words
 * NZ..14 all zero) skips the zero words in rounds 0-15 and drops every message-schedule term that
 * reads one (hashcat's "zero-based" optimisation): about 7 % fewer instructions for NZ 3.  The
 * conditions below are compile-time constants once the loops are unrolled, so each instance
 * holds only the work its NZ needs.  NZ 16 is the general kernel.
 *
 * With REV 1 the kernel stops four rounds earlier: its key is a after round 56, which every
 * target's digest also gives with rounds 63 to 57 undone (a57_of_digest in module.c; undoing a
 * round needs only the state, never its message word).  Rounds 57-60 and message words 57-60
 * are not computed: about 7 % fewer instructions.  Only for plans that start from the
 * initial state (the targets' keys are computed from it). */

#ifndef INV
#define INV 0
#endif
#ifndef REV
#define REV 0
#endif
#define DC_ZERO(j) ((j) < 16 && (j) >= NZ && (j) < 15)
/* Words whose value is the same in every lane, kept as scalars: word 15 (the message length,
 * the same for every candidate of a plan), the first INV words (INV 2: the caller guarantees that
 * the lanes differ only from word 2 on) and then W16 = W0 + sig0(W1) + W9 + sig1(W14). */
#define DC_SCALAR(j) ((j) == 15 || (j) < INV || ((j) == 16 && INV >= 2 && NZ <= 9))
#define DC_ssig0(x) (dc_ror32(x, 7) ^ dc_ror32(x, 18) ^ ((x) >> 3))
#define DC_ssig1(x) (dc_ror32(x, 17) ^ dc_ror32(x, 19) ^ ((x) >> 10))

void KERNEL_NAME(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    V w[16];
    uint32_t ws[17] = {0};
    ws[15] = W[15 * L];
#pragma GCC unroll 16
    for (int i = 0; i < 15; i++) {
        if (i < INV) ws[i] = W[i * L];
        w[i] = DC_ZERO(i) || DC_SCALAR(i) ? SET1(0) : LOAD(W + i * L);
    }
    V a, b, c, d, e, f, g, h;
    int r0 = INV; /* the first round with a vector message word */
    {
        /* Rounds before r0 read only the midstate and lane-invariant words: one scalar
         * computation.  Round r0's state-only parts of t1 and t2 are scalars too, so it costs
         * two vector adds. */
        uint32_t A = mid[0], B = mid[1], C = mid[2], D = mid[3], E = mid[4], F = mid[5], G = mid[6], H = mid[7];
#pragma GCC unroll 2
        for (int i = 0; i < INV; i++) {
            uint32_t T1 = dc_sha256_t1(E, F, G, H, i) + ws[i], T2 = dc_sha256_t2(A, B, C);
            H = G; G = F; F = E; E = D + T1; D = C; C = B; B = A; A = T1 + T2;
        }
        uint32_t t1c = dc_sha256_t1(E, F, G, H, r0), t2c = dc_sha256_t2(A, B, C);
        h = SET1((int)G); g = SET1((int)F); f = SET1((int)E); e = ADD(SET1((int)(D + t1c)), w[r0]);
        d = SET1((int)C); c = SET1((int)B); b = SET1((int)A); a = ADD(SET1((int)(t1c + t2c)), w[r0]);
    }
#pragma GCC unroll 15
    for (int i = r0 + 1; i < 16; i++) {
        if (DC_ZERO(i) || DC_SCALAR(i)) {
            uint32_t k = dc_K256[i] + (DC_SCALAR(i) ? ws[i] : 0);
            V t1_ = ADD(ADD(h, SIG1(e)), ADD(CH(e, f, g), SET1((int)k)));
            V t2_ = ADD(SIG0(a), MAJ(a, b, c));
            h = g; g = f; f = e; e = ADD(d, t1_); d = c; c = b; b = a; a = ADD(t1_, t2_);
        } else {
            RND(i, w[i]);
        }
    }
#pragma GCC unroll 45
    for (int i = 16; i < (REV ? 57 : 61); i++) {
        /* w[i] = w[i-16] + sig0(w[i-15]) + w[i-7] + sig1(w[i-2]), without the zero terms and
         * with the lane-invariant ones summed as a scalar; every word from 17 on has a vector
         * term (w[i-2], or for i = 17 with INV 2, w[2]) */
        uint32_t s = 0;
        V acc = SET1(0);
        int any = 0, anys = 0;
        const int j[4] = {i - 16, i - 15, i - 7, i - 2};
#pragma GCC unroll 4
        for (int t = 0; t < 4; t++) {
            if (DC_ZERO(j[t])) continue;
            if (DC_SCALAR(j[t])) {
                uint32_t x = ws[j[t] < 17 ? j[t] : 0];
                s += t == 1 ? DC_ssig0(x) : t == 3 ? DC_ssig1(x) : x;
                anys = 1;
                continue;
            }
            V x = w[j[t] & 15];
            V y = t == 1 ? sig0(x) : t == 3 ? sig1(x) : x;
            acc = any ? ADD(acc, y) : y;
            any = 1;
        }
        if (DC_SCALAR(i)) {
            ws[i < 17 ? i : 0] = s;
            uint32_t k = dc_K256[i] + s;
            V t1_ = ADD(ADD(h, SIG1(e)), ADD(CH(e, f, g), SET1((int)k)));
            V t2_ = ADD(SIG0(a), MAJ(a, b, c));
            h = g; g = f; f = e; e = ADD(d, t1_); d = c; c = b; b = a; a = ADD(t1_, t2_);
        } else {
            w[i & 15] = anys ? ADD(acc, SET1((int)s)) : acc;
            RND(i, w[i & 15]);
        }
    }
    (void)a; (void)b; (void)c; (void)e; (void)f; (void)g; (void)h;
    STORE(keys, REV ? a : ADD(e, SET1((int)mid[7])));
}

#undef DC_ZERO
#undef DC_SCALAR
#undef DC_ssig0
#undef DC_ssig1
#undef INV
#undef REV
#undef NZ
#undef KERNEL_NAME
