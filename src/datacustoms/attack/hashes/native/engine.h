/* Shared declarations of the native hash-reversal engine.
 *
 * The engine enumerates a decimal mask (a template with digit slots), hashes every candidate
 * with the fastest SHA-256 path the CPU has and looks each digest up inside the kernel: a bitmap
 * over a 32-bit key first (the last digest word, or for one-block SHA-256 the word a after round
 * 56, which each target's digest gives too; almost every candidate stops there), then a binary
 * search over the sorted first 8 bytes and a full compare.  Each SIMD path lives in its own compile unit
 * built with its own flags, so the module loads on any x86-64 and dispatches at run time.
 */
#ifndef DC_ENGINE_H
#define DC_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DC_MAX_TEMPLATE 4096
#define DC_MAX_DIGITS 18 /* 10**18 < 2**63 */

typedef struct {
    size_t n;               /* number of distinct digests */
    int dsize;              /* bytes per digest */
    const uint8_t *digests; /* n * dsize, sorted lexicographically (owned) */
    uint32_t *prefix;       /* bits dir_bits .. dir_bits + 31 of each digest's big-endian first 8
                             * bytes (dc_pre32): the bits below its directory bucket's, sorted
                             * within each bucket; 4 bytes a target instead of all 8 */
    uint32_t *bitmap;       /* 2**bits bits over the big-endian last 4 digest bytes (NULL until
                             * a search or lookup needs them: targets_keys in module.c) */
    int bits;
    int shift;              /* 32 - bits */
    uint32_t *small;        /* a coarse copy of the bitmap (2**small_bits bits) that fits in L2 */
    int small_bits;
    int small_shift;
    uint32_t *dir;          /* dir[b]: first row whose 8-byte prefix >> (64 - dir_bits) >= b */
    int dir_bits;           /* 1 .. 22 */
    /* SHA-256 targets only, built at the first search that can use them: the same two bitmaps
     * over each digest's a after round 56 from the initial state (the REV kernels' keys) */
    uint32_t *rbitmap, *rsmall;
} dc_targets;

/* The big-endian first 8 bytes of a digest. */
static inline uint64_t dc_pre64(const uint8_t *dig) {
    uint64_t pre = 0;
    for (int k = 0; k < 8; k++) pre = (pre << 8) | dig[k];
    return pre;
}

/* The directory bucket of an 8-byte prefix, and the 32 bits below it that t->prefix keeps. */
static inline uint64_t dc_bucket(const dc_targets *t, uint64_t pre) { return pre >> (64 - t->dir_bits); }
static inline uint32_t dc_pre32(const dc_targets *t, uint64_t pre) { return (uint32_t)((pre << t->dir_bits) >> 32); }

/* A mask prepared once, read by many threads. */
typedef struct {
    uint8_t tmpl[DC_MAX_TEMPLATE];
    size_t len;
    int ndig;                       /* enumerated digit slots (the check slot excluded) */
    int pos[DC_MAX_DIGITS];         /* their byte offsets, most significant first */
    int check_pos;                  /* -1, or the offset of the kr_rrn check digit */
    int rrn_pos[12];                /* the 12 weighted digit offsets before the check digit */
    uint64_t size;                  /* 10 ** ndig */
    int rounds;                     /* 2: the algorithm again over the hex of the first digest */
    /* SHA-256 one-block fast path (all slots in the last block, tail <= 55 bytes) */
    int alg;                        /* 0 md5, 1 sha1, 2 sha256 */
    int le;                         /* message words are little-endian (MD5) */
    int fast;
    size_t tail_off;
    uint32_t mid[8];                /* state after the constant leading blocks */
    uint32_t blockw[16];            /* tail block words, slots zeroed, padding included */
    int k;                          /* low digits served from lowtab */
    uint64_t lowmod;                /* 10 ** k */
    int varmask;                    /* bit w set: word w holds a slot (hi, low or check) */
    int nz;                         /* tail-block words nz..14 are zero in every candidate */
    int lowmask;                    /* bit w set: word w holds one of the k low slots */
    uint32_t *lowtab[16];           /* per low word: lowmod + 64 entries of OR-able digit bits */
    uint8_t *invrun;                /* invrun[lo]: how many counters from low value lo on share words 0-1
                                     * (capped at 255); NULL when no low digit is in words 0-1 */
} dc_plan;

/* A multi-buffer kernel hashes L one-block messages from `mid` (words in W[w*L + lane]) and
 * stores each lane's key in keys[lane]: the last digest word H7, or for the _rev kernels a after
 * round 56 (REV in sha256_mb_kernel.h); the caller does the lookup. */
