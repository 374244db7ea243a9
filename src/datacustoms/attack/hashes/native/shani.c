/* SHA-256 with the SHA extensions (SHA-NI).  Its own compile unit, built with -msha -msse4.1,
 * and only called after __builtin_cpu_supports("sha") said yes.  Input words are already the
 * big-endian message words as integers, so no byte shuffle is needed.  Two independent
 * messages are interleaved to hide the latency of sha256rnds2. */
#include <immintrin.h>

#include "engine.h"

#define LOAD_STATE(S0, S1, st)                                      \
    do {                                                            \
        __m128i t_ = _mm_loadu_si128((const __m128i *)&(st)[0]);    \
        S1 = _mm_loadu_si128((const __m128i *)&(st)[4]);            \
        t_ = _mm_shuffle_epi32(t_, 0xB1);                           \
        S1 = _mm_shuffle_epi32(S1, 0x1B);                           \
        S0 = _mm_alignr_epi8(t_, S1, 8);                            \
        S1 = _mm_blend_epi16(S1, t_, 0xF0);                         \
    } while (0)

#define STORE_STATE(st, S0, S1)                                     \
    do {                                                            \
        __m128i t_ = _mm_shuffle_epi32(S0, 0x1B);                   \
        S1 = _mm_shuffle_epi32(S1, 0xB1);                           \
        S0 = _mm_blend_epi16(t_, S1, 0xF0);                         \
        S1 = _mm_alignr_epi8(S1, t_, 8);                            \
        _mm_storeu_si128((__m128i *)&(st)[0], S0);                  \
        _mm_storeu_si128((__m128i *)&(st)[4], S1);                  \
    } while (0)

static inline __m128i next_group(const __m128i *m, int i) {
    __m128i t = _mm_sha256msg1_epu32(m[(i - 4) & 3], m[(i - 3) & 3]);
    t = _mm_add_epi32(t, _mm_alignr_epi8(m[(i - 1) & 3], m[(i - 2) & 3], 4));
    return _mm_sha256msg2_epu32(t, m[(i - 1) & 3]);
}

void dc_sha256_compress_shani(uint32_t st[8], const uint32_t w[16]) {
    __m128i S0, S1, m[4];
    LOAD_STATE(S0, S1, st);
    __m128i A0 = S0, C0 = S1;
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        m[i & 3] = i < 4 ? _mm_loadu_si128((const __m128i *)(w + 4 * i)) : next_group(m, i);
        __m128i x = _mm_add_epi32(m[i & 3], _mm_loadu_si128((const __m128i *)(dc_K256 + 4 * i)));
        S1 = _mm_sha256rnds2_epu32(S1, S0, x);
        S0 = _mm_sha256rnds2_epu32(S0, S1, _mm_shuffle_epi32(x, 0x0E));
    }
    S0 = _mm_add_epi32(S0, A0);
    S1 = _mm_add_epi32(S1, C0);
    STORE_STATE(st, S0, S1);
}

/* Two lanes' SHA-256, interleaved to hide the latency of sha256rnds2, from their message groups
 * ga/gb (words 4i..4i+3 in ga[i]).  Returns each one's key: H7 (h after round 63 is f after
 * round 61, the low word of the ABEF register after the 31st sha256rnds2, so the last one is
 * skipped), or with rev a after round 56 (b after round 57, word 2 of that register after the
 * 29th: two more skipped, and message group 15; see REV in sha256_mb_kernel.h). */
