/* datacustoms._native: the hot loops of hash reversal and keyed pseudonymisation.
 *
 * Python prepares everything (sorting targets, parsing masks, slicing Arrow buffers) and calls
 * in here for one chunk at a time with the GIL released, so several Python threads keep every
 * core busy.  Nothing here reports a plaintext: mask searches return counter values and list
 * searches row numbers; the caller rebuilds and verifies each hit with hashlib.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "engine.h"

enum { IMPL_AUTO, IMPL_SCALAR, IMPL_SHANI, IMPL_AVX2, IMPL_AVX512 };
enum { ALG_MD5, ALG_SHA1, ALG_SHA256 };

static int has_shani, has_avx2, has_avx512;

static void detect_cpu(void) {
#if (defined(__x86_64__) || defined(__i386__)) && !defined(DC_NO_SIMD)
    __builtin_cpu_init();
    has_shani = __builtin_cpu_supports("sha") ? 1 : 0;
    has_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    has_avx512 = (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512vl")) ? 1 : 0;
#endif
}

/* ------------------------------------------------------------------ small helpers */

typedef struct {
    uint64_t *v;
    size_t n, cap;
    int oom;
} u64vec;

static void vec_push(u64vec *a, uint64_t x) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        uint64_t *nv = realloc(a->v, cap * sizeof *nv);
        if (!nv) { a->oom = 1; return; }
        a->v = nv;
        a->cap = cap;
    }
    a->v[a->n++] = x;
}

/* A hit is two values: the candidate (counter value, list row or query number) and the row of
 * the target it matched, so that Python verifies it against that row without a search. */
static void hit_push(u64vec *hits, uint64_t idx, uint64_t row) {
    vec_push(hits, idx);
    vec_push(hits, row);
}

/* The values as one bytes object of native-endian uint64 (numpy reads it without a copy per
 * value: a million hits would otherwise be a million Python ints). */
static PyObject *vec_to_bytes(u64vec *a) {
    if (a->oom) { free(a->v); return PyErr_NoMemory(); }
    PyObject *out = PyBytes_FromStringAndSize(a->n ? (const char *)a->v : "", (Py_ssize_t)(a->n * sizeof *a->v));
    free(a->v);
    return out;
}

typedef void (*compress_fn)(uint32_t st[8], const uint32_t w[16]);

/* SHA-256 of msg, continuing from st after `prefix_len` bytes were already absorbed. */
static void sha256_from(uint32_t st[8], const uint8_t *msg, size_t len, uint64_t prefix_len,
                        compress_fn cf, uint8_t out[32]) {
    uint32_t w[16];
    size_t i = 0;
    for (; i + 64 <= len; i += 64) {
        for (int k = 0; k < 16; k++) w[k] = dc_be32(msg + i + 4 * k);
        cf(st, w);
    }
    uint8_t buf[128] = {0};
    size_t rem = len - i;
    memcpy(buf, msg + i, rem);
    buf[rem] = 0x80;
    size_t total = rem + 9 <= 64 ? 64 : 128;
    uint64_t bits = (prefix_len + (uint64_t)len) * 8;
    for (int k = 0; k < 8; k++) buf[total - 1 - k] = (uint8_t)(bits >> (8 * k));
    for (size_t b = 0; b < total; b += 64) {
        for (int k = 0; k < 16; k++) w[k] = dc_be32(buf + b + 4 * k);
        cf(st, w);
    }
    for (int k = 0; k < 8; k++) dc_put_be32(out + 4 * k, st[k]);
}

static void hash_msg(int alg, const uint8_t *msg, size_t len, compress_fn cf, uint8_t *out) {
    if (alg == ALG_MD5) {
        dc_md5(msg, len, out);
    } else if (alg == ALG_SHA1) {
        dc_sha1(msg, len, out);
    } else {
        uint32_t st[8];
        memcpy(st, dc_IV256, sizeof st);
        sha256_from(st, msg, len, 0, cf, out);
    }
}

static int alg_size(int alg) { return alg == ALG_MD5 ? 16 : alg == ALG_SHA1 ? 20 : 32; }

/* Double hashing: the digest in dig (alg_size bytes) replaced by the digest of its lower-case hex. */
static void second_round(int alg, uint8_t *dig, compress_fn cf) {
    static const char hexd[] = "0123456789abcdef";
    uint8_t hex[64];
    int n = alg_size(alg);
    for (int k = 0; k < n; k++) {
        hex[2 * k] = (uint8_t)hexd[dig[k] >> 4];
        hex[2 * k + 1] = (uint8_t)hexd[dig[k] & 15];
    }
    hash_msg(alg, hex, (size_t)(2 * n), cf, dig);
}

/* The digest of msg under `rounds` (1, or 2 for double hashing over the hex). */
static void hash_rounds(int alg, int rounds, const uint8_t *msg, size_t len, compress_fn cf, uint8_t *out) {
    hash_msg(alg, msg, len, cf, out);
    if (rounds == 2) second_round(alg, out, cf);
}

static int parse_alg(const char *name) {
    if (!strcmp(name, "md5")) return ALG_MD5;
    if (!strcmp(name, "sha1")) return ALG_SHA1;
    if (!strcmp(name, "sha256")) return ALG_SHA256;
    PyErr_Format(PyExc_ValueError, "native engine has no algorithm %s", name);
    return -1;
}

static int parse_rounds(int rounds) {
    if (rounds == 1 || rounds == 2) return rounds;
    PyErr_SetString(PyExc_ValueError, "rounds must be 1 or 2");
    return -1;
}

static int parse_impl(const char *name) {
    int impl;
    if (!strcmp(name, "auto")) return IMPL_AUTO;
    if (!strcmp(name, "scalar")) return IMPL_SCALAR;
    if (!strcmp(name, "sha_ni")) impl = has_shani ? IMPL_SHANI : -1;
    else if (!strcmp(name, "avx2")) impl = has_avx2 ? IMPL_AVX2 : -1;
    else if (!strcmp(name, "avx512")) impl = has_avx512 ? IMPL_AVX512 : -1;
    else impl = -2;
    if (impl == -1) PyErr_Format(PyExc_ValueError, "this CPU lacks %s", name);
    if (impl == -2) PyErr_Format(PyExc_ValueError, "unknown implementation %s", name);
    return impl;
}

/* The compression function for whole messages (lists, HMAC, long masks). */
static compress_fn pick_compress(int impl) {
    if (impl != IMPL_SCALAR && has_shani) return dc_sha256_compress_shani;
    return dc_sha256_compress_scalar;
}

/* ------------------------------------------------------------------ targets */

/* The row of `dig` among the sorted targets, or -1: its directory bucket, a binary search of the
 * bucket's 32-bit prefixes, then the full digests of the rows that share them. */
static int64_t targets_find(const dc_targets *t, const uint8_t *dig) {
    if (!dc_bitmap_test(t, dc_be32(dig + t->dsize - 4))) return -1;
    uint64_t pre = dc_pre64(dig), bucket = dc_bucket(t, pre);
    uint32_t p32 = dc_pre32(t, pre);
    size_t lo = t->dir[bucket], hi = t->dir[bucket + 1], end = hi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->prefix[mid] < p32) lo = mid + 1;
        else hi = mid;
    }
    for (; lo < end && t->prefix[lo] == p32; lo++)
        if (!memcmp(t->digests + lo * (size_t)t->dsize, dig, (size_t)t->dsize)) return (int64_t)lo;
    return -1;
}

/* Zeroed memory on huge pages where the OS offers them: the bitmap is read at random. */
static void *alloc_huge(size_t bytes) {
    void *p = NULL;
    size_t align = bytes >= ((size_t)2 << 20) ? ((size_t)2 << 20) : 64;
    bytes = (bytes + align - 1) / align * align;
    if (posix_memalign(&p, align, bytes)) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (align > 64) madvise(p, bytes, MADV_HUGEPAGE);
#endif
    memset(p, 0, bytes);
    return p;
}

typedef struct {
    dc_targets t;
    Py_buffer view;
    pthread_mutex_t keys_lock; /* one builder of each kind of bitmaps (targets_keys) */
} targets_box;

static void targets_free(PyObject *cap) {
    targets_box *b = PyCapsule_GetPointer(cap, "datacustoms.targets");
    if (!b) return;
    free(b->t.prefix);
    free(b->t.bitmap);
    free(b->t.small);
    free(b->t.dir);
    free(b->t.rbitmap);
    free(b->t.rsmall);
    pthread_mutex_destroy(&b->keys_lock);
    PyBuffer_Release(&b->view);
    free(b);
}

/* The exact-lookup tables of t (n, dsize, digests, bits and dir_bits set): 0, 1 out of memory,
 * 2 digests not sorted; the bitmaps come apart, of the kind a search reads (targets_keys).
 * Touches no Python object, so it runs without the GIL. */
static int targets_build(dc_targets *t) {
    int dsize = t->dsize;
    t->prefix = alloc_huge((t->n ? t->n : 1) * sizeof(uint32_t)); /* read at random, as the bitmap */
    t->dir = alloc_huge((((size_t)1 << t->dir_bits) + 1) * sizeof(uint32_t));
    if (!t->prefix || !t->dir || t->n >= 0xffffffffu) return 1;
    uint64_t last = 0, bucket = 0; /* dir[b] for every b <= bucket is set */
    t->dir[0] = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint64_t pre = dc_pre64(t->digests + i * (size_t)dsize);
        if (i && pre < last) return 2;
        last = pre;
        t->prefix[i] = dc_pre32(t, pre);
        while (bucket < dc_bucket(t, pre)) t->dir[++bucket] = (uint32_t)i;
    }
    while (bucket < ((uint64_t)1 << t->dir_bits)) t->dir[++bucket] = (uint32_t)t->n;
    return 0;
}

/* The word a after round 56 of a one-block SHA-256 computation from the initial state, from its
 * digest alone.  The digest less the initial state is the state after round 63: a64..a61 and
 * e64..e61 (b, c, d and f, g, h are a and e of the rounds before).  Round t set
 * e(t+1) = a(t-3) + T1 and a(t+1) = T1 + T2(a(t), a(t-1), a(t-2)), so
 * a(t-3) = e(t+1) - a(t+1) + T2(a(t), a(t-1), a(t-2)), without the message word: four steps back
 * give a60, a59, a58 and a57. */
static uint32_t a57_of_digest(const uint8_t *dig) {
    uint32_t a[8], e[4]; /* a[k] = a(57 + k), e[k] = e(61 + k) */
    for (int k = 0; k < 4; k++) {
        a[7 - k] = dc_be32(dig + 4 * k) - dc_IV256[k];
        e[3 - k] = dc_be32(dig + 16 + 4 * k) - dc_IV256[4 + k];
    }
    for (int t = 63; t >= 60; t--) /* a(t-3) from e(t+1), a(t+1), a(t), a(t-1), a(t-2) */
        a[t - 60] = e[t - 60] - a[t - 56] + dc_sha256_t2(a[t - 57], a[t - 58], a[t - 59]);
    return a[0];
}

/* The two bitmaps of one kind of key, built once, where they are missing: rev 0, each digest's
 * last word (H7: every lookup by digest, and every search kernel but the REV ones); rev 1, for
 * SHA-256 targets, a after round 56 (the REV kernels).  Each kind costs about 17 MiB for 1 M
 * targets, and fresh memory is slow to fault in on some virtual machines, so a search builds
 * only the kind it reads.  0, or 1 out of memory.  Takes the box's lock: a caller holding the
 * GIL may wait here for a builder that runs without it (py_targets_new's helper thread), which
 * never takes the GIL while it holds the lock. */
#define DC_KEY_BLOCK 64