typedef void (*dc_mb_kernel)(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
/* The same with all 64 rounds, storing the final state words in out[w*L + lane]. */
typedef void (*dc_mbfull_kernel)(const uint32_t mid[8], const uint32_t *W, uint32_t *out);

extern const uint32_t dc_K256[64];
extern const uint32_t dc_IV256[8];
extern const uint32_t dc_IV_MD5[4];
extern const uint32_t dc_IV_SHA1[5];
/* K[i] + W[i] of the SHA-256 padding block of every 64-byte message (double hashing) */
extern const uint32_t dc_pad64_kw[64];

/* The state-only parts of SHA-256 round i: t1 without its message word, and t2.  The scalar
 * compression uses them every round; the SIMD search kernels once, for round 0, whose state (the
 * midstate) is the same in every lane. */
static inline uint32_t dc_ror32(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
static inline uint32_t dc_sha256_t1(uint32_t e, uint32_t f, uint32_t g, uint32_t h, int i) {
    return h + (dc_ror32(e, 6) ^ dc_ror32(e, 11) ^ dc_ror32(e, 25)) + ((e & f) ^ (~e & g)) + dc_K256[i];
}
static inline uint32_t dc_sha256_t2(uint32_t a, uint32_t b, uint32_t c) {
    return (dc_ror32(a, 2) ^ dc_ror32(a, 13) ^ dc_ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
}

static inline uint32_t dc_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void dc_put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline int dc_bitmap_test(const dc_targets *t, uint32_t key) {
    uint32_t b = key >> t->shift;
    return (int)((t->bitmap[b >> 5] >> (b & 31)) & 1u);
}

/* scalar.c */
void dc_sha256_compress_scalar(uint32_t st[8], const uint32_t w[16]);
void dc_md5(const uint8_t *msg, size_t len, uint8_t out[16]);
void dc_md5_compress_words(uint32_t st[4], const uint32_t m[16]);  /* little-endian words */
void dc_sha1_compress_words(uint32_t st[5], const uint32_t w[16]); /* big-endian words */
extern const uint32_t dc_MD5K[64];
extern const uint8_t dc_MD5R[64];
void dc_sha1(const uint8_t *msg, size_t len, uint8_t out[20]);
void dc_mb_scalar(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
#define DC_SCALAR_LANES 4

/* shani.c (compiled with -msha -msse4.1) */
void dc_sha256_compress_shani(uint32_t st[8], const uint32_t w[16]);
void dc_mb_shani(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
/* the same for messages whose tail-block words 4..14 are zero */
void dc_mb_shani_nz4(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
/* the same keyed by a after round 56 (REV in sha256_mb_kernel.h) */
void dc_mb_shani_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_shani_nz4_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
/* double SHA-256 over the hex of the first digest (see double_mb_impl.h) */
void dc_mb2_sha256_shani(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
/* the whole compression of 16 lanes from one state (dc_mbfull_avx2's interface) */
void dc_mbfull_shani(const uint32_t mid[8], const uint32_t *W, uint32_t *out);
#define DC_SHANI_LANES 16
/* keyed pseudonyms: dc_hmac_hex16_avx512's contract (below) with the SHA extensions, for rows
 * of up to DC_HEX16_SHANI_MAX bytes (128 readable from each start when any is over 55); with
 * nbytes 0, each row's 32 MAC bytes instead of hex */
#define DC_HEX16_SHANI_MAX 119
void dc_hmac_hex16_shani(const uint32_t ist[8], const uint32_t ost[8], const uint8_t *base, const int32_t rel[16],
                         const int32_t len[16], int nbytes, uint8_t *out, size_t width);

/* avx2.c (compiled with -mavx2) */
void dc_mb_avx2(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
/* the same for messages whose tail-block words NZ..14 are zero (sha256_mb_kernel.h) */
void dc_mb_avx2_nz3(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx2_nz4(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx2_nz5(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
/* the same when, besides, all lanes share words 0 and 1 (rounds 0-1 and W16 become scalars) */
void dc_mb_avx2_nz3_inv2(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx2_nz4_inv2(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
/* the same that stop after round 56 and key each lane by a (REV in sha256_mb_kernel.h) */
void dc_mb_avx2_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx2_nz3_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx2_nz4_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx2_nz5_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx2_nz3_inv2_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx2_nz4_inv2_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mbfull_avx2(const uint32_t mid[8], const uint32_t *W, uint32_t *out);
#define DC_AVX2_LANES 8

/* avx512.c (compiled with -mavx512f -mavx512bw -mavx512vl) */
void dc_mb_avx512(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx512_nz3(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx512_nz4(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx512_nz5(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx512_nz3_inv2(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx512_nz4_inv2(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx512_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx512_nz3_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx512_nz4_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx512_nz5_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx512_nz3_inv2_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_avx512_nz4_inv2_rev(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mbfull_avx512(const uint32_t mid[8], const uint32_t *W, uint32_t *out);
/* MD5 and SHA-1, 16 lanes; keys are the big-endian last 4 digest bytes, as for SHA-256 */
void dc_mb_md5_avx512(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_sha1_avx512(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_md5_avx2(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb_sha1_avx2(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
/* double hashing, the algorithm again over the lower-case hex of the first digest
 * (double_mb_impl.h); the same signature, keys of the outer digest */
void dc_mb2_sha256_avx512(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb2_sha1_avx512(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb2_md5_avx512(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb2_sha256_avx2(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb2_sha1_avx2(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
void dc_mb2_md5_avx2(const uint32_t mid[8], const uint32_t *W, uint32_t *keys);
#define DC_AVX512_LANES 16
/* the search loop's own vector steps (any 16-lane kernel, once the CPU has AVX-512) */
void dc_fill_rows_avx512(const uint32_t basew[16], int varmask, int lowmask, uint32_t *const lowtab[16], uint64_t lo,
                         uint32_t *W);
uint32_t dc_bitmap_lanes_avx512(const uint32_t *bitmap, int shift, const uint32_t *keys);
void dc_prefetch_lanes_avx512(const uint32_t *bitmap, int shift, const uint32_t *keys);

/* pseudonym_avx512.c (compiled with -mavx512f -mavx512bw -mavx512vl): HMAC-SHA-256 of 16 rows
 * of at most 55 bytes (row j at base + rel[j], len[j] bytes, 64 bytes readable from each start),
 * the first nbytes of each MAC as lower-case hex at out + width * j */
void dc_hmac_hex16_avx512(const uint32_t ist[8], const uint32_t ost[8], const uint8_t *base, const int32_t rel[16],
                          const int32_t len[16], int nbytes, uint8_t *out, size_t width);
/* the type of both 16-row units */
typedef void (*dc_hex16_unit)(const uint32_t ist[8], const uint32_t ost[8], const uint8_t *base, const int32_t rel[16],
                              const int32_t len[16], int nbytes, uint8_t *out, size_t width);

#endif
