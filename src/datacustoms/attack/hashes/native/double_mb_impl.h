/* Multi-buffer double hashing: the algorithm applied again to the lower-case hex of the first
 * digest, e.g. sha256(sha256(x).hexdigest()), a common way to "strengthen" a hash that adds
 * nothing against enumeration.  Included by avx2.c and avx512.c after sha256_mb_impl.h and
 * md5_sha1_mb_impl.h; each kernel has the dc_mb_kernel signature, so the search loop runs it
 * like a one-block kernel: the inner message words in W, the outer digest's key in keys.
 *
 * The hex digits are made in the vector registers: the nibbles of 16 digest bits are spread
 * one per byte, then each byte n becomes '0' + n, plus 39 when n >= 10 ('a' - '0' - 10). */

/* Four nibbles, one per byte, to their ASCII hex digits (no carry crosses a byte). */
static inline V hex_ascii(V t) {
    V m = AND(ADD(t, SET1(0x06060606)), SET1(0x10101010)); /* 0x10 in each byte whose nibble >= 10 */
    V adj = SUB(ADD(SHL(m, 1), SHR(m, 1)), SHR(m, 4));     /* 0x20 + 0x08 - 0x01 = 39 there */
    return ADD(ADD(t, SET1(0x30303030)), adj);
}

/* The hex of the 16 bits x & 0xffff, most significant nibble first, as a big-endian word. */
static inline V hex_be(V x) {
    V t = OR(OR(SHL(AND(x, SET1(0xF000)), 12), SHL(AND(x, SET1(0x0F00)), 8)),
             OR(SHL(AND(x, SET1(0x00F0)), 4), AND(x, SET1(0x000F))));
    return hex_ascii(t);
}

/* The hex of the two bytes x & 0xffff (low byte first, as MD5 stores its digest), each byte's
 * high nibble first, as a little-endian word. */
static inline V hex_le(V x) {
    V t = OR(OR(AND(SHR(x, 4), SET1(0x000F)), SHL(AND(x, SET1(0x000F)), 8)),
             OR(SHL(AND(x, SET1(0xF000)), 4), SHL(AND(x, SET1(0x0F00)), 16)));
    return hex_ascii(t);
}

/* K[i] + W[i] of the padding block of every 64-byte message (0x80, zeros, the length 512):
 * its schedule is the same in every lane, so it is folded into the round constants. */
static const uint32_t pad64_kw[64] = {
    0xc28a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf374,
    0x649b69c1, 0xf0fe4786, 0x0fe1edc6, 0x240cf254, 0x4fe9346f, 0x6cc984be, 0x61b9411e, 0x16f988fa,
    0xf2c65152, 0xa88e5a6d, 0xb019fc65, 0xb9d99ec7, 0x9a1231c3, 0xe70eeaa0, 0xfdb1232b, 0xc7353eb0,
    0x3069bad5, 0xcb976d5f, 0x5a0f118f, 0xdc1eeefd, 0x0a35b689, 0xde0b7a04, 0x58f4ca9d, 0xe15d5b16,
    0x007f3e86, 0x37088980, 0xa507ea32, 0x6fab9537, 0x17406110, 0x0d8cd6f1, 0xcdaa3b6d, 0xc0bbbe37,
    0x83613bda, 0xdb48a363, 0x0b02e931, 0x6fd15ca7, 0x521afaca, 0x31338431, 0x6ed41a95, 0x6d437890,
    0xc39c91f2, 0x9eccabbd, 0xb5c9a0e6, 0x532fb63c, 0xd2c741c6, 0x07237ea3, 0xa4954b68, 0x4c191d76};

/* H7 after the padding block: e after round 60 plus st[7], as in sha256_mb_kernel.h. */
static inline __attribute__((always_inline)) V sha256_pad64_h7(const V st[8]) {
    V a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
#pragma GCC unroll 61
    for (int i = 0; i < 61; i++) {
        V t1_ = ADD(ADD(h, SIG1(e)), ADD(CH(e, f, g), SET1((int)pad64_kw[i])));
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
    static const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    V w[16], st[5];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) w[i] = LOAD(W + i * L);
    for (int i = 0; i < 5; i++) st[i] = SET1((int)mid[i]);
    sha1_block_v(st, w);
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++) {
        w[2 * i] = hex_be(SHR(st[i], 16));
        w[2 * i + 1] = hex_be(st[i]);
        st[i] = SET1((int)iv[i]);
    }
    w[10] = SET1((int)0x80000000u);
    w[11] = w[12] = w[13] = w[14] = SET1(0);
    w[15] = SET1(40 * 8);
    sha1_block_v(st, w);
    STORE(keys, st[4]);
}

/* md5(hex(md5(m))): 32 hex digits and the padding fit one block. */
void MD5D_KERNEL_NAME(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    static const uint32_t iv[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    V m[16], st[4];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) m[i] = LOAD(W + i * L);
    for (int i = 0; i < 4; i++) st[i] = SET1((int)mid[i]);
    md5_block_v(st, m);
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        m[2 * i] = hex_le(st[i]);
        m[2 * i + 1] = hex_le(SHR(st[i], 16));
        st[i] = SET1((int)iv[i]);
    }
    m[8] = SET1(0x80);
    m[9] = m[10] = m[11] = m[12] = m[13] = m[15] = SET1(0);
    m[14] = SET1(32 * 8);
    md5_block_v(st, m);
    md5_keys(st[3], keys);
}
