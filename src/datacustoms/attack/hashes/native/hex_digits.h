/* Lower-case hex digits of digest words, made in vector registers (included by the SIMD units,
 * which define V and ADD, SUB, AND, OR, SHL, SHR, SET1 for their vector width): the nibbles of
 * 16 digest bits are spread one per byte, then each byte n becomes '0' + n, plus 39 when
 * n >= 10 ('a' - '0' - 10).  Double hashing hashes these digits again. */

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