static int targets_keys(targets_box *b, int rev) {
    dc_targets *t = &b->t;
    pthread_mutex_lock(&b->keys_lock);
    int status = 0;
    if (!(rev ? t->rbitmap : t->bitmap)) {
        uint32_t *big = alloc_huge((((size_t)1 << t->bits) / 32 + 1) * sizeof(uint32_t));
        uint32_t *small = alloc_huge((((size_t)1 << t->small_bits) / 32 + 1) * sizeof(uint32_t));
        if (big && small) {
            /* keys a block ahead of the writes, their bitmap words prefetched for writing: each
             * write to the big bitmap misses the cache, and one at a time they took 2-3 times longer */
            uint32_t keys[2][DC_KEY_BLOCK];
            size_t waiting = 0; /* keys of the block before, still to be written */
            for (size_t i = 0; i < t->n || waiting; i += DC_KEY_BLOCK) {
                uint32_t *next = keys[(i / DC_KEY_BLOCK) & 1], *prev = keys[((i / DC_KEY_BLOCK) & 1) ^ 1];
                size_t m = i >= t->n ? 0 : t->n - i < DC_KEY_BLOCK ? t->n - i : DC_KEY_BLOCK;
                for (size_t j = 0; j < m; j++) {
                    const uint8_t *d = t->digests + (i + j) * (size_t)t->dsize;
                    next[j] = rev ? a57_of_digest(d) : dc_be32(d + t->dsize - 4);
                    __builtin_prefetch(&big[next[j] >> t->shift >> 5], 1);
                }
                for (size_t j = 0; j < waiting; j++) {
                    uint32_t bit = prev[j] >> t->shift;
                    big[bit >> 5] |= 1u << (bit & 31);
                    bit = prev[j] >> t->small_shift;
                    small[bit >> 5] |= 1u << (bit & 31);
                }
                waiting = m;
            }
            if (rev) { t->rbitmap = big; t->rsmall = small; }
            else { t->bitmap = big; t->small = small; }
        } else {
            free(big);
            free(small);
            status = 1;
        }
    }
    pthread_mutex_unlock(&b->keys_lock);
    return status;
}

/* The capsule's box with its H7 bitmaps built (every lookup by digest reads them); NULL with a
 * Python exception set otherwise. */
static targets_box *targets_h7(PyObject *cap) {
    targets_box *b = PyCapsule_GetPointer(cap, "datacustoms.targets");
    if (b && targets_keys(b, 0)) {
        PyErr_NoMemory();
        return NULL;
    }
    return b;
}

/* targets_keys on a helper thread of py_targets_new. */
typedef struct {
    targets_box *box;
    int rev, status;
} keys_job;

static void *keys_main(void *arg) {
    keys_job *job = arg;
    job->status = targets_keys(job->box, job->rev);
    return NULL;
}

static PyObject *py_targets_new(PyObject *self, PyObject *args) {
    Py_buffer view;
    int dsize, bits, keys = -1;
    if (!PyArg_ParseTuple(args, "y*ii|i", &view, &dsize, &bits, &keys)) return NULL;
    if (dsize < 8 || dsize > 64 || view.len % dsize || bits < 5 || bits > 32 || keys < -1 || keys > 1 ||
        (keys == 1 && dsize != 32)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "digest buffer, size, bitmap bits or key kind out of range");
        return NULL;
    }
    targets_box *b = calloc(1, sizeof *b);
    if (!b) { PyBuffer_Release(&view); return PyErr_NoMemory(); }
    b->view = view;
    pthread_mutex_init(&b->keys_lock, NULL);
    dc_targets *t = &b->t;
    t->n = (size_t)view.len / (size_t)dsize;
    t->dsize = dsize;
    t->digests = view.buf;
    t->bits = bits;
    t->shift = 32 - bits;
    t->small_bits = bits < 23 ? bits : 23; /* 1 MiB: most candidates stop here without leaving L2 */
    t->small_shift = 32 - t->small_bits;
    t->dir_bits = 1;
    while (t->dir_bits < 22 && ((size_t)1 << t->dir_bits) < t->n) t->dir_bits++;
    int status, keys_status = 0;
    /* without the GIL: the engine builds the tables while it times its kernels on another core,
     * and the bitmaps asked for on a thread of their own meanwhile (both mostly wait for fresh
     * memory, which some virtual machines are slow to hand out) */
    Py_BEGIN_ALLOW_THREADS
    keys_job job = {b, keys, 0};
    pthread_t helper;
    int spawned = keys >= 0 && pthread_create(&helper, NULL, keys_main, &job) == 0;
    status = targets_build(t);
    if (spawned) pthread_join(helper, NULL);
    else if (keys >= 0) job.status = targets_keys(b, keys);
    keys_status = job.status;
    Py_END_ALLOW_THREADS
    if (!status && keys_status) status = 1;
    if (status) {
        PyObject *tmp = PyCapsule_New(b, "datacustoms.targets", targets_free);
        Py_XDECREF(tmp);
        if (status == 1) return PyErr_NoMemory();
        PyErr_SetString(PyExc_ValueError, "digests must be sorted");
        return NULL;
    }
    return PyCapsule_New(b, "datacustoms.targets", targets_free);
}

/* ------------------------------------------------------------------ masks */

static void plan_free(PyObject *cap) {
    dc_plan *p = PyCapsule_GetPointer(cap, "datacustoms.plan");
    if (!p) return;
    for (int w = 0; w < 16; w++) free(p->lowtab[w]);
    free(p->invrun);
    free(p);
}

/* Word index and bit shift of template byte `pos` inside the tail block. */
static inline int slot_word(const dc_plan *p, int pos) { return (int)((size_t)pos - p->tail_off) >> 2; }
static inline int slot_shift(const dc_plan *p, int pos) {
    int byte = (int)(((size_t)pos - p->tail_off) & 3);
    return p->le ? 8 * byte : 24 - 8 * byte;
}
static inline uint32_t le32(const uint8_t *b) {
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

static int rrn_check(const uint8_t *buf, const int rrn_pos[12]) {
    static const int wts[12] = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
    int s = 0;
    for (int i = 0; i < 12; i++) s += (buf[rrn_pos[i]] - '0') * wts[i];
    return (11 - s % 11) % 10;
}

/* p->invrun (see engine.h), so that a group of lanes whose words 0 and 1 all agree can take the
 * kernel that computes rounds 0-1 once for all lanes: 0, or -1 out of memory. */
static int plan_invrun(dc_plan *p) {
    if (!(p->lowmask & 3)) return 0;
    p->invrun = malloc(p->lowmod);
    if (!p->invrun) return -1;
    for (uint64_t lo = p->lowmod; lo-- > 0;) {
        int same = lo + 1 < p->lowmod;
        for (int w = 0; w < 2 && same; w++)
            if (p->lowmask >> w & 1) same = p->lowtab[w][lo] == p->lowtab[w][lo + 1];
        p->invrun[lo] = (uint8_t)(same && p->invrun[lo + 1] < 255 ? p->invrun[lo + 1] + 1 : 1);
    }
    return 0;
}

static PyObject *py_plan_new(PyObject *self, PyObject *args) {
    Py_buffer tv;
    PyObject *positions, *rrn;
    int check_pos;
    const char *algname = "sha256";
    int rounds = 1;
    if (!PyArg_ParseTuple(args, "y*OiO|si", &tv, &positions, &check_pos, &rrn, &algname, &rounds)) return NULL;
    int alg = parse_alg(algname);
    if (alg < 0 || parse_rounds(rounds) < 0) { PyBuffer_Release(&tv); return NULL; }
    dc_plan *p = calloc(1, sizeof *p);
    if (!p) { PyBuffer_Release(&tv); return PyErr_NoMemory(); }
    p->alg = alg;
    p->rounds = rounds;
    p->le = alg == ALG_MD5;
    PyObject *cap = PyCapsule_New(p, "datacustoms.plan", plan_free);
    if (!cap) { free(p); PyBuffer_Release(&tv); return NULL; }
    if (tv.len > DC_MAX_TEMPLATE) {
        PyBuffer_Release(&tv);
        PyErr_SetString(PyExc_ValueError, "template too long for the native engine");
        goto fail;
    }
    memcpy(p->tmpl, tv.buf, (size_t)tv.len);
    p->len = (size_t)tv.len;
    PyBuffer_Release(&tv);
    Py_ssize_t nd = PySequence_Size(positions);
    if (nd < 0 || nd > DC_MAX_DIGITS) {
        PyErr_SetString(PyExc_ValueError, "too many digit slots for the native engine");
        goto fail;
    }
    p->ndig = (int)nd;
    size_t minpos = p->len;
    for (int i = 0; i < p->ndig; i++) {
        PyObject *o = PySequence_GetItem(positions, i);
        long v = o ? PyLong_AsLong(o) : -1;
        Py_XDECREF(o);
        if (v < 0 || (size_t)v >= p->len) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "slot outside the template");
            goto fail;
        }
        p->pos[i] = (int)v;
        p->tmpl[v] = '0';
        if ((size_t)v < minpos) minpos = (size_t)v;
    }
    p->check_pos = check_pos;
    if (check_pos >= 0) {
        if ((size_t)check_pos >= p->len || PySequence_Size(rrn) != 12) {
            PyErr_SetString(PyExc_ValueError, "check digit slot malformed");
            goto fail;
        }
        for (int i = 0; i < 12; i++) {
            PyObject *o = PySequence_GetItem(rrn, i);
            long v = o ? PyLong_AsLong(o) : -1;
            Py_XDECREF(o);
            if (v < 0 || (size_t)v >= p->len) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "RRN slot outside the template");
                goto fail;
            }
            p->rrn_pos[i] = (int)v;
        }
        if ((size_t)check_pos < minpos) minpos = (size_t)check_pos;
    }
    p->size = 1;
    for (int i = 0; i < p->ndig; i++) p->size *= 10;

    /* SHA-256 fast path: constant leading blocks become a midstate, the rest is one block. */
    p->tail_off = (minpos / 64) * 64;
    if (minpos == p->len) p->tail_off = (p->len / 64) * 64;
    if (alg == ALG_MD5) memcpy(p->mid, dc_IV_MD5, sizeof dc_IV_MD5);
    else if (alg == ALG_SHA1) memcpy(p->mid, dc_IV_SHA1, sizeof dc_IV_SHA1);
    else memcpy(p->mid, dc_IV256, sizeof dc_IV256);
    p->fast = (p->len - p->tail_off) <= 55;
    if (p->fast) {
        uint32_t w[16];
        for (size_t b = 0; b < p->tail_off; b += 64) {
            for (int k = 0; k < 16; k++)
                w[k] = p->le ? le32(p->tmpl + b + 4 * k) : dc_be32(p->tmpl + b + 4 * k);
            if (alg == ALG_MD5) dc_md5_compress_words(p->mid, w);
            else if (alg == ALG_SHA1) dc_sha1_compress_words(p->mid, w);
            else dc_sha256_compress_scalar(p->mid, w);
        }
        uint8_t blk[64] = {0};
        size_t rem = p->len - p->tail_off;
        memcpy(blk, p->tmpl + p->tail_off, rem);
        for (int i = 0; i < p->ndig; i++) blk[p->pos[i] - p->tail_off] = 0;
        if (check_pos >= 0) blk[check_pos - p->tail_off] = 0;
        blk[rem] = 0x80;
        uint64_t bits = (uint64_t)p->len * 8;
        for (int k = 0; k < 8; k++) blk[p->le ? 56 + k : 63 - k] = (uint8_t)(bits >> (8 * k));
        for (int k = 0; k < 16; k++) p->blockw[k] = p->le ? le32(blk + 4 * k) : dc_be32(blk + 4 * k);
        for (int i = 0; i < p->ndig; i++) p->varmask |= 1 << slot_word(p, p->pos[i]);
        if (check_pos >= 0) p->varmask |= 1 << slot_word(p, check_pos);
        for (int w = 0; w < 15; w++)
            if (p->blockw[w] || (p->varmask >> w & 1)) p->nz = w + 1;
        p->k = check_pos >= 0 ? 0 : (p->ndig < 4 ? p->ndig : 4);
        p->lowmod = 1;
        for (int i = 0; i < p->k; i++) p->lowmod *= 10;
        for (int i = p->ndig - p->k; i < p->ndig; i++) p->lowmask |= 1 << slot_word(p, p->pos[i]);
        for (int w = 0; w < 16; w++) {
            if (!(p->lowmask >> w & 1)) continue;
            p->lowtab[w] = calloc(p->lowmod + 64, sizeof(uint32_t));
            if (!p->lowtab[w]) { PyErr_NoMemory(); goto fail; }
            for (uint64_t lo = 0; lo < p->lowmod; lo++) {
                uint64_t v = lo;
                uint32_t acc = 0;
                for (int i = p->ndig - 1; i >= p->ndig - p->k; i--) {
                    uint32_t dgt = (uint32_t)(v % 10);
                    v /= 10;
                    if (slot_word(p, p->pos[i]) == w) acc |= ('0' + dgt) << slot_shift(p, p->pos[i]);
                }
                p->lowtab[w][lo] = acc;
            }
        }
        if (plan_invrun(p) < 0) { PyErr_NoMemory(); goto fail; }
    }
    return cap;
