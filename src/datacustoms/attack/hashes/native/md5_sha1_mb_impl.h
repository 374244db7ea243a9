/* Multi-buffer one-block MD5 and SHA-1 (included by avx2.c and avx512.c, which define V, L and
 * the operations).  Keys are the big-endian last four digest bytes, as for SHA-256. */

/* ---- MD5 (message words are little-endian) ---- */
void MD5_KERNEL_NAME(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    V m[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) m[i] = LOAD(W + i * L);
    V a = SET1((int)mid[0]), b = SET1((int)mid[1]), c = SET1((int)mid[2]), d = SET1((int)mid[3]);
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
    _Alignas(64) uint32_t tmp[L];
    STORE(tmp, ADD(d, SET1((int)mid[3])));
    for (int j = 0; j < L; j++) keys[j] = __builtin_bswap32(tmp[j]); /* digest bytes 12..15 */
}

/* ---- SHA-1 ---- */
void SHA1_KERNEL_NAME(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    V w[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) w[i] = LOAD(W + i * L);
    V a = SET1((int)mid[0]), b = SET1((int)mid[1]), c = SET1((int)mid[2]), d = SET1((int)mid[3]);
    V e = SET1((int)mid[4]);
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
    STORE(keys, ADD(e, SET1((int)mid[4])));
}
