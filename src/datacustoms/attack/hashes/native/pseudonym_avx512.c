/* Keyed pseudonyms, 16 rows at a time with AVX-512 (built with -mavx512f -mavx512bw -mavx512vl;
 * only called after the dispatcher saw avx512f, avx512bw and avx512vl): the rows' padded SHA-256
 * blocks are gathered straight from the Arrow data buffer, the two HMAC compressions run in the
 * 16-lane kernel, and the first nbytes of each MAC become lower-case hex with one byte shuffle
 * per 8 characters. The scalar path in module.c (hmac_hex_mb) gives the same bytes; the
 * known-answer tests run both. */
#include <immintrin.h>

#include "engine.h"

/* 16 rows of at most 55 bytes each, row j at base + rel[j] with len[j] bytes, every row's 64
 * bytes from its start inside the buffer (the caller checks both). Row j's 2 * nbytes hex
 * characters go to out + width * j. */
void dc_hmac_hex16_avx512(const uint32_t ist[8], const uint32_t ost[8], const uint8_t *base, const int32_t rel[16],
                          const int32_t len[16], int nbytes, uint8_t *out, size_t width) {
    _Alignas(64) uint32_t Wi[16 * 16], Wo[16 * 16], st[8 * 16];
    _Alignas(64) uint64_t chars[8][16];
    /* per word, by the message bytes it holds (rem = n - 4w + 1 clamped to 0..5): bytes kept,
     * and where the 0x80 padding byte goes (as in module.c) */
    const __m512i wmask = _mm512_setr_epi32(0, 0, (int)0xFF000000u, (int)0xFFFF0000u, (int)0xFFFFFF00u,
                                            (int)0xFFFFFFFFu, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m512i wpad = _mm512_setr_epi32(0, (int)0x80000000u, 0x00800000, 0x00008000, 0x00000080, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0, 0, 0);
    const __m512i bswap32 = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
    const __m512i starts = _mm512_loadu_si512((const void *)rel);
    const __m512i lens = _mm512_loadu_si512((const void *)len);
    const __m512i zero = _mm512_setzero_si512(), five = _mm512_set1_epi32(5);
    for (int w = 0; w < 14; w++) {
        __m512i v = _mm512_i32gather_epi32(_mm512_add_epi32(starts, _mm512_set1_epi32(4 * w)), (const void *)base, 1);
        v = _mm512_shuffle_epi8(v, bswap32);
        __m512i k = _mm512_sub_epi32(lens, _mm512_set1_epi32(4 * w - 1));
        k = _mm512_min_epi32(_mm512_max_epi32(k, zero), five);
        v = _mm512_or_si512(_mm512_and_si512(v, _mm512_permutexvar_epi32(k, wmask)), _mm512_permutexvar_epi32(k, wpad));
        _mm512_store_si512((void *)(Wi + 16 * w), v);
    }
    _mm512_store_si512((void *)(Wi + 16 * 14), zero);
    _mm512_store_si512((void *)(Wi + 16 * 15), _mm512_slli_epi32(_mm512_add_epi32(lens, _mm512_set1_epi32(64)), 3));
    dc_mbfull_avx512(ist, Wi, Wo); /* the inner states are the outer blocks' first 8 words */
    _mm512_store_si512((void *)(Wo + 16 * 8), _mm512_set1_epi32((int)0x80000000u));
    for (int w = 9; w < 15; w++) _mm512_store_si512((void *)(Wo + 16 * w), zero);
    _mm512_store_si512((void *)(Wo + 16 * 15), _mm512_set1_epi32((64 + 32) * 8));
    dc_mbfull_avx512(ost, Wo, st);
    /* hex: each 32-bit word widened to 64 bits, its nibbles spread one per byte, the bytes put in
     * text order, and every nibble looked up in "0123456789abcdef" */
    const __m512i m16 = _mm512_set1_epi64(0x0000FFFF0000FFFFll), m8 = _mm512_set1_epi64(0x00FF00FF00FF00FFll);
    const __m512i m4 = _mm512_set1_epi64(0x0F0F0F0F0F0F0F0Fll);
    const __m512i bswap64 = _mm512_set4_epi32(0x08090a0b, 0x0c0d0e0f, 0x00010203, 0x04050607);
    const __m512i digits = _mm512_set4_epi32(0x66656463, 0x62613938, 0x37363534, 0x33323130);
    int words = (nbytes + 3) / 4;
    for (int w = 0; w < words; w++) {
        __m512i v = _mm512_load_si512((const void *)(st + 16 * w));
        for (int h = 0; h < 2; h++) {
            __m512i x = _mm512_cvtepu32_epi64(h ? _mm512_extracti64x4_epi64(v, 1) : _mm512_castsi512_si256(v));
            x = _mm512_and_si512(_mm512_or_si512(x, _mm512_slli_epi64(x, 16)), m16);
            x = _mm512_and_si512(_mm512_or_si512(x, _mm512_slli_epi64(x, 8)), m8);
            x = _mm512_and_si512(_mm512_or_si512(x, _mm512_slli_epi64(x, 4)), m4);
            x = _mm512_shuffle_epi8(digits, _mm512_shuffle_epi8(x, bswap64));
            _mm512_store_si512((void *)(chars[w] + 8 * h), x);
        }
    }
    size_t full = (size_t)(nbytes / 4), rest = (size_t)(2 * nbytes) - 8 * full;
    for (int j = 0; j < 16; j++) {
        uint8_t *o = out + width * (size_t)j;
        for (size_t w = 0; w < full; w++) memcpy(o + 8 * w, &chars[w][j], 8);
        if (rest) memcpy(o + 8 * full, &chars[full][j], rest);
    }
}