fail:
    Py_DECREF(cap);
    return NULL;
}

/* Write the digits of counter value `idx` into buf (a template copy), plus the check digit. */
static void plan_fill(const dc_plan *p, uint64_t idx, uint8_t *buf) {
    for (int i = p->ndig - 1; i >= 0; i--) {
        buf[p->pos[i]] = (uint8_t)('0' + idx % 10);
        idx /= 10;
    }
    if (p->check_pos >= 0) buf[p->check_pos] = (uint8_t)('0' + rrn_check(buf, p->rrn_pos));
}

/* One group of L candidates in flight: its message words, its H7 keys and where it starts. */
typedef struct {
    _Alignas(64) uint32_t W[16 * 16];
    _Alignas(64) uint32_t keys[16];
    uint64_t first;
    int valid;
    uint32_t pass; /* lanes that passed the coarse bitmap */
} group_buf;

#define DC_DEPTH 8    /* groups in flight: bitmap words are prefetched DC_DEPTH-1 groups ahead */
#define DC_LAG 8    /* bitmap passes between the stages of their exact check */
#define DC_RING 32  /* >= 3 * DC_LAG + 1 entries in flight */

/* The exact check of bitmap passes, software-pipelined over a ring: each new entry prefetches
 * its directory bucket, the entry DC_LAG before it reads the bucket and prefetches the prefix,
 * the one 2*DC_LAG before scans the prefixes and prefetches the digest row, and the one
 * 3*DC_LAG before compares the digests.  Every cache miss has many entries' time to arrive. */
typedef struct {
    uint8_t dig[DC_RING][64];
    uint64_t idx[DC_RING];
    uint64_t pre[DC_RING];
    uint32_t row[DC_RING];
    uint32_t end[DC_RING]; /* the end of the row's directory bucket */
    uint8_t sure[DC_RING]; /* the 32-bit prefix matched one row of the bucket only: no digest compare */
    uint64_t n;
    int exact; /* compare every digest in full (membership); else a unique prefix match is a hit */
} pending_buf;

static inline uint8_t *pend_slot(pending_buf *pb) { return pb->dig[pb->n % DC_RING]; }

static inline void pend_stage(const dc_targets *t, pending_buf *pb, uint64_t k, int stage, u64vec *hits) {
    size_t e = (size_t)(k % DC_RING);
    if (stage == 1) {
        pb->pre[e] = dc_pre64(pb->dig[e]);
        __builtin_prefetch(&t->dir[dc_bucket(t, pb->pre[e])]);
    } else if (stage == 2) {
        uint64_t bucket = dc_bucket(t, pb->pre[e]);
        pb->row[e] = t->dir[bucket];
        pb->end[e] = t->dir[bucket + 1];
        __builtin_prefetch(&t->prefix[pb->row[e]]);
    } else if (stage == 3) {
        size_t r = pb->row[e], end = pb->end[e];
        uint32_t p32 = dc_pre32(t, pb->pre[e]);
        while (r < end && t->prefix[r] < p32) r++;
        pb->row[e] = (uint32_t)r;
        pb->sure[e] = 0;
        if (r < end && t->prefix[r] == p32) {
            if (!pb->exact && (r + 1 == end || t->prefix[r + 1] != p32)) pb->sure[e] = 1;
            else __builtin_prefetch(t->digests + r * (size_t)t->dsize);
        }
    } else if (pb->sure[e]) {
        /* A search's hits are verified in full afterwards (verify_pairs, or hashlib against the
         * row): one target has these dir_bits + 32 bits, so this is the row, and the digest row
         * is not read twice.  A coincidence is refused by the verification like any wrong pair. */
        hit_push(hits, pb->idx[e], pb->row[e]);
    } else {
        uint32_t p32 = dc_pre32(t, pb->pre[e]);
        for (size_t r = pb->row[e]; r < pb->end[e] && t->prefix[r] == p32; r++)
            if (!memcmp(t->digests + r * (size_t)t->dsize, pb->dig[e], (size_t)t->dsize)) {
                hit_push(hits, pb->idx[e], r);
                break;
            }
    }
}

/* Queue the digest just written to pend_slot(pb) and advance the older entries one stage. */
static inline void pend_commit(const dc_targets *t, pending_buf *pb, uint64_t idx, u64vec *hits) {
    uint64_t k = pb->n++;
    pb->idx[k % DC_RING] = idx;
    pend_stage(t, pb, k, 1, hits);
    if (k >= DC_LAG) pend_stage(t, pb, k - DC_LAG, 2, hits);
    if (k >= 2 * DC_LAG) pend_stage(t, pb, k - 2 * DC_LAG, 3, hits);
    if (k >= 3 * DC_LAG) pend_stage(t, pb, k - 3 * DC_LAG, 4, hits);
}

/* Finish every entry still in flight. */
static void flush_pending(const dc_targets *t, pending_buf *pb, u64vec *hits) {
    uint64_t n = pb->n;
    for (int stage = 2; stage <= 4; stage++) {
        uint64_t lag = (uint64_t)(stage - 1) * DC_LAG;
        for (uint64_t k = n > lag ? n - lag : 0; k < n; k++) pend_stage(t, pb, k, stage, hits);
    }
    pb->n = 0;
}

/* Bitmap passes of a one-block SHA-256 search whose full digest comes from the verifier's own
 * code: each plaintext is rebuilt from its counter value (plan_fill, not the kernel's message
 * words or digit tables), padded here and hashed as a whole message from the initial state (not
 * the plan's midstate) by the full 64-round multi-lane kernel, L passes per call.  Those digests
 * go through the exact lookup (every byte compared with the target row), so a hit found this way
 * is verified when it is found: one hash per pass instead of one to find it and one to verify it. */
typedef struct {
    dc_mbfull_kernel full; /* NULL: each pass is hashed at once from the kernel's words */
    int L, n;
    uint64_t idx[16];
    uint8_t pad[64];        /* the template, its padding and its length, slots '0' */
} pass_batch;

/* The padded one-block message of the template (slots and check digit as in p->tmpl). */
static void plan_pad(const dc_plan *p, uint8_t pad[64]) {
    memset(pad, 0, 64);
    memcpy(pad, p->tmpl, p->len);
    pad[p->len] = 0x80;
    for (int q = 0; q < 8; q++) pad[63 - q] = (uint8_t)(((uint64_t)p->len * 8) >> (8 * q));
}

/* Lane j (< n) of W: the padded block of counter idx[j * stride], also written to blk[j]. */
static void fill_lanes(const dc_plan *p, const uint64_t *idx, size_t stride, int n, const uint8_t pad[64],
                       int L, uint32_t *W, uint8_t (*blk)[64]) {
    for (int j = 0; j < n; j++) {
        memcpy(blk[j], pad, 64);
        plan_fill(p, idx[(size_t)j * stride], blk[j]);
        for (int w = 0; w < 16; w++) W[w * L + j] = dc_be32(blk[j] + 4 * w);
    }
}

/* Hash the batched passes in full and queue their digests for the exact check. */
static void flush_passes(const dc_plan *p, const dc_targets *t, pass_batch *b, pending_buf *pb, u64vec *hits) {
    _Alignas(64) uint32_t W[16 * 16] = {0}, st[8 * 16];
    uint8_t blk[16][64];
    if (!b->n) return;
    fill_lanes(p, b->idx, 1, b->n, b->pad, b->L, W, blk);
    b->full(dc_IV256, W, st);
    for (int j = 0; j < b->n; j++) {
        uint8_t *dig = pend_slot(pb);
        for (int w = 0; w < 8; w++) dc_put_be32(dig + 4 * w, st[w * b->L + j]);
        pend_commit(t, pb, b->idx[j], hits);
    }
    b->n = 0;
}

/* Bitmap test of a finished group (its bitmap words were prefetched groups ago), then the full
 * digest of the rare lanes that pass, queued for the batched exact check. */
static void check_group(const dc_plan *p, const dc_targets *t, const group_buf *g, int L, compress_fn cf,
                        pass_batch *pbat, pending_buf *pb, u64vec *hits) {
    for (uint32_t m = g->pass; m; m &= m - 1) {
        int j = __builtin_ctz(m);
        if (!dc_bitmap_test(t, g->keys[j])) continue;
        if (pbat->full) {
            pbat->idx[pbat->n++] = g->first + (uint64_t)j;
            if (pbat->n == pbat->L) flush_passes(p, t, pbat, pb, hits);
            continue;
        }
        uint32_t w[16], st[8];
        uint8_t *dig = pend_slot(pb);
        for (int k = 0; k < 16; k++) w[k] = g->W[k * L + j];
        memcpy(st, p->mid, sizeof st);
        if (p->alg == ALG_SHA256) {
            cf(st, w);
            for (int k = 0; k < 8; k++) dc_put_be32(dig + 4 * k, st[k]);
        } else if (p->alg == ALG_SHA1) {
            dc_sha1_compress_words(st, w);
            for (int k = 0; k < 5; k++) dc_put_be32(dig + 4 * k, st[k]);
        } else {
            dc_md5_compress_words(st, w);
            for (int k = 0; k < 16; k++) dig[k] = (uint8_t)(st[k / 4] >> (8 * (k % 4)));
        }
        if (p->rounds == 2) second_round(p->alg, dig, cf);
        pend_commit(t, pb, g->first + (uint64_t)j, hits);
    }
}

/* Stage 1, right after hashing: prefetch every lane's coarse bitmap word (1 MiB, mostly L2). */
static inline void prefetch_coarse(const dc_targets *t, const group_buf *g, int L) {
    for (int j = 0; j < L; j++) __builtin_prefetch(&t->small[(g->keys[j] >> t->small_shift) >> 5]);
}

/* Stage 2, DC_DEPTH/2 groups later: test the coarse bitmap and prefetch the fine bitmap word of
 * the ~10 % of lanes that pass; stage 3 (check_group) reads those words DC_DEPTH/2 groups later. */
static inline void filter_coarse(const dc_targets *t, group_buf *g, int L) {
    uint32_t pass = 0;
    for (int j = 0; j < L; j++) { /* every lane, without a branch each; lanes past `valid` masked after */
        uint32_t b = g->keys[j] >> t->small_shift;
        uint32_t hit = (t->small[b >> 5] >> (b & 31)) & 1u;
        pass |= hit << j;
    }
    pass &= (uint32_t)((1ull << g->valid) - 1);
    for (uint32_t m = pass; m; m &= m - 1) {
        int j = __builtin_ctz(m);
        __builtin_prefetch(&t->bitmap[(g->keys[j] >> t->shift) >> 5]);
    }
    g->pass = pass;
}

/* filter_coarse, with one gather for the 16 lanes where vec. */
static inline void filter_group(const dc_targets *t, group_buf *g, int L, int vec) {
    if (!vec) {
        filter_coarse(t, g, L);
        return;
    }
    g->pass = dc_bitmap_lanes_avx512(t->small, t->small_shift, g->keys) & (uint32_t)((1ull << g->valid) - 1);
    for (uint32_t m = g->pass; m; m &= m - 1)
        __builtin_prefetch(&t->bitmap[(g->keys[__builtin_ctz(m)] >> t->shift) >> 5]);
}

