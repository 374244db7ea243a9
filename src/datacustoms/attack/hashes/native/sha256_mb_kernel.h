/* One early-exit multi-buffer SHA-256 search kernel, included once per NZ after
 * sha256_mb_impl.h (the includer defines KERNEL_NAME and NZ).
 *
 * Only the last digest word is produced: H7 equals e after round 60 plus mid[7], so three of the
 * 64 rounds are skipped.  The caller tests H7 against the target bitmap and recomputes the full
 * digest of the rare lanes that pass.
 *
 * Short identifiers leave most of their one block zero: "01012345678" fills words 0-2, and words
 * 3-14 are zero (word 15 holds the length).  A kernel built for such messages (tail-block words
 * NZ..14 all zero) skips the zero words in rounds 0-15 and drops every message-schedule term that
 * reads one (hashcat's "zero-based" optimisation): about 7 % fewer instructions for NZ 3.  The
 * conditions below are compile-time constants once the loops are unrolled, so each instance
 * holds only the work its NZ needs.  NZ 16 is the general kernel. */

#define DC_ZERO(j) ((j) < 16 && (j) >= NZ && (j) < 15)

void KERNEL_NAME(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    V w[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) w[i] = DC_ZERO(i) ? SET1(0) : LOAD(W + i * L);
    /* Round 0 reads only the midstate, the same in every lane, and W0: the state-only part of
     * t1 and t2 is one scalar computation, so the round costs two vector adds. */
    uint32_t t1c = dc_sha256_t1(mid[4], mid[5], mid[6], mid[7], 0), t2c = dc_sha256_t2(mid[0], mid[1], mid[2]);
    V h = SET1((int)mid[6]), g = SET1((int)mid[5]), f = SET1((int)mid[4]), e = ADD(SET1((int)(mid[3] + t1c)), w[0]);
    V d = SET1((int)mid[2]), c = SET1((int)mid[1]), b = SET1((int)mid[0]), a = ADD(SET1((int)(t1c + t2c)), w[0]);
#pragma GCC unroll 15
    for (int i = 1; i < 16; i++) {
        if (DC_ZERO(i)) {
            V t1_ = ADD(ADD(h, SIG1(e)), ADD(CH(e, f, g), SET1((int)dc_K256[i])));
            V t2_ = ADD(SIG0(a), MAJ(a, b, c));
            h = g; g = f; f = e; e = ADD(d, t1_); d = c; c = b; b = a; a = ADD(t1_, t2_);
        } else {
            RND(i, w[i]);
        }
    }
#pragma GCC unroll 45
    for (int i = 16; i < 61; i++) {
        /* w[i] = w[i-16] + sig0(w[i-15]) + w[i-7] + sig1(w[i-2]), without the zero terms;
         * w[i-16] (i = 16) and w[i-2] (i >= 17) are never zero words, so acc always has a term */
        V acc = SET1(0);
        int any = 0;
        if (!DC_ZERO(i - 16)) { acc = w[(i - 16) & 15]; any = 1; }
        if (!DC_ZERO(i - 15)) { acc = any ? ADD(acc, sig0(w[(i - 15) & 15])) : sig0(w[(i - 15) & 15]); any = 1; }
        if (!DC_ZERO(i - 7)) { acc = any ? ADD(acc, w[(i - 7) & 15]) : w[(i - 7) & 15]; any = 1; }
        if (!DC_ZERO(i - 2)) { acc = any ? ADD(acc, sig1(w[(i - 2) & 15])) : sig1(w[(i - 2) & 15]); }
        w[i & 15] = acc;
        RND(i, w[i & 15]);
    }
    (void)a; (void)b; (void)c; (void)f; (void)g; (void)h;
    STORE(keys, ADD(e, SET1((int)mid[7])));
}

#undef DC_ZERO
#undef NZ
#undef KERNEL_NAME