static inline __attribute__((always_inline)) void key_pair(__m128i S0i, __m128i S1i, const __m128i *ga,
                                                           const __m128i *gb, uint32_t h7mid, uint32_t *keys,
                                                           int rev) {
    __m128i S0a = S0i, S1a = S1i, S0b = S0i, S1b = S1i, ma[4], mb[4];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        if (rev && i == 15) break; /* a constant once inlined: the loop stays unrolled */
        __m128i k = _mm_loadu_si128((const __m128i *)(dc_K256 + 4 * i));
        ma[i & 3] = i < 4 ? ga[i] : next_group(ma, i);
        mb[i & 3] = i < 4 ? gb[i] : next_group(mb, i);
        __m128i xa = _mm_add_epi32(ma[i & 3], k);
        __m128i xb = _mm_add_epi32(mb[i & 3], k);
        S1a = _mm_sha256rnds2_epu32(S1a, S0a, xa);
        S1b = _mm_sha256rnds2_epu32(S1b, S0b, xb);
        if (i < (rev ? 14 : 15)) {
            S0a = _mm_sha256rnds2_epu32(S0a, S1a, _mm_shuffle_epi32(xa, 0x0E));
            S0b = _mm_sha256rnds2_epu32(S0b, S1b, _mm_shuffle_epi32(xb, 0x0E));
        }
    }
    keys[0] = rev ? (uint32_t)_mm_extract_epi32(S1a, 2) : (uint32_t)_mm_cvtsi128_si32(S1a) + h7mid;
    keys[1] = rev ? (uint32_t)_mm_extract_epi32(S1b, 2) : (uint32_t)_mm_cvtsi128_si32(S1b) + h7mid;
}

/* The message groups of lanes l..l+3 (g[lane][group]): W is lane-major (word w of lane l at
 * W[w*L + l]), so four lanes' group comes from one 4x4 transpose of four rows.  Only the first
 * `groups` vary: with nz <= 4 (words 4..14 zero and word 15, the length, the same in every lane)
 * only group 0 is loaded. */
static inline __attribute__((always_inline)) void lane_groups(const uint32_t *W, int l, int groups,
                                                              __m128i g[4][4]) {
    const __m128i zero = _mm_setzero_si128(), last = _mm_set_epi32((int)W[15 * DC_SHANI_LANES], 0, 0, 0);
    for (int q = 0; q < 4; q++) {
        if (q >= groups) {
            for (int j = 0; j < 4; j++) g[j][q] = q == 3 ? last : zero;
            continue;
        }
        __m128i r0 = _mm_loadu_si128((const __m128i *)(W + (4 * q + 0) * DC_SHANI_LANES + l));
        __m128i r1 = _mm_loadu_si128((const __m128i *)(W + (4 * q + 1) * DC_SHANI_LANES + l));
        __m128i r2 = _mm_loadu_si128((const __m128i *)(W + (4 * q + 2) * DC_SHANI_LANES + l));
        __m128i r3 = _mm_loadu_si128((const __m128i *)(W + (4 * q + 3) * DC_SHANI_LANES + l));
        __m128i t0 = _mm_unpacklo_epi32(r0, r1), t1 = _mm_unpackhi_epi32(r0, r1);
        __m128i t2 = _mm_unpacklo_epi32(r2, r3), t3 = _mm_unpackhi_epi32(r2, r3);
        g[0][q] = _mm_unpacklo_epi64(t0, t2);
        g[1][q] = _mm_unpackhi_epi64(t0, t2);
        g[2][q] = _mm_unpacklo_epi64(t1, t3);
        g[3][q] = _mm_unpackhi_epi64(t1, t3);
    }
}

static inline __attribute__((always_inline)) void search_lanes(const uint32_t mid[8], const uint32_t *W,
                                                               uint32_t *keys, int nz, int rev) {
    __m128i S0i, S1i;
    LOAD_STATE(S0i, S1i, mid);
    for (int l = 0; l < DC_SHANI_LANES; l += 4) {
        __m128i g[4][4]; /* g[lane][group] */
        lane_groups(W, l, nz <= 4 ? 1 : 4, g);
        key_pair(S0i, S1i, g[0], g[1], mid[7], keys + l, rev);
        key_pair(S0i, S1i, g[2], g[3], mid[7], keys + l + 2, rev);
    }
}

void dc_mb_shani(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) { search_lanes(mid, W, keys, 16, 0); }
void dc_mb_shani_nz4(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) { search_lanes(mid, W, keys, 4, 0); }
void dc_mb_shani_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) { search_lanes(mid, W, keys, 16, 1); }
void dc_mb_shani_nz4_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    search_lanes(mid, W, keys, 4, 1);
}

/* ---- double SHA-256 over the hex of the first digest ---- */