/* Message words of lanes [first, first+valid) for masks with a check digit (no table). */
static void fill_generic(const dc_plan *p, group_buf *g, int L, uint8_t *buf) {
    for (int j = 0; j < L; j++) {
        plan_fill(p, g->first + (uint64_t)(j < g->valid ? j : 0), buf);
        for (int w = 0; w < 16; w++) {
            if (!(p->varmask >> w & 1)) continue;
            uint32_t acc = p->blockw[w];
            for (int d = 0; d < p->ndig; d++)
                if (slot_word(p, p->pos[d]) == w) acc |= (uint32_t)buf[p->pos[d]] << slot_shift(p, p->pos[d]);
            if (p->check_pos >= 0 && slot_word(p, p->check_pos) == w)
                acc |= (uint32_t)buf[p->check_pos] << slot_shift(p, p->check_pos);
            g->W[w * L + j] = acc;
        }
    }
}

/* The kernel for groups whose lanes share words 0 and 1, where kern has one (NULL otherwise). */
static dc_mb_kernel inv2_kernel(dc_mb_kernel kern) {
    static const dc_mb_kernel pairs[][2] = {
        {dc_mb_avx512_nz3, dc_mb_avx512_nz3_inv2}, {dc_mb_avx512_nz4, dc_mb_avx512_nz4_inv2},
        {dc_mb_avx2_nz3, dc_mb_avx2_nz3_inv2}, {dc_mb_avx2_nz4, dc_mb_avx2_nz4_inv2},
        {dc_mb_avx512_nz3_rev, dc_mb_avx512_nz3_inv2_rev}, {dc_mb_avx512_nz4_rev, dc_mb_avx512_nz4_inv2_rev},
        {dc_mb_avx2_nz3_rev, dc_mb_avx2_nz3_inv2_rev}, {dc_mb_avx2_nz4_rev, dc_mb_avx2_nz4_inv2_rev},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (kern == pairs[i][0]) return pairs[i][1];
    return NULL;
}

/* The one-block SHA-256 path over [start, stop) with a multi-buffer kernel of L lanes.  Groups
 * are software-pipelined: while group n is hashed, the bitmap words of group n-1 arrive. */
static void run_fast(const dc_plan *p, const dc_targets *t, uint64_t start, uint64_t stop,
                     dc_mb_kernel kern, int L, compress_fn cf, dc_mbfull_kernel full, int FL, u64vec *hits) {
    group_buf gb[DC_DEPTH]; /* on the stack (~14 KiB): thread-local storage costs a call per access */
    pending_buf pb;
    pass_batch pbat;
    uint8_t buf[DC_MAX_TEMPLATE];
    uint32_t basew[16];
    memcpy(buf, p->tmpl, p->len);
    pb.n = 0;
    /* with full: every digest compared in full, so the hits are verified here; without it the
     * caller verifies every hit in full */
    pb.exact = full != NULL;
    pbat.full = full;
    pbat.L = FL;
    pbat.n = 0;
    if (full) plan_pad(p, pbat.pad);
    for (int n = 0; n < DC_DEPTH; n++)
        for (int w = 0; w < 16; w++)
            for (int j = 0; j < L; j++) gb[n].W[w * L + j] = p->blockw[w];
    uint64_t i = start, hi = UINT64_MAX, bstart = 0, bend = 0;
    uint64_t issued = 0, filtered = 0, checked = 0;
    dc_mb_kernel kinv = p->check_pos < 0 ? inv2_kernel(kern) : NULL, kcur = kern;
    int vec = has_avx512 && L == 16; /* the loop's own steps in AVX-512 too */
    while (i < stop) {
        int cur = (int)(issued % DC_DEPTH);
        group_buf *g = &gb[cur];
        g->first = i;
        if (p->check_pos >= 0) {
            g->valid = stop - i < (uint64_t)L ? (int)(stop - i) : L;
            fill_generic(p, g, L, buf);
        } else {
            if (i >= bend) { /* a new block of lowmod candidates: the high digits change */
                hi = i / p->lowmod;
                bstart = hi * p->lowmod;
                bend = bstart + p->lowmod < stop ? bstart + p->lowmod : stop;
                uint64_t v = hi;
                memcpy(basew, p->blockw, sizeof basew);
                for (int d = p->ndig - p->k - 1; d >= 0; d--) {
                    basew[slot_word(p, p->pos[d])] |= (uint32_t)('0' + v % 10) << slot_shift(p, p->pos[d]);
                    v /= 10;
                }
            }
            g->valid = bend - i < (uint64_t)L ? (int)(bend - i) : L;
            uint64_t lo = i - bstart;
            /* words 0-1 the same in every lane: either they hold no low digit, or the group stops
             * where they change (a short group costs less than the kernel that cannot share them,
             * which besides is cold in the instruction cache when only every 60th group needs it) */
            if (kinv && p->invrun && p->invrun[lo] < g->valid) g->valid = p->invrun[lo];
            kcur = kinv ? kinv : kern;
            if (vec) {
                dc_fill_rows_avx512(basew, p->varmask, p->lowmask, p->lowtab, lo, g->W);
            } else for (int w = 0; w < 16; w++) {
                if (!(p->varmask >> w & 1)) continue;
                uint32_t bw = basew[w];
                uint32_t *row = g->W + w * L;
                if (p->lowmask >> w & 1) {
                    const uint32_t *lt = p->lowtab[w] + lo;
                    for (int j = 0; j < L; j++) row[j] = bw | lt[j];
                } else {
                    for (int j = 0; j < L; j++) row[j] = bw;
                }
            }
        }
        kcur(p->mid, g->W, g->keys);
        issued++;
        i += (uint64_t)g->valid;
        if (vec && t->small_bits <= 18) { /* a coarse bitmap in L1: tested at once */
            filter_group(t, g, L, vec);
            filtered++;
        } else {
            if (vec) dc_prefetch_lanes_avx512(t->small, t->small_shift, g->keys);
            else prefetch_coarse(t, g, L);
            if (issued - filtered == DC_DEPTH / 2) filter_group(t, &gb[filtered++ % DC_DEPTH], L, vec);
        }
        if (issued - checked == DC_DEPTH) check_group(p, t, &gb[checked++ % DC_DEPTH], L, cf, &pbat, &pb, hits);
    }
    while (filtered < issued) filter_group(t, &gb[filtered++ % DC_DEPTH], L, vec);
    while (checked < issued) check_group(p, t, &gb[checked++ % DC_DEPTH], L, cf, &pbat, &pb, hits);
    flush_passes(p, t, &pbat, &pb, hits);
    flush_pending(t, &pb, hits);
}

/* Any algorithm, any template length: an odometer over a template copy. */
static void run_slow(const dc_plan *p, const dc_targets *t, int alg, uint64_t start, uint64_t stop,
                     compress_fn cf, u64vec *hits) {
    uint8_t buf[DC_MAX_TEMPLATE];
    uint8_t dig[32];
    memcpy(buf, p->tmpl, p->len);
    plan_fill(p, start, buf);
    for (uint64_t i = start; i < stop; i++) {
        hash_rounds(alg, p->rounds, buf, p->len, cf, dig);
        int64_t row = targets_find(t, dig);
        if (row >= 0) hit_push(hits, i, (uint64_t)row);
        for (int d = p->ndig - 1; d >= 0; d--) {
            if (++buf[p->pos[d]] <= '9') break;
            buf[p->pos[d]] = '0';
        }
        if (p->check_pos >= 0) buf[p->check_pos] = (uint8_t)('0' + rrn_check(buf, p->rrn_pos));
    }
}

/* The arguments both searches share: the target set, the algorithm (whose digest size must be
 * the targets') and the implementation; NULL with a Python exception set when one is wrong. */
static targets_box *search_args(PyObject *tc, const char *algname, const char *implname, int *alg, int *impl) {
    targets_box *tb = PyCapsule_GetPointer(tc, "datacustoms.targets");
    if (!tb || (*alg = parse_alg(algname)) < 0 || (*impl = parse_impl(implname)) < 0) return NULL;
    if (alg_size(*alg) != tb->t.dsize) {
        PyErr_SetString(PyExc_ValueError, "target digests do not match the algorithm's size");
        return NULL;
    }
    return tb;
}

/* The SHA-256 search kernel for a plan: the narrowest zero-word specialisation that fits, and
 * its lane count in *L. */
static dc_mb_kernel pick_sha256_kernel(const dc_plan *p, int avx512, int rev, int *L) {
    static const dc_mb_kernel by[2][2][4] = { /* [avx512][rev][nz 3, 4, 5, other] */
        {{dc_mb_avx2_nz3, dc_mb_avx2_nz4, dc_mb_avx2_nz5, dc_mb_avx2},
         {dc_mb_avx2_nz3_rev, dc_mb_avx2_nz4_rev, dc_mb_avx2_nz5_rev, dc_mb_avx2_rev}},
        {{dc_mb_avx512_nz3, dc_mb_avx512_nz4, dc_mb_avx512_nz5, dc_mb_avx512},
         {dc_mb_avx512_nz3_rev, dc_mb_avx512_nz4_rev, dc_mb_avx512_nz5_rev, dc_mb_avx512_rev}},
    };
    *L = avx512 ? DC_AVX512_LANES : DC_AVX2_LANES;
    return by[avx512][rev][p->nz <= 3 ? 0 : p->nz == 4 ? 1 : p->nz == 5 ? 2 : 3];
}

/* The SHA-NI kernel works on groups of four words: one zero-word specialisation (words 4..14). */
static dc_mb_kernel pick_shani_kernel(const dc_plan *p, int rev) {
    if (rev) return p->nz <= 4 ? dc_mb_shani_nz4_rev : dc_mb_shani_rev;
    return p->nz <= 4 ? dc_mb_shani_nz4 : dc_mb_shani;
}

/* Whether search_range runs a REV kernel for this plan and implementation: one-block SHA-256
 * from the initial state (the targets' round-56 keys are computed from it) on the AVX-512,
 * SHA-NI or AVX2 path (portable C is keyed by H7). */
static int uses_rev(const dc_plan *p, int impl) {
    if (p->alg != ALG_SHA256 || p->rounds != 1 || !p->fast || p->tail_off != 0) return 0;
    return impl == IMPL_AUTO ? has_avx512 || has_shani || has_avx2 : impl != IMPL_SCALAR;
}

/* The one-block SHA-256 SIMD kernel search_range runs for impl (auto: AVX-512, else SHA-NI,
 * else AVX2), keyed by round 56 with rev, and its lane count in *L; NULL where that is portable C. */
static dc_mb_kernel simd_sha256_kernel(const dc_plan *p, int impl, int rev, int *L) {
    if (impl == IMPL_AVX512 || (impl == IMPL_AUTO && has_avx512)) return pick_sha256_kernel(p, 1, rev, L);
    if (impl == IMPL_SHANI || (impl == IMPL_AUTO && has_shani)) {
        *L = DC_SHANI_LANES;
        return pick_shani_kernel(p, rev);
    }
    if (impl == IMPL_AVX2 || (impl == IMPL_AUTO && has_avx2)) return pick_sha256_kernel(p, 0, rev, L);
    return NULL;
}

/* Parse search_mask's arguments: the plan, the target set, the implementation and the range
 * (clipped to the mask), with the bitmaps the search reads built; 0, or -1 with a Python
 * exception set. */

static int search_mask_args(PyObject *args, dc_plan **pp, targets_box **tbp, int *impl, uint64_t *start,
                            uint64_t *stop) {
    PyObject *pc, *tc;
    const char *algname, *implname;
    unsigned long long a, b;
    if (!PyArg_ParseTuple(args, "OOsKKs", &pc, &tc, &algname, &a, &b, &implname)) return -1;
    dc_plan *p = PyCapsule_GetPointer(pc, "datacustoms.plan");
    if (!p) return -1;
    int alg;
    targets_box *tb = search_args(tc, algname, implname, &alg, impl);
    if (!tb) return -1;
    if (alg != p->alg) {
        PyErr_SetString(PyExc_ValueError, "the mask was prepared for another algorithm");
        return -1;
    }
    /* the bitmaps of the keys the search reads (built once); short of memory for the REV
     * kernels' own, the search takes the H7 kernels */
    if (!(uses_rev(p, *impl) && !targets_keys(tb, 1)) && targets_keys(tb, 0)) {
        PyErr_NoMemory();
        return -1;
    }
    *pp = p;
    *tbp = tb;
    *start = a;
    *stop = b > p->size ? p->size : b;
    return 0;
}

/* The whole-message SHA-256 code the verifier hashes one-block messages with, L lanes at a
 * time: the full 64-round multi-lane kernel (AVX-512 or AVX2), not the search kernels (which
 * stop after round 56 or 60 and start from the plan's midstate and digit tables); NULL where the CPU
 * has neither. */
static dc_mbfull_kernel verify_kernel(const dc_plan *p, int *L) {
    if (p->alg != ALG_SHA256 || p->rounds != 1 || p->len > 55) return NULL;
    if (has_avx512) { *L = DC_AVX512_LANES; return dc_mbfull_avx512; }
    if (has_avx2) { *L = DC_AVX2_LANES; return dc_mbfull_avx2; }
    return NULL;
}

/* Enumerate [start, stop) of the plan into hits; called with the GIL released.  With verify,
 * one-block SHA-256 searches hash their bitmap passes with the verifier's code (pass_batch) and
 * return 1: their hits are verified.  Otherwise 0: the caller verifies them (verify_pairs). */
static int search_range(const dc_plan *p, targets_box *tb, int impl, uint64_t start, uint64_t stop, int verify,
                        u64vec *hits) {
    int alg = p->alg;
    if (start >= stop || tb->t.n == 0) return verify && verify_kernel(p, &(int){0});
    if (p->rounds == 2 && p->fast && (impl == IMPL_AVX512 || (impl == IMPL_AUTO && has_avx512))) {
        dc_mb_kernel k = alg == ALG_MD5 ? dc_mb2_md5_avx512 : alg == ALG_SHA1 ? dc_mb2_sha1_avx512 : dc_mb2_sha256_avx512;
        run_fast(p, &tb->t, start, stop, k, DC_AVX512_LANES, pick_compress(impl), NULL, 0, hits);
    } else if (p->rounds == 2 && p->fast && alg == ALG_SHA256 &&
               (impl == IMPL_SHANI || (impl == IMPL_AUTO && has_shani))) {
        run_fast(p, &tb->t, start, stop, dc_mb2_sha256_shani, DC_SHANI_LANES, pick_compress(impl), NULL, 0, hits);
    } else if (p->rounds == 2 && p->fast && (impl == IMPL_AVX2 || (impl == IMPL_AUTO && has_avx2))) {
        dc_mb_kernel k = alg == ALG_MD5 ? dc_mb2_md5_avx2 : alg == ALG_SHA1 ? dc_mb2_sha1_avx2 : dc_mb2_sha256_avx2;
        run_fast(p, &tb->t, start, stop, k, DC_AVX2_LANES, pick_compress(impl), NULL, 0, hits);
    } else if (p->rounds == 2) { /* no multi-buffer double kernel for this CPU or choice */
        run_slow(p, &tb->t, alg, start, stop, pick_compress(impl), hits);
    } else if (alg != ALG_SHA256 && p->fast && (impl == IMPL_AVX512 || (impl == IMPL_AUTO && has_avx512))) {
        run_fast(p, &tb->t, start, stop, alg == ALG_MD5 ? dc_mb_md5_avx512 : dc_mb_sha1_avx512,
                 DC_AVX512_LANES, dc_sha256_compress_scalar, NULL, 0, hits);
    } else if (alg != ALG_SHA256 && p->fast && (impl == IMPL_AVX2 || (impl == IMPL_AUTO && has_avx2))) {
        run_fast(p, &tb->t, start, stop, alg == ALG_MD5 ? dc_mb_md5_avx2 : dc_mb_sha1_avx2,
                 DC_AVX2_LANES, dc_sha256_compress_scalar, NULL, 0, hits);
    } else if (alg == ALG_SHA256 && p->fast) {
        compress_fn cf = (impl != IMPL_SCALAR && has_shani) ? dc_sha256_compress_shani
                                                             : dc_sha256_compress_scalar;
        int FL = 0, L = 0;
        dc_mbfull_kernel full = verify ? verify_kernel(p, &FL) : NULL;
        /* the REV kernels' keys come with their own bitmaps; the exact check is the same */
        int rev = uses_rev(p, impl) && tb->t.rbitmap;
        dc_targets tr = tb->t;
        if (rev) { tr.bitmap = tb->t.rbitmap; tr.small = tb->t.rsmall; }
        dc_mb_kernel k = simd_sha256_kernel(p, impl, rev, &L);
        if (k) {
            run_fast(p, &tr, start, stop, k, L, cf, full, FL, hits);
        } else {
            run_fast(p, &tb->t, start, stop, dc_mb_scalar, DC_SCALAR_LANES, cf, full, FL, hits);
        }
        return full != NULL;
    } else {
        run_slow(p, &tb->t, alg, start, stop, pick_compress(impl), hits);
    }
    return 0;
}

static PyObject *py_search_mask(PyObject *self, PyObject *args) {
    dc_plan *p;
    targets_box *tb;
    int impl;
    uint64_t start, stop;
    if (search_mask_args(args, &p, &tb, &impl, &start, &stop) < 0) return NULL;
    u64vec hits = {0};
    Py_BEGIN_ALLOW_THREADS
    search_range(p, tb, impl, start, stop, 0, &hits);
    Py_END_ALLOW_THREADS
    return vec_to_bytes(&hits);
}

/* ------------------------------------------------------------------ hit verification */

static int cmp_pair(const void *a, const void *b) {
    uint64_t x = ((const uint64_t *)a)[0], y = ((const uint64_t *)b)[0];
    return x < y ? -1 : x > y;
}

/* Verify pairs [b, e) with the multi-lane kernel: each lane's block is the template, its
 * counter's digits (plan_fill), the padding and the length, written here from the plan's
 * template (never the kernel's message words or digit tables); the lane's state after all 64
 * rounds from the initial state is compared word by word with the target row.  Returns the
 * pairs kept, written from v + 2 * kept on with their plaintexts (kept <= b, so in place). */
static size_t verify_lanes(const dc_plan *p, const dc_targets *t, uint64_t *v, size_t b, size_t e, size_t kept,
                           uint8_t *plain, dc_mbfull_kernel full, int L, const uint8_t pad[64]) {
    _Alignas(64) uint32_t W[16 * 16], st[8 * 16];
    uint8_t blk[16][64];
    uint32_t ok = 0;
    fill_lanes(p, v + 2 * b, 2, (int)(e - b), pad, L, W, blk);
    for (size_t i = b; i < e; i++)
        if (v[2 * i] < p->size && v[2 * i + 1] < t->n) ok |= 1u << (i - b);
    full(dc_IV256, W, st);
    for (size_t i = b; i < e; i++) {
        int j = (int)(i - b);
        if (!(ok >> j & 1)) continue;
        uint64_t idx = v[2 * i], row = v[2 * i + 1];
        const uint8_t *want = t->digests + row * 32;
        int same = 1;
        for (int w = 0; w < 8; w++) same &= st[w * L + j] == dc_be32(want + 4 * w);
        if (!same) continue;
        v[2 * kept] = idx;
        v[2 * kept + 1] = row;
        memcpy(plain + kept * p->len, blk[j], p->len);
        kept++;
    }
    return kept;
}

/* Verify (counter, target row) pairs a mask search reported, independently of the search: each
 * plaintext is rebuilt from its counter value (plan_fill, not the kernel's message words or
 * digit tables), padded here and hashed as a whole message from the initial state (not the
 * plan's midstate), and compared in full with the target row it was reported against.  One-block
 * SHA-256 messages go through the full multi-lane kernel 16 (AVX-512) or 8 (AVX2) at a time;
 * the rest through the whole-message code (SHA-256: SHA-NI where the CPU has it, else the
 * portable scalar compression; MD5 and SHA-1: the portable code).  The target rows of the next
 * batch are prefetched while one batch is hashed: a million hits read a million random rows of
 * a table far larger than the caches.  The engine checks this function against hashlib before
 * trusting it, and the caller's sampled hashlib re-check guards it further.  Pairs that fail are
 * dropped; the kept ones come back sorted by counter value with their plaintexts. */
static size_t verify_pairs(const dc_plan *p, const dc_targets *t, uint64_t *v, size_t k, uint8_t *plain) {
    int sorted = 1;
    for (size_t i = 1; i < k && sorted; i++) sorted = v[2 * i - 2] <= v[2 * i];
    if (!sorted) qsort(v, k, 2 * sizeof(uint64_t), cmp_pair);
    int L = 16;
    dc_mbfull_kernel full = verify_kernel(p, &L);
    compress_fn cf = pick_compress(IMPL_AUTO);
    uint8_t pad[64] = {0};
    uint8_t buf[DC_MAX_TEMPLATE];
    uint8_t dig[32];
    size_t kept = 0, ds = (size_t)t->dsize;
    if (full) plan_pad(p, pad);
    memcpy(buf, p->tmpl, p->len);
    for (size_t b = 0; b < k; b += (size_t)L) {
        size_t e = b + (size_t)L < k ? b + (size_t)L : k;
        for (size_t i = e; i < e + (size_t)L && i < k; i++)
            if (v[2 * i + 1] < t->n) __builtin_prefetch(t->digests + v[2 * i + 1] * ds);
        if (full) {
            kept = verify_lanes(p, t, v, b, e, kept, plain, full, L, pad);
            continue;
        }
        for (size_t i = b; i < e; i++) {
            uint64_t idx = v[2 * i], row = v[2 * i + 1];
            if (idx >= p->size || row >= t->n) continue;
            plan_fill(p, idx, buf);
            hash_rounds(p->alg, p->rounds, buf, p->len, cf, dig);
            if (memcmp(dig, t->digests + row * ds, ds)) continue;
            v[2 * kept] = idx;
            v[2 * kept + 1] = row;
            memcpy(plain + kept * p->len, buf, p->len);
            kept++;
        }
    }
    return kept;
}

/* (verified pairs, plaintexts, rejected count): the pairs and plaintexts are written straight
 * into the two bytes objects returned, so a chunk's hits are copied once. */
static PyObject *verified_result(uint64_t *v, size_t k, size_t kept, uint8_t *plain, size_t len) {
    PyObject *pairs = PyBytes_FromStringAndSize(kept ? (const char *)v : "", (Py_ssize_t)(kept * 2 * sizeof *v));
    PyObject *texts = PyBytes_FromStringAndSize(kept ? (const char *)plain : "", (Py_ssize_t)(kept * len));
    free(v);
    free(plain);
    if (!pairs || !texts) { Py_XDECREF(pairs); Py_XDECREF(texts); return NULL; }
    return Py_BuildValue("(NNn)", pairs, texts, (Py_ssize_t)(k - kept));
}

static PyObject *py_verify_mask_hits(PyObject *self, PyObject *args) {
    PyObject *pc, *tc;
    Py_buffer in;
    if (!PyArg_ParseTuple(args, "OOy*", &pc, &tc, &in)) return NULL;
    dc_plan *p = PyCapsule_GetPointer(pc, "datacustoms.plan");
    targets_box *tb = p ? PyCapsule_GetPointer(tc, "datacustoms.targets") : NULL;
    if (!tb || in.len % (Py_ssize_t)(2 * sizeof(uint64_t)) || alg_size(p->alg) != tb->t.dsize) {
        PyBuffer_Release(&in);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "pairs or targets do not fit the plan");
        return NULL;
    }
    size_t k = (size_t)in.len / (2 * sizeof(uint64_t));
    uint64_t *v = malloc(k ? (size_t)in.len : 16);
    uint8_t *plain = malloc(k * p->len + 1);
    if (!v || !plain) { free(v); free(plain); PyBuffer_Release(&in); return PyErr_NoMemory(); }
    memcpy(v, in.buf, (size_t)in.len);
    PyBuffer_Release(&in);
    size_t kept;
    Py_BEGIN_ALLOW_THREADS
    kept = verify_pairs(p, &tb->t, v, k, plain);
    Py_END_ALLOW_THREADS
    return verified_result(v, k, kept, plain, p->len);
}

