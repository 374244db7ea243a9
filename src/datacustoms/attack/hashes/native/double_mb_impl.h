/* Multi-buffer double hashing: the algorithm applied again to the lower-case hex of the first
 * digest, e.g. sha256(sha256(x).hexdigest()), a common way to "strengthen" a hash that adds
 * nothing against enumeration.  Included by avx2.c and avx512.c after sha256_mb_impl.h and
 * md5_sha1_mb_impl.h; each kernel has the dc_mb_kernel signature, so the search loop runs it
 * like a one-block kernel: the inner message words in W, the outer digest's key in keys.  The
 * inner digest never leaves the vector registers (hex_digits.h). */

#include "hex_digits.h"

/* H7 after the padding block: e after round 60 plus st[7], as in sha256_mb_kernel.h. */
static inline __attribute__((always_inline)) V sha256_pad64_h7(const V st[8]) {
    V a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
#pragma GCC unroll 61
    for (int i = 0; i < 61; i++) {
        V t1_ = ADD(ADD(h, SIG1(e)), ADD(CH(e, f, g), SET1((int)dc_pad64_kw[i])));
        V t2_ = ADD(SIG0(a), MAJ(a, b, c));
        h = g; g = f; f = e; e = ADD(d, t1_); d = c; c = b; b = a; a = ADD(t1_, t2_);
    }
    (void)a; (void)b; (void)c; (void)f; (void)g; (void)h;
    return ADD(e, st[7]);
}

/* sha256(hex(sha256(m))): the 64 hex digits fill one block, the padding a second. */
void SHA256D_KERNEL_NAME(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    V w[16], st[8];
    sha256_lanes_v(mid, W, st);
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        w[2 * i] = hex_be(SHR(st[i], 16));
        w[2 * i + 1] = hex_be(st[i]);
        st[i] = SET1((int)dc_IV256[i]);
    }
    sha256_block_v(st, w);
    STORE(keys, sha256_pad64_h7(st));
}

/* sha1(hex(sha1(m))): 40 hex digits and the padding fit one block. */
void SHA1D_KERNEL_NAME(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    V w[16], st[5];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) w[i] = LOAD(W + i * L);
    for (int i = 0; i < 5; i++) st[i] = SET1((int)mid[i]);
    sha1_block_v(st, w);
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++) {
        w[2 * i] = hex_be(SHR(st[i], 16));
        w[2 * i + 1] = hex_be(st[i]);
        st[i] = SET1((int)dc_IV_SHA1[i]);
    }
    w[10] = SET1((int)0x80000000u);
    w[11] = w[12] = w[13] = w[14] = SET1(0);
    w[15] = SET1(40 * 8);
    sha1_block_v(st, w);
    STORE(keys, st[4]);
}

/* md5(hex(md5(m))): 32 hex digits and the padding fit one block. */
void MD5D_KERNEL_NAME(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    V m[16], st[4];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) m[i] = LOAD(W + i * L);
    for (int i = 0; i < 4; i++) st[i] = SET1((int)mid[i]);
    md5_block_v(st, m);
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        m[2 * i] = hex_le(st[i]);
        m[2 * i + 1] = hex_le(SHR(st[i], 16));
        st[i] = SET1((int)dc_IV_MD5[i]);
    }
    m[8] = SET1(0x80);
    m[9] = m[10] = m[11] = m[12] = m[13] = m[15] = SET1(0);
    m[14] = SET1(32 * 8);
    md5_block_v(st, m);
    md5_keys(st[3], keys);
}