typedef __m128i V;
#define ADD(x, y) _mm_add_epi32(x, y)
#define SUB(x, y) _mm_sub_epi32(x, y)
#define AND(x, y) _mm_and_si128(x, y)
#define OR(x, y) _mm_or_si128(x, y)
#define SHL(x, n) _mm_slli_epi32(x, n)
#define SHR(x, n) _mm_srli_epi32(x, n)
#define SET1(x) _mm_set1_epi32(x)
#include "hex_digits.h"

/* Two lanes' whole compression, interleaved, from their states (S0, S1 in the ABEF/CDGH layout
 * of sha256rnds2), which receive the result. */
static inline __attribute__((always_inline)) void compress_pair(__m128i *S0a, __m128i *S1a, __m128i *S0b,
                                                                __m128i *S1b, const __m128i *ga, const __m128i *gb) {
    __m128i A0 = *S0a, A1 = *S1a, B0 = *S0b, B1 = *S1b, ma[4], mb[4];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        __m128i k = _mm_loadu_si128((const __m128i *)(dc_K256 + 4 * i));
        ma[i & 3] = i < 4 ? ga[i] : next_group(ma, i);
        mb[i & 3] = i < 4 ? gb[i] : next_group(mb, i);
        __m128i xa = _mm_add_epi32(ma[i & 3], k), xb = _mm_add_epi32(mb[i & 3], k);
        A1 = _mm_sha256rnds2_epu32(A1, A0, xa);
        B1 = _mm_sha256rnds2_epu32(B1, B0, xb);
        A0 = _mm_sha256rnds2_epu32(A0, A1, _mm_shuffle_epi32(xa, 0x0E));
        B0 = _mm_sha256rnds2_epu32(B0, B1, _mm_shuffle_epi32(xb, 0x0E));
    }
    *S0a = _mm_add_epi32(*S0a, A0); *S1a = _mm_add_epi32(*S1a, A1);
    *S0b = _mm_add_epi32(*S0b, B0); *S1b = _mm_add_epi32(*S1b, B1);
}

/* A state (ABEF/CDGH) as digest words 0-3 and 4-7, word 0 in element 0 (STORE_STATE without
 * the memory). */
static inline __attribute__((always_inline)) void state_words(__m128i S0, __m128i S1, __m128i *w03, __m128i *w47) {
    __m128i t = _mm_shuffle_epi32(S0, 0x1B), u = _mm_shuffle_epi32(S1, 0xB1);
    *w03 = _mm_blend_epi16(t, u, 0xF0);
    *w47 = _mm_alignr_epi8(u, t, 8);
}

/* The whole compression of 16 lanes from one state, two at a time (compress_pair): the
 * dc_mbfull_kernel interface of the AVX2 and AVX-512 kernels (W lane-major, word w of lane j at
 * W[w*16 + j]; out likewise, 8 words a lane), so the batched HMAC runs on CPUs with SHA-NI and no
 * AVX-512 with the SHA unit's latency hidden, not one row's chain at a time. */
void dc_mbfull_shani(const uint32_t mid[8], const uint32_t *W, uint32_t *out) {
    __m128i S0i, S1i;
    LOAD_STATE(S0i, S1i, mid);
    for (int l = 0; l < DC_SHANI_LANES; l += 4) {
        __m128i g[4][4];
        lane_groups(W, l, 4, g);
        for (int j = 0; j < 4; j += 2) {
            __m128i A0 = S0i, A1 = S1i, B0 = S0i, B1 = S1i;
            uint32_t a[8], b[8];
            compress_pair(&A0, &A1, &B0, &B1, g[j], g[j + 1]);
            STORE_STATE(a, A0, A1);
            STORE_STATE(b, B0, B1);
            for (int w = 0; w < 8; w++) {
                out[w * DC_SHANI_LANES + l + j] = a[w];
                out[w * DC_SHANI_LANES + l + j + 1] = b[w];
            }
        }
    }
}

/* The message groups of a state's 64 hex digits: words 0-3 and 4-7 of the digest (as
 * STORE_STATE orders them), each word's high 16 bits then its low 16 bits. */