/* search_mask followed by verify_pairs in one call with the GIL released for both, on the
 * search's own hit buffer: what the engine's worker threads run, so hits reach Python verified,
 * sorted and with plaintexts. */
static PyObject *py_search_mask_verified(PyObject *self, PyObject *args) {
    dc_plan *p;
    targets_box *tb;
    int impl;
    uint64_t start, stop;
    if (search_mask_args(args, &p, &tb, &impl, &start, &stop) < 0) return NULL;
    u64vec hits = {0};
    uint8_t *plain = NULL;
    size_t k = 0, kept = 0;
    Py_BEGIN_ALLOW_THREADS
    int done = search_range(p, tb, impl, start, stop, 1, &hits);
    k = hits.n / 2;
    plain = hits.oom ? NULL : malloc(k * p->len + 1);
    if (plain && done) { /* verified in the search, in counter order: only the plaintexts */
        for (size_t i = 0; i < k; i++) {
            memcpy(plain + i * p->len, p->tmpl, p->len);
            plan_fill(p, hits.v[2 * i], plain + i * p->len);
        }
        kept = k;
    } else if (plain) {
        kept = verify_pairs(p, &tb->t, hits.v, k, plain);
    }
    Py_END_ALLOW_THREADS
    if (!plain) { free(hits.v); return PyErr_NoMemory(); }
    if (!hits.v) hits.v = malloc(16); /* no hits: verified_result frees it */
    return verified_result(hits.v, k, kept, plain, p->len);
}

