/* Multi-buffer one-block MD5 and SHA-1 (included by avx2.c and avx512.c, which define V, L and
 * the operations).  Keys are the big-endian last four digest bytes, as for SHA-256. */

/* ---- MD5 (message words are little-endian) ---- */
/* One MD5 compression of every lane from the state st, which receives the result. */
static inline __attribute__((always_inline)) void md5_block_v(V st[4], const V m[16]) {
    V a = st[0], b = st[1], c = st[2], d = st[3];
#pragma GCC unroll 64
    for (int i = 0; i < 64; i++) {
        V f;
        int g;
        if (i < 16) { f = FCH(b, c, d); g = i; }
        else if (i < 32) { f = FCH(d, b, c); g = (5 * i + 1) & 15; }
        else if (i < 48) { f = FPAR(b, c, d); g = (3 * i + 5) & 15; }
        else { f = FI(b, c, d); g = (7 * i) & 15; }
        V t = d;
        d = c;
        c = b;
        V x = ADD(ADD(a, f), ADD(SET1((int)dc_MD5K[i]), m[g]));
        b = ADD(b, ROLV(x, (int)dc_MD5R[i]));
        a = t;
    }
    st[0] = ADD(st[0], a); st[1] = ADD(st[1], b); st[2] = ADD(st[2], c); st[3] = ADD(st[3], d);
}

/* The key of an MD5 state: digest bytes 12..15 (little-endian in d) as a big-endian integer. */
static inline void md5_keys(V d, uint32_t *keys) {
    _Alignas(64) uint32_t tmp[L];
    STORE(tmp, d);
    for (int j = 0; j < L; j++) keys[j] = __builtin_bswap32(tmp[j]);
}

void MD5_KERNEL_NAME(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    V m[16], st[4];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) m[i] = LOAD(W + i * L);
    for (int i = 0; i < 4; i++) st[i] = SET1((int)mid[i]);
    md5_block_v(st, m);
    md5_keys(st[3], keys);
}

/* ---- SHA-1 ---- */
/* One SHA-1 compression of every lane from the state st, which receives the result; the
 * schedule overwrites w. */
static inline __attribute__((always_inline)) void sha1_block_v(V st[5], V w[16]) {
    V a = st[0], b = st[1], c = st[2], d = st[3], e = st[4];
#pragma GCC unroll 80
    for (int i = 0; i < 80; i++) {
        if (i >= 16) {
            V x = FPAR(w[(i - 3) & 15], w[(i - 8) & 15], w[(i - 14) & 15]);
            w[i & 15] = ROLV(XOR(x, w[i & 15]), 1);
        }
        V f;
        uint32_t k;
        if (i < 20) { f = FCH(b, c, d); k = 0x5a827999u; }
        else if (i < 40) { f = FPAR(b, c, d); k = 0x6ed9eba1u; }
        else if (i < 60) { f = FMAJ(b, c, d); k = 0x8f1bbcdcu; }
        else { f = FPAR(b, c, d); k = 0xca62c1d6u; }
        V t = ADD(ADD(ROLV(a, 5), f), ADD(ADD(e, SET1((int)k)), w[i & 15]));
        e = d;
        d = c;
        c = ROLV(b, 30);
        b = a;
        a = t;
    }
    st[0] = ADD(st[0], a); st[1] = ADD(st[1], b); st[2] = ADD(st[2], c); st[3] = ADD(st[3], d);
    st[4] = ADD(st[4], e);
}

void SHA1_KERNEL_NAME(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    V w[16], st[5];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) w[i] = LOAD(W + i * L);
    for (int i = 0; i < 5; i++) st[i] = SET1((int)mid[i]);
    sha1_block_v(st, w);
    STORE(keys, st[4]);
}
