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

/* Two messages at once: st_a/w_a and st_b/w_b. */
static void compress2(uint32_t sa[8], const uint32_t wa[16], uint32_t sb[8], const uint32_t wb[16]) {
    __m128i S0a, S1a, S0b, S1b, ma[4], mb[4];
    LOAD_STATE(S0a, S1a, sa);
    LOAD_STATE(S0b, S1b, sb);
    __m128i A0a = S0a, C0a = S1a, A0b = S0b, C0b = S1b;
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        __m128i k = _mm_loadu_si128((const __m128i *)(dc_K256 + 4 * i));
        ma[i & 3] = i < 4 ? _mm_loadu_si128((const __m128i *)(wa + 4 * i)) : next_group(ma, i);
        mb[i & 3] = i < 4 ? _mm_loadu_si128((const __m128i *)(wb + 4 * i)) : next_group(mb, i);
        __m128i xa = _mm_add_epi32(ma[i & 3], k);
        __m128i xb = _mm_add_epi32(mb[i & 3], k);
        S1a = _mm_sha256rnds2_epu32(S1a, S0a, xa);
        S1b = _mm_sha256rnds2_epu32(S1b, S0b, xb);
        S0a = _mm_sha256rnds2_epu32(S0a, S1a, _mm_shuffle_epi32(xa, 0x0E));
        S0b = _mm_sha256rnds2_epu32(S0b, S1b, _mm_shuffle_epi32(xb, 0x0E));
    }
    S0a = _mm_add_epi32(S0a, A0a);
    S1a = _mm_add_epi32(S1a, C0a);
    S0b = _mm_add_epi32(S0b, A0b);
    S1b = _mm_add_epi32(S1b, C0b);
    STORE_STATE(sa, S0a, S1a);
    STORE_STATE(sb, S0b, S1b);
}

void dc_mb_shani(const uint32_t mid[8], const uint32_t *W, uint32_t *keys) {
    for (int l = 0; l < DC_SHANI_LANES; l += 2) {
        uint32_t wa[16], wb[16], sa[8], sb[8];
        for (int i = 0; i < 16; i++) {
            wa[i] = W[i * DC_SHANI_LANES + l];
            wb[i] = W[i * DC_SHANI_LANES + l + 1];
        }
        memcpy(sa, mid, sizeof sa);
        memcpy(sb, mid, sizeof sb);
        compress2(sa, wa, sb, wb);
        keys[l] = sa[7];
        keys[l + 1] = sb[7];
    }
}