/* ------------------------------------------------------------------ Arrow string arrays */

typedef struct {
    Py_buffer offsets, data;
    Py_ssize_t offset, length;
    int owidth;
} arrow_strings;

static int strings_parse(PyObject *offs, PyObject *data, Py_ssize_t offset, Py_ssize_t length, int owidth,
                         arrow_strings *s) {
    memset(s, 0, sizeof *s);
    if (owidth != 4 && owidth != 8) {
        PyErr_SetString(PyExc_ValueError, "offset width must be 4 or 8");
        return -1;
    }
    if (PyObject_GetBuffer(offs, &s->offsets, PyBUF_SIMPLE) < 0) return -1;
    if (data == Py_None) {
        s->data.buf = NULL;
        s->data.len = 0;
        s->data.obj = NULL;
    } else if (PyObject_GetBuffer(data, &s->data, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&s->offsets);
        return -1;
    }
    s->offset = offset;
    s->length = length;
    s->owidth = owidth;
    if (offset < 0 || length < 0 || (offset + length + 1) * owidth > s->offsets.len) {
        PyErr_SetString(PyExc_ValueError, "offsets buffer too short");
        goto bad;
    }
    /* every offset must lie inside the data buffer and never go backwards */
    int64_t prev = -1;
    for (Py_ssize_t i = offset; i <= offset + length; i++) {
        int64_t o = owidth == 4 ? ((const int32_t *)s->offsets.buf)[i] : ((const int64_t *)s->offsets.buf)[i];
        if (o < prev || o < 0 || o > s->data.len) {
            PyErr_SetString(PyExc_ValueError, "offsets outside the data buffer");
            goto bad;
        }
        prev = o;
    }
    return 0;
bad:
    PyBuffer_Release(&s->offsets);
    if (s->data.obj) PyBuffer_Release(&s->data);
    return -1;
}

static void strings_release(arrow_strings *s) {
    PyBuffer_Release(&s->offsets);
    if (s->data.obj) PyBuffer_Release(&s->data);
}

static inline const uint8_t *strings_item(const arrow_strings *s, Py_ssize_t i, size_t *len) {
    Py_ssize_t k = s->offset + i;
    int64_t a, b;
    if (s->owidth == 4) {
        a = ((const int32_t *)s->offsets.buf)[k];
        b = ((const int32_t *)s->offsets.buf)[k + 1];
    } else {
        a = ((const int64_t *)s->offsets.buf)[k];
        b = ((const int64_t *)s->offsets.buf)[k + 1];
    }
    *len = (size_t)(b - a);
    return (const uint8_t *)s->data.buf + a;
}

static PyObject *py_search_list(PyObject *self, PyObject *args) {
    PyObject *offs, *data, *tc;
    Py_ssize_t offset, length;
    int owidth;
    const char *algname, *implname;
    int rounds = 1;
    if (!PyArg_ParseTuple(args, "OOnniOss|i", &offs, &data, &offset, &length, &owidth, &tc, &algname, &implname,
                          &rounds))
        return NULL;
    int alg, impl;
    targets_box *tb = search_args(tc, algname, implname, &alg, &impl);
    if (!tb || parse_rounds(rounds) < 0 || !targets_h7(tc)) return NULL;
    arrow_strings s;
    if (strings_parse(offs, data, offset, length, owidth, &s) < 0) return NULL;
    u64vec hits = {0};
    compress_fn cf = pick_compress(impl);
    Py_BEGIN_ALLOW_THREADS
    uint8_t dig[32];
    for (Py_ssize_t i = 0; i < length && tb->t.n; i++) {
        size_t n;
        const uint8_t *m = strings_item(&s, i, &n);
        hash_rounds(alg, rounds, m, n, cf, dig);
        int64_t row = targets_find(&tb->t, dig);
        if (row >= 0) hit_push(&hits, (uint64_t)i, (uint64_t)row);
    }
    Py_END_ALLOW_THREADS
    strings_release(&s);
    return vec_to_bytes(&hits);
}

/* ------------------------------------------------------------------ HMAC-SHA-256 batch */

static void hmac_states(const uint8_t *key, size_t klen, compress_fn cf, uint32_t ist[8], uint32_t ost[8]) {
    uint8_t k0[64] = {0};
    if (klen > 64) {
        uint32_t st[8];
        memcpy(st, dc_IV256, sizeof st);
        sha256_from(st, key, klen, 0, cf, k0);
    } else {
        memcpy(k0, key, klen);
    }
    uint32_t wi[16], wo[16];
    for (int k = 0; k < 16; k++) {
        uint32_t v = dc_be32(k0 + 4 * k);
        wi[k] = v ^ 0x36363636u;
        wo[k] = v ^ 0x5c5c5c5cu;
    }
    memcpy(ist, dc_IV256, 32);
    memcpy(ost, dc_IV256, 32);
    cf(ist, wi);
    cf(ost, wo);
}

/* One row, any length, with a scalar compression function. */
static void hmac_one(const uint32_t ist[8], const uint32_t ost[8], const arrow_strings *s, Py_ssize_t i,
                     uint8_t *out, compress_fn cf) {
    size_t n;
    const uint8_t *m = strings_item(s, i, &n);
    uint32_t st[8], ow[16] = {0};
    uint8_t inner[32];
    memcpy(st, ist, sizeof st);
    sha256_from(st, m, n, 64, cf, inner);
    for (int k = 0; k < 8; k++) ow[k] = dc_be32(inner + 4 * k);
    ow[8] = 0x80000000u;
    ow[15] = (64 + 32) * 8;
    memcpy(st, ost, sizeof st);
    cf(st, ow);
    for (int k = 0; k < 8; k++) dc_put_be32(out + 4 * k, st[k]);
}

static int hex16(dc_hex16_unit unit, const uint32_t ist[8], const uint32_t ost[8], const arrow_strings *s,
                 Py_ssize_t i, int nbytes, uint8_t *out, int min_long);

/* With AVX-512 leading, the SHA-NI unit takes a 16-row group the AVX-512 unit leaves (a row over
 * 55 bytes) when at least this many of its rows are over 55 bytes; with fewer, AVX-512 lanes for
 * the short rows and hmac_one for the long ones cost less where AVX-512 runs twice SHA-NI's rate
 * (Intel). Where it does not, SHA-NI leads (hmac_leader). */
#define SPARE_LONG 4

/* Rows of at most 55 bytes go through L-lane kernels (inner block, then outer block), or with
 * SHA-NI 16 at a time (up to DC_HEX16_SHANI_MAX bytes) through its unit's raw mode; longer rows
 * take the scalar path. */
static void hmac_mb(const uint32_t ist[8], const uint32_t ost[8], const arrow_strings *s, uint8_t *out,
                    dc_mbfull_kernel kern, int L, compress_fn cf) {
    _Alignas(64) uint32_t Wi[16 * 16], Wo[16 * 16], st[8 * 16];
    Py_ssize_t rows[16];
    int cnt = 0;
    /* the AVX-512 unit writes hex only: with AVX-512 leading, the SHA-NI unit takes the groups
     * with at least SPARE_LONG rows of 56 to 119 bytes, as in hmac_hex_mb */
    dc_hex16_unit unit = NULL, spare = NULL;
#ifndef DC_NO_SIMD
    if (kern == dc_mbfull_shani) unit = dc_hmac_hex16_shani;
    if (kern == dc_mbfull_avx512 && cf == dc_sha256_compress_shani) spare = dc_hmac_hex16_shani;
#endif
    memset(Wi, 0, sizeof Wi);
    for (int j = 0; j < L; j++) {
        for (int w = 8; w < 16; w++) Wo[w * L + j] = 0;
        Wo[8 * L + j] = 0x80000000u;
        Wo[15 * L + j] = (64 + 32) * 8;
    }
    for (Py_ssize_t i = 0; i <= s->length; i++) {
        if (cnt == 0 && ((unit && hex16(unit, ist, ost, s, i, 0, out + 32 * (size_t)i, 0)) ||
                         (spare && hex16(spare, ist, ost, s, i, 0, out + 32 * (size_t)i, SPARE_LONG)))) {
            i += 15;
            continue;
        }
        if (i < s->length) {
            size_t n;
            const uint8_t *m = strings_item(s, i, &n);
            if (n > 55) {
                hmac_one(ist, ost, s, i, out + 32 * i, cf);
                continue;
            }
            uint8_t blk[64] = {0};
            memcpy(blk, m, n);
            blk[n] = 0x80;
            uint64_t bits = (64 + (uint64_t)n) * 8;
            for (int k = 0; k < 8; k++) blk[63 - k] = (uint8_t)(bits >> (8 * k));
            for (int w = 0; w < 16; w++) Wi[w * L + cnt] = dc_be32(blk + 4 * w);
            rows[cnt++] = i;
            if (cnt < L) continue;
        }
        if (!cnt) break;
        kern(ist, Wi, st);
        for (int w = 0; w < 8; w++)
            for (int j = 0; j < L; j++) Wo[w * L + j] = st[w * L + j];
        kern(ost, Wo, st);
        for (int j = 0; j < cnt; j++)
            for (int w = 0; w < 8; w++) dc_put_be32(out + 32 * rows[j] + 4 * w, st[w * L + j]);
        cnt = 0;
    }
}

/* ------------------------------------------------------------------ keyed pseudonyms (hex) */

/* The 8 lower-case hex characters of a 32-bit word, most significant nibble first, as the bytes
 * of a little-endian 64-bit value: the nibbles are spread one per byte (byte i = nibble i), put
 * in text order by a byte swap, and '0'..'9' / 'a'..'f' added in every byte at once. */