static inline __attribute__((always_inline)) void hex_groups(__m128i S0, __m128i S1, __m128i g[4]) {
    __m128i w03, w47;
    state_words(S0, S1, &w03, &w47);
    __m128i hi = hex_be(SHR(w03, 16)), lo = hex_be(w03);
    g[0] = _mm_unpacklo_epi32(hi, lo);
    g[1] = _mm_unpackhi_epi32(hi, lo);
    hi = hex_be(SHR(w47, 16));
    lo = hex_be(w47);
    g[2] = _mm_unpacklo_epi32(hi, lo);
    g[3] = _mm_unpackhi_epi32(hi, lo);
}

/* H7 after the padding block of a 64-byte message, whose schedule is the same for every message
 * (dc_pad64_kw); the last sha256rnds2 is skipped as in h7_pair. */
static inline __attribute__((always_inline)) uint32_t pad64_h7(__m128i S0, __m128i S1) {
    uint32_t h7 = (uint32_t)_mm_cvtsi128_si32(S1);
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        __m128i k = _mm_loadu_si128((const __m128i *)(dc_pad64_kw + 4 * i));
        S1 = _mm_sha256rnds2_epu32(S1, S0, k);
        if (i < 15) S0 = _mm_sha256rnds2_epu32(S0, S1, _mm_shuffle_epi32(k, 0x0E));
    }
    return (uint32_t)_mm_cvtsi128_si32(S1) + h7;
}

/* sha256(hex(sha256(m))) of 16 lanes, two at a time: the search loop's dc_mb_kernel interface. */
void dc_mb2_sha256_shani(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    __m128i S0i, S1i, I0, I1;
    LOAD_STATE(S0i, S1i, mid);
    LOAD_STATE(I0, I1, dc_IV256);
    for (int l = 0; l < DC_SHANI_LANES; l += 4) {
        __m128i g[4][4];
        lane_groups(W, l, 4, g);
        for (int j = 0; j < 4; j += 2) {
            __m128i A0 = S0i, A1 = S1i, B0 = S0i, B1 = S1i;
            compress_pair(&A0, &A1, &B0, &B1, g[j], g[j + 1]);
            hex_groups(A0, A1, g[j]);
            hex_groups(B0, B1, g[j + 1]);
            A0 = B0 = I0;
            A1 = B1 = I1;
            compress_pair(&A0, &A1, &B0, &B1, g[j], g[j + 1]);
            keys[l + j] = pad64_h7(A0, A1);
            keys[l + j + 1] = pad64_h7(B0, B1);
        }
    }
}

/* ---- keyed pseudonyms: HMAC-SHA-256 as hex, 16 rows at a time ---- */

/* One 64-byte block of a row's padded inner message as message groups, from m (64 bytes
 * readable), where n of the row's bytes remain (at least 64: a full block; fewer: the rest
 * cleared, 0x80 after the message if it falls here; none or negative: only zeros), each word's
 * bytes put in big-endian order; with last, word 15 gets the bit length of ipad block + the
 * row's total bytes. */
static inline __attribute__((always_inline)) void block_groups(const uint8_t *m, int n, int last, int total,
                                                               __m128i g[4]) {
    const __m128i bswap32 = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    const __m128i len = _mm_set1_epi8((char)n), high = _mm_set1_epi8((char)0x80); /* -64 <= n <= 119 */
    __m128i idx = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int q = 0; q < 4; q++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(m + 16 * q));
        v = _mm_and_si128(v, _mm_cmpgt_epi8(len, idx));
        v = _mm_or_si128(v, _mm_and_si128(_mm_cmpeq_epi8(idx, len), high));
        g[q] = _mm_shuffle_epi8(v, bswap32);
        idx = _mm_add_epi8(idx, _mm_set1_epi8(16));
    }
    if (last) g[3] = _mm_insert_epi32(g[3], (64 + total) * 8, 3);
}

/* The 32 lower-case hex characters of four digest words (word 0's most significant nibble
 * first), at out: big-endian bytes, each split into its two nibbles, looked up in
 * "0123456789abcdef". */