static inline uint64_t hex8_le(uint32_t v) {
    uint64_t x = v;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFull;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFull;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0Full;
    x = __builtin_bswap64(x);
    uint64_t letters = ((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull; /* nibble >= 10 */
    return x + 0x3030303030303030ull + letters * 39u; /* 'a' - '0' - 10 */
}

/* The first nbytes of a digest given as its 8 big-endian state words, as 2 * nbytes hex
 * characters at out. */
static inline void hex_words(const uint32_t *w, Py_ssize_t stride, int nbytes, uint8_t *out) {
    static const char hexd[] = "0123456789abcdef";
    int k = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; 4 * (k + 1) <= nbytes; k++) {
        uint64_t c = hex8_le(w[k * stride]);
        memcpy(out + 8 * k, &c, 8);
    }
#endif
    for (int b = 4 * k; b < nbytes; b++) {
        uint8_t d = (uint8_t)(w[(b / 4) * stride] >> (24 - 8 * (b % 4)));
        out[2 * b] = (uint8_t)hexd[d >> 4];
        out[2 * b + 1] = (uint8_t)hexd[d & 15];
    }
}

/* Rows i..i+15 through a 16-row unit (dc_hmac_hex16_avx512 or dc_hmac_hex16_shani; nbytes 0,
 * the raw MACs, only the latter) when all of them are short enough for it (55 bytes, one inner
 * block; the SHA-NI unit DC_HEX16_SHANI_MAX, two), at least min_long of them are over 55 bytes,
 * and 64 bytes (128 with a row over 55) can be read from each start; 0 (nothing done) otherwise. */
static int hex16(dc_hex16_unit unit, const uint32_t ist[8], const uint32_t ost[8], const arrow_strings *s,
                 Py_ssize_t i, int nbytes, uint8_t *out, int min_long) {
#ifdef DC_NO_SIMD
    (void)unit; (void)ist; (void)ost; (void)s; (void)i; (void)nbytes; (void)out; (void)min_long;
    return 0;
#else
    if (i + 16 > s->length) return 0;
    int64_t off[17];
    Py_ssize_t r = s->offset + i;
    for (int j = 0; j <= 16; j++)
        off[j] = s->owidth == 4 ? ((const int32_t *)s->offsets.buf)[r + j] : ((const int64_t *)s->offsets.buf)[r + j];
    const int64_t most = unit == dc_hmac_hex16_shani ? DC_HEX16_SHANI_MAX : 55;
    int32_t rel[16], len[16];
    int64_t longest = 0;
    int long_rows = 0;
    for (int j = 0; j < 16; j++) {
        int64_t n = off[j + 1] - off[j];
        if (n > most) return 0;
        longest = n > longest ? n : longest;
        long_rows += n > 55;
        rel[j] = (int32_t)(off[j] - off[0]); /* 16 rows of <= 119 bytes span < 2 KiB */
        len[j] = (int32_t)n;
    }
    if (long_rows < min_long || off[15] + (longest > 55 ? 128 : 64) > (int64_t)s->data.len) return 0;
    unit(ist, ost, (const uint8_t *)s->data.buf + off[0], rel, len, nbytes, out, (size_t)(nbytes ? 2 * nbytes : 32));
    return 1;
#endif
}

/* HMAC-SHA-256 of every row, its first nbytes written straight as lower-case hex: row i at
 * text + 2 * nbytes * i. Rows of at most 55 bytes go L at a time through the multi-lane kernel:
 * each row's padded block is built word by word from the data (copied first only where a word
 * load would read past the buffer's end), the inner state lands directly in the outer block's
 * first words, and the outer state is hex-encoded from the lanes; longer rows take hmac_one. Same bytes as hmac_mb
 * followed by a hex encoding of the digests (known-answer tests), without the 32-byte intermediate
 * digests. */
static void hmac_hex_mb(const uint32_t ist[8], const uint32_t ost[8], const arrow_strings *s, int nbytes,
                        uint8_t *text, dc_mbfull_kernel kern, int L, compress_fn cf) {
    /* per word, by the message bytes it holds (rem = n - 4w, clamped to -1..4): which bytes to
     * keep, and where the 0x80 padding byte goes */
    static const uint32_t wmask[6] = {0, 0, 0xFF000000u, 0xFFFF0000u, 0xFFFFFF00u, 0xFFFFFFFFu};
    static const uint32_t wpad[6] = {0, 0x80000000u, 0x00800000u, 0x00008000u, 0x00000080u, 0};
    _Alignas(64) uint32_t Wi[16 * 16], Wo[16 * 16], st[8 * 16];
    Py_ssize_t rows[16];
    int cnt = 0;
    const size_t width = (size_t)(2 * nbytes);
    const uint8_t *data = (const uint8_t *)s->data.buf;
    const int64_t dlen = (int64_t)s->data.len;
    memset(Wi, 0, sizeof Wi);
    memset(Wo, 0, sizeof Wo);
    for (int j = 0; j < L; j++) {
        Wo[8 * L + j] = 0x80000000u;
        Wo[15 * L + j] = (64 + 32) * 8;
    }
    /* the 16-row unit of this kernel's instruction set, where there is one; with AVX-512, the
     * SHA-NI unit (when the CPU has it, as hmac_one would use it) takes the groups the AVX-512
     * unit leaves for a row of 56 to 119 bytes, when at least SPARE_LONG of the 16 are that long:
     * with fewer, the AVX-512 lanes hashing the short rows and hmac_one the long ones cost less
     * (the short rows run about twice as fast in AVX-512 lanes as through SHA-NI; a long row
     * through hmac_one, its compressions one after another, about half as fast as in a pair) */
    dc_hex16_unit unit = NULL, spare = NULL;
#ifndef DC_NO_SIMD
    if (kern == dc_mbfull_avx512) unit = dc_hmac_hex16_avx512;
    else if (kern == dc_mbfull_shani) unit = dc_hmac_hex16_shani;
    if (kern == dc_mbfull_avx512 && cf == dc_sha256_compress_shani) spare = dc_hmac_hex16_shani;
#endif
    for (Py_ssize_t i = 0; i <= s->length; i++) {
        if (unit && cnt == 0 &&
            (hex16(unit, ist, ost, s, i, nbytes, text + width * (size_t)i, 0) ||
             (spare && hex16(spare, ist, ost, s, i, nbytes, text + width * (size_t)i, SPARE_LONG)))) {
            i += 15;
            continue;
        }
        if (i < s->length) {
            Py_ssize_t r = s->offset + i;
            int64_t a, b;
            if (s->owidth == 4) {
                a = ((const int32_t *)s->offsets.buf)[r];
                b = ((const int32_t *)s->offsets.buf)[r + 1];
            } else {
                a = ((const int64_t *)s->offsets.buf)[r];
                b = ((const int64_t *)s->offsets.buf)[r + 1];
            }
            size_t n = (size_t)(b - a);
            if (n > 55) {
                uint8_t dig[32];
                uint32_t w[8];
                hmac_one(ist, ost, s, i, dig, cf);
                for (int k = 0; k < 8; k++) w[k] = dc_be32(dig + 4 * k);
                hex_words(w, 1, nbytes, text + width * (size_t)i);
                continue;
            }
            /* the block's words are built in registers from 4-byte loads: bytes stored one at a
             * time and read back as words would stall store forwarding */
            const uint8_t *m = data + a;
            uint8_t tail[64];
            if (a + 64 > dlen) { /* near the buffer's end: never read past it */
                memset(tail, 0, sizeof tail);
                if (n) memcpy(tail, m, n);
                m = tail;
            }
            for (int w = 0; w < 14; w++) {
                uint32_t v;
                memcpy(&v, m + 4 * w, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                v = __builtin_bswap32(v);
#endif
                int64_t rem = (int64_t)n - 4 * w + 1;
                int k = rem < 0 ? 0 : rem > 5 ? 5 : (int)rem;
                Wi[w * L + cnt] = (v & wmask[k]) | wpad[k];
            }
            Wi[14 * L + cnt] = 0;
            Wi[15 * L + cnt] = (uint32_t)((64 + n) * 8);
            rows[cnt++] = i;
            if (cnt < L) continue;
        }
        if (!cnt) break;
        kern(ist, Wi, Wo); /* the inner states are the outer blocks' first 8 words */
        kern(ost, Wo, st);
        for (int j = 0; j < cnt; j++) hex_words(st + j, L, nbytes, text + width * (size_t)rows[j]);
        cnt = 0;
    }
}

/* hmac_hex_mb without a multi-lane kernel: one row at a time with cf. */
static void hmac_hex_rows(const uint32_t ist[8], const uint32_t ost[8], const arrow_strings *s, int nbytes,
                          uint8_t *text, compress_fn cf) {
    for (Py_ssize_t i = 0; i < s->length; i++) {
        uint8_t dig[32];
        uint32_t w[8];
        hmac_one(ist, ost, s, i, dig, cf);
        for (int k = 0; k < 8; k++) w[k] = dc_be32(dig + 4 * k);
        hex_words(w, 1, nbytes, text + (size_t)(2 * nbytes) * (size_t)i);
    }
}

/* Which unit leads keyed pseudonyms when the CPU has both AVX-512 and SHA-NI and the caller says
 * auto: the two 16-row units timed once per process on short rows (1,024 phone numbers, hex
 * out, best of 5 alternated rounds: well under a millisecond). AVX-512 leads only when it runs
 * more than 1.25 times SHA-NI's rate: on Intel (model 167) it ran about twice, on AMD Zen 4
 * (AVX-512 on 256-bit units) the same rate, and there the SHA-NI unit, which also takes rows of
 * up to 119 bytes in pairs, hashed 64-character hex digests at 12-14 against 5.7 M rows/s (raw)
 * and one long row in eight at 19 against 13-15 M rows/s, one core. Only the speed depends on
 * the choice: both give the same bytes (known-answer tests on every path). */
static int leader_shani;
static pthread_once_t leader_once = PTHREAD_ONCE_INIT;

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void time_leaders(void) {
#ifndef DC_NO_SIMD
    enum { GROUPS = 64, ROW = 11 };
    static uint8_t data[16 * GROUPS * ROW + 128];
    static uint8_t out[16 * 32];
    int32_t rel[16], len[16];
    uint32_t ist[8], ost[8];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)('0' + (i * 7 + i / 13) % 10);
    for (int j = 0; j < 16; j++) {
        rel[j] = j * ROW;
        len[j] = ROW;
    }
    memcpy(ist, dc_IV256, sizeof ist);
    memcpy(ost, dc_IV256, sizeof ost);
    const dc_hex16_unit units[2] = {dc_hmac_hex16_avx512, dc_hmac_hex16_shani};
    double best[2] = {1e9, 1e9};
    for (int round = 0; round < 5; round++)
        for (int u = 0; u < 2; u++) {
            double t0 = seconds_now();
            for (int g = 0; g < GROUPS; g++) units[u](ist, ost, data + (size_t)g * 16 * ROW, rel, len, 16, out, 32);
            double dt = seconds_now() - t0;
            best[u] = dt < best[u] ? dt : best[u];
        }
    leader_shani = best[0] * 1.25 >= best[1];
#endif
}

/* The impl auto means for keyed pseudonyms on this CPU. */
static int hmac_leader(int impl) {
    if (impl != IMPL_AUTO || !has_avx512 || !has_shani) return impl;
    pthread_once(&leader_once, time_leaders);
    return leader_shani ? IMPL_SHANI : IMPL_AVX512;
}

static PyObject *py_hmac_auto(PyObject *self, PyObject *noargs) {
    int impl = hmac_leader(IMPL_AUTO);
    return PyUnicode_FromString(impl == IMPL_SHANI ? "sha_ni" : impl == IMPL_AVX512 ? "avx512" : "auto");
}

static PyObject *py_hmac_sha256(PyObject *self, PyObject *args) {
    Py_buffer key;
    PyObject *offs, *data, *into = Py_None;
    Py_ssize_t offset, length;
    int owidth;
    const char *implname;
    int hexbytes = 0; /* > 0: return the first hexbytes bytes of each digest as lower-case hex */
    if (!PyArg_ParseTuple(args, "y*OOnnis|iO", &key, &offs, &data, &offset, &length, &owidth, &implname, &hexbytes,
                          &into))
        return NULL;
    int impl = parse_impl(implname);
    if (impl < 0) { PyBuffer_Release(&key); return NULL; }
    impl = hmac_leader(impl);
    if (hexbytes < 0 || hexbytes > 32) {
        PyBuffer_Release(&key);
        PyErr_SetString(PyExc_ValueError, "hex length must be 0 to 32 bytes");
        return NULL;
    }
    arrow_strings s;
    if (strings_parse(offs, data, offset, length, owidth, &s) < 0) { PyBuffer_Release(&key); return NULL; }
    Py_ssize_t need = hexbytes ? length * 2 * hexbytes : length * 32;
    /* the result goes into the caller's writable buffer (an Arrow buffer from its memory pool,
     * reused batch after batch) when one is given, else into a new bytes object */
    PyObject *res = NULL;
    Py_buffer ob = {0};
    uint8_t *out;
    if (into != Py_None) {
        if (PyObject_GetBuffer(into, &ob, PyBUF_WRITABLE) < 0) goto fail;
        if (ob.len < need) {
            PyBuffer_Release(&ob);
            PyErr_SetString(PyExc_ValueError, "output buffer too short");
            goto fail;
        }
        out = (uint8_t *)ob.buf;
    } else {
        res = PyBytes_FromStringAndSize(NULL, need);
        if (!res) goto fail;
        out = (uint8_t *)PyBytes_AS_STRING(res);
    }
    compress_fn cf = pick_compress(impl);
    dc_mbfull_kernel kern = NULL;
    int L = 1;
    if (impl == IMPL_AVX512 || (impl == IMPL_AUTO && has_avx512)) { kern = dc_mbfull_avx512; L = DC_AVX512_LANES; }
    else if (impl == IMPL_SHANI || (impl == IMPL_AUTO && has_shani)) { kern = dc_mbfull_shani; L = DC_SHANI_LANES; }
    else if (impl == IMPL_AVX2) { kern = dc_mbfull_avx2; L = DC_AVX2_LANES; }
    Py_BEGIN_ALLOW_THREADS
    uint32_t ist[8], ost[8];
    hmac_states(key.buf, (size_t)key.len, cf, ist, ost);
    if (hexbytes && kern) hmac_hex_mb(ist, ost, &s, hexbytes, out, kern, L, cf);
    else if (hexbytes) hmac_hex_rows(ist, ost, &s, hexbytes, out, cf);
    else if (kern) hmac_mb(ist, ost, &s, out, kern, L, cf);
    else
        for (Py_ssize_t i = 0; i < length; i++) hmac_one(ist, ost, &s, i, out + 32 * i, cf);
    Py_END_ALLOW_THREADS
    strings_release(&s);
    PyBuffer_Release(&key);
    if (into != Py_None) {
        PyBuffer_Release(&ob);
        Py_RETURN_NONE;
    }
    return res;
fail:
    strings_release(&s);
    PyBuffer_Release(&key);
    return NULL;
}

/* ------------------------------------------------------------------ membership */

static PyObject *py_contains(PyObject *self, PyObject *args) {
    PyObject *tc;
    Py_buffer q;
    if (!PyArg_ParseTuple(args, "Oy*", &tc, &q)) return NULL;
    targets_box *tb = targets_h7(tc);
    if (!tb) { PyBuffer_Release(&q); return NULL; }
    const dc_targets *t = &tb->t;
    if (q.len % t->dsize) {
        PyBuffer_Release(&q);
        PyErr_SetString(PyExc_ValueError, "query length is not a multiple of the digest size");
        return NULL;
    }
    size_t n = (size_t)q.len / (size_t)t->dsize;
    PyObject *res = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    if (!res) { PyBuffer_Release(&q); return NULL; }
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(res);
    memset(out, 0, n);
    u64vec hits = {0};
    Py_BEGIN_ALLOW_THREADS
    pending_buf *pb = malloc(sizeof *pb);
    if (pb) {
        pb->n = 0;
        pb->exact = 1;
        for (size_t i = 0; i < n && t->n; i++) {
            const uint8_t *d = (const uint8_t *)q.buf + i * (size_t)t->dsize;
            if (!dc_bitmap_test(t, dc_be32(d + t->dsize - 4))) continue;
            memcpy(pend_slot(pb), d, (size_t)t->dsize);
            pend_commit(t, pb, i, &hits);
        }
        flush_pending(t, pb, &hits);
        free(pb);
    } else {
        hits.oom = 1;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&q);
    if (hits.oom) { free(hits.v); Py_DECREF(res); return PyErr_NoMemory(); }
    for (size_t i = 0; i < hits.n; i += 2) out[hits.v[i]] = 1;
    free(hits.v);
    return res;
}

/* ------------------------------------------------------------------ misc */

static PyObject *py_digest(PyObject *self, PyObject *args) {
    const char *algname, *implname;
    Py_buffer msg;
    int rounds = 1;
    if (!PyArg_ParseTuple(args, "sy*s|i", &algname, &msg, &implname, &rounds)) return NULL;
    int alg = parse_alg(algname);
    int impl = alg < 0 ? -1 : parse_impl(implname);
    if (impl < 0 || parse_rounds(rounds) < 0) { PyBuffer_Release(&msg); return NULL; }
    uint8_t dig[32];
    hash_rounds(alg, rounds, msg.buf, (size_t)msg.len, pick_compress(impl), dig);
    PyBuffer_Release(&msg);
    return PyBytes_FromStringAndSize((const char *)dig, alg_size(alg));
}

static PyObject *py_cpu_features(PyObject *self, PyObject *noargs) {
    return Py_BuildValue("{s:O,s:O,s:O}", "avx512", has_avx512 ? Py_True : Py_False, "avx2",
                         has_avx2 ? Py_True : Py_False, "sha_ni", has_shani ? Py_True : Py_False);
}

/* The plaintexts of many counter values: k * len bytes, one template-sized message each (the
 * hit path rebuilds a million of them at once, faster than numpy's digit arithmetic). */
static PyObject *py_candidates(PyObject *self, PyObject *args) {
    PyObject *pc;
    Py_buffer idx;
    if (!PyArg_ParseTuple(args, "Oy*", &pc, &idx)) return NULL;
    dc_plan *p = PyCapsule_GetPointer(pc, "datacustoms.plan");
    if (!p) { PyBuffer_Release(&idx); return NULL; }
    if (idx.len % (Py_ssize_t)sizeof(uint64_t)) {
        PyBuffer_Release(&idx);
        PyErr_SetString(PyExc_ValueError, "counters are not a whole number of uint64 values");
        return NULL;
    }
    size_t k = (size_t)idx.len / sizeof(uint64_t);
    const uint64_t *v = idx.buf;
    for (size_t i = 0; i < k; i++)
        if (v[i] >= p->size) {
            PyBuffer_Release(&idx);
            PyErr_SetString(PyExc_ValueError, "a counter value is outside the mask");
            return NULL;
        }
    PyObject *res = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(k * p->len));
    if (!res) { PyBuffer_Release(&idx); return NULL; }
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(res);
    Py_BEGIN_ALLOW_THREADS
    for (size_t i = 0; i < k; i++) {
        memcpy(out + i * p->len, p->tmpl, p->len);
        plan_fill(p, v[i], out + i * p->len);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&idx);
    return res;
}

/* The search kernel alone, as search_range would pick it for this one-block SHA-256 plan and
 * implementation (round-56 keys, zero words, words 0-1 shared), on the plan's first group of
 * lanes over and over: no message rows, no lookup.  Candidates per CPU-second of this thread;
 * kernel_rates.py prints it beside the whole search, so the search loop's own cost shows. */
static PyObject *py_kernel_rate(PyObject *self, PyObject *args) {
    PyObject *pc;
    const char *implname;
    long long groups;
    if (!PyArg_ParseTuple(args, "OsL", &pc, &implname, &groups)) return NULL;
    dc_plan *p = PyCapsule_GetPointer(pc, "datacustoms.plan");
    int impl = p ? parse_impl(implname) : -1;
    if (impl < 0) return NULL;
    if (p->alg != ALG_SHA256 || p->rounds != 1 || !p->fast || p->check_pos >= 0 || groups < 1 ||
        impl == IMPL_SCALAR || impl == IMPL_AUTO) {
        PyErr_SetString(PyExc_ValueError, "kernel_rate times a SIMD kernel of a one-block SHA-256 mask without a check digit");
        return NULL;
    }
    int L = 0;
    dc_mb_kernel kern = simd_sha256_kernel(p, impl, uses_rev(p, impl), &L);
    dc_mb_kernel kinv = inv2_kernel(kern);
    if (kinv && (!p->invrun || p->invrun[0] >= L)) kern = kinv;
    _Alignas(64) uint32_t W[16 * 16], keys[16];
    for (int w = 0; w < 16; w++)
        for (int j = 0; j < L; j++) W[w * L + j] = p->blockw[w] | ((p->lowmask >> w & 1) ? p->lowtab[w][j] : 0);
    struct timespec t0, t1;
    Py_BEGIN_ALLOW_THREADS
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    for (long long g = 0; g < groups; g++) kern(p->mid, W, keys); /* an indirect call: never elided */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    Py_END_ALLOW_THREADS
    double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return PyFloat_FromDouble((double)groups * L / (sec > 1e-9 ? sec : 1e-9));
}

static PyObject *py_plan_info(PyObject *self, PyObject *cap) {
    dc_plan *p = PyCapsule_GetPointer(cap, "datacustoms.plan");
    if (!p) return NULL;
    return Py_BuildValue("{s:K,s:O,s:n,s:i,s:i}", "size", (unsigned long long)p->size, "fast",
                         p->fast ? Py_True : Py_False, "tail_offset", (Py_ssize_t)p->tail_off, "nonzero_words", p->nz,
                         "rounds", p->rounds);
}

static PyMethodDef methods[] = {
    {"cpu_features", py_cpu_features, METH_NOARGS, "CPU features the dispatcher uses."},
    {"hmac_auto", py_hmac_auto, METH_NOARGS, "The unit keyed pseudonyms use for impl auto on this CPU."},
    {"targets_new", py_targets_new, METH_VARARGS,
     "targets_new(sorted_digests, digest_size, bitmap_bits, keys=-1): keys 0 or 1 also builds those bitmaps (targets_keys)"},
    {"plan_new", py_plan_new, METH_VARARGS, "plan_new(template, positions, check_pos, rrn_positions, algorithm='sha256', rounds=1)"},
    {"plan_info", py_plan_info, METH_O, "plan_info(plan) -> dict"},
    {"kernel_rate", py_kernel_rate, METH_VARARGS,
     "kernel_rate(plan, impl, groups) -> candidates per CPU-second of the search kernel alone (no rows, no lookup)"},
    {"candidates", py_candidates, METH_VARARGS, "candidates(plan, counters as uint64 bytes) -> k * len(template) bytes"},
    {"search_mask", py_search_mask, METH_VARARGS,
     "search_mask(plan, targets, algorithm, start, stop, impl) -> (counter value, target row) pairs as uint64 bytes, to be verified in full"},
    {"search_mask_verified", py_search_mask_verified, METH_VARARGS,
     "search_mask_verified(plan, targets, algorithm, start, stop, impl) -> (verified pairs, plaintexts, rejected)"},
    {"verify_mask_hits", py_verify_mask_hits, METH_VARARGS,
     "verify_mask_hits(plan, targets, pairs as uint64 bytes) -> (verified pairs, plaintexts, rejected)"},
    {"search_list", py_search_list, METH_VARARGS,
     "search_list(offsets, data, offset, length, offset_width, targets, algorithm, impl, rounds=1) -> (row, target row) pairs as uint64 bytes"},
    {"hmac_sha256", py_hmac_sha256, METH_VARARGS,
     "hmac_sha256(key, offsets, data, offset, length, offset_width, impl, hex_bytes=0, out=None) -> length*32 bytes, "
     "or length*2*hex_bytes hex characters; with out (a writable buffer), written there and None returned"},
    {"contains", py_contains, METH_VARARGS, "contains(targets, digests) -> one byte (0/1) per digest"},
    {"digest", py_digest, METH_VARARGS, "digest(algorithm, message, impl, rounds=1) -> bytes"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "_native",
                                    "Native hash-reversal and HMAC kernels of datacustoms.", -1, methods};

PyMODINIT_FUNC PyInit__native(void) {
    detect_cpu();
    return PyModule_Create(&moddef);
}