static inline __attribute__((always_inline)) void hex32(__m128i w, uint8_t *out) {
    const __m128i bswap32 = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    const __m128i digits = _mm_setr_epi8('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e',
                                         'f');
    const __m128i low = _mm_set1_epi8(0x0F);
    __m128i b = _mm_shuffle_epi8(w, bswap32);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), low), lo = _mm_and_si128(b, low);
    _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(digits, _mm_unpacklo_epi8(hi, lo)));
    _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(digits, _mm_unpackhi_epi8(hi, lo)));
}

/* The first nbytes of a MAC given as its words, as hex at out (2 * nbytes characters, none
 * written past them); nbytes 0: the 32 bytes of the MAC themselves. */
static inline __attribute__((always_inline)) void mac_hex(__m128i w03, __m128i w47, int nbytes, uint8_t *out) {
    const __m128i bswap32 = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    if (nbytes == 0) {
        _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(w03, bswap32));
        _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(w47, bswap32));
    } else if (nbytes == 16) {
        hex32(w03, out);
    } else if (nbytes == 32) {
        hex32(w03, out);
        hex32(w47, out + 32);
    } else {
        uint8_t text[64];
        hex32(w03, text);
        hex32(w47, text + 32);
        memcpy(out, text, (size_t)(2 * nbytes));
    }
}

/* dc_hmac_hex16_avx512's contract with the SHA extensions, for rows of up to 119 bytes (two
 * inner blocks; 128 bytes readable from each start when any row is over 55), and nbytes 0 for
 * the raw MACs (32 bytes a row at out + width * j): each pair of rows' inner blocks is
 * built in registers from the data, their two compressions interleaved (compress_pair), the
 * inner states become the outer blocks' first words without leaving the registers, and the
 * outer states are hex-encoded from them; no lane-major transposition, as the 16-lane kernels
 * need. */
void dc_hmac_hex16_shani(const uint32_t ist[8], const uint32_t ost[8], const uint8_t *base, const int32_t rel[16],
                         const int32_t len[16], int nbytes, uint8_t *out, size_t width) {
    __m128i I0, I1, O0, O1;
    LOAD_STATE(I0, I1, ist);
    LOAD_STATE(O0, O1, ost);
    const __m128i w8 = _mm_setr_epi32((int)0x80000000u, 0, 0, 0), w15 = _mm_setr_epi32(0, 0, 0, (64 + 32) * 8);
    for (int j = 0; j < 16; j += 2) {
        __m128i ga[4], gb[4];
        const uint8_t *ma = base + rel[j], *mb = base + rel[j + 1];
        const int na = len[j], nb = len[j + 1], two_a = na > 55, two_b = nb > 55;
        block_groups(ma, na, !two_a, na, ga);
        block_groups(mb, nb, !two_b, nb, gb);
        __m128i A0 = I0, A1 = I1, B0 = I0, B1 = I1;
        compress_pair(&A0, &A1, &B0, &B1, ga, gb);
        if (two_a || two_b) { /* a second block for either: both run it, a one-block row's result is dropped */
            __m128i a0 = A0, a1 = A1, b0 = B0, b1 = B1;
            block_groups(ma + 64, na - 64, 1, na, ga);
            block_groups(mb + 64, nb - 64, 1, nb, gb);
            compress_pair(&a0, &a1, &b0, &b1, ga, gb);
            if (two_a) { A0 = a0; A1 = a1; }
            if (two_b) { B0 = b0; B1 = b1; }
        }
        state_words(A0, A1, &ga[0], &ga[1]);
        state_words(B0, B1, &gb[0], &gb[1]);
        ga[2] = gb[2] = w8;
        ga[3] = gb[3] = w15;
        A0 = B0 = O0;
        A1 = B1 = O1;
        compress_pair(&A0, &A1, &B0, &B1, ga, gb);
        state_words(A0, A1, &ga[0], &ga[1]);
        state_words(B0, B1, &gb[0], &gb[1]);
        mac_hex(ga[0], ga[1], nbytes, out + width * (size_t)j);
        mac_hex(gb[0], gb[1], nbytes, out + width * (size_t)(j + 1));
    }
}
