"""FF1 format-preserving encryption (NIST SP 800-38G Rev. 1, section 5.1) over AES.

FF1 is a ten-round Feistel network whose round function is a CBC-MAC (``PRF``) over AES. AES is
applied to single 16-byte blocks through an ECB context: that is how the standard's CIPH_K is
built from a block-cipher library, not "ECB mode" on data (every block is chained by the PRF).

The numeral string's length is public (it is the format); the domain ``radix ** n`` must be at
least 1,000,000 as SP 800-38G Rev. 1 requires, so short strings are refused rather than
encrypted weakly. Pinned by the NIST sample vectors in ``tests/protect_crypto``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from datacustoms.errors import KeyMaterialError, UsageError

#: SP 800-38G Rev. 1: radix ** minlen >= 1,000,000
MIN_DOMAIN = 1_000_000
MAX_RADIX = 1 << 16
MAX_LEN = (1 << 32) - 1


def _xor16(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(16, "big")


class FF1:
    """An FF1 cipher for one AES key (16, 24 or 32 bytes) and one radix.

    ``encrypt_numerals`` / ``decrypt_numerals`` work on lists of numerals (0 ≤ x < radix), the
    form the standard uses; ``encrypt`` / ``decrypt`` map text through an ``alphabet`` whose
    length is the radix (``"0123456789"`` for digits).
    """

    def __init__(self, key: bytes, radix: int | None = None, *, alphabet: str | None = None) -> None:
        if len(key) not in (16, 24, 32):
            raise KeyMaterialError(
                f"an FF1 key must be 16, 24 or 32 bytes, got {len(key)}",
                "derive one with datacustoms.protect.crypto.derive_key(..., length=32)",
            )
        if alphabet is not None:
            if len(set(alphabet)) != len(alphabet):
                raise UsageError("the FF1 alphabet repeats a character", "list each character once")
            if radix is not None and radix != len(alphabet):
                raise UsageError(f"radix {radix} does not match the alphabet's {len(alphabet)} characters")
            radix = len(alphabet)
        if radix is None or not 2 <= radix <= MAX_RADIX:
            raise UsageError(f"FF1 radix must be between 2 and {MAX_RADIX}, got {radix}")
        self.radix = radix
        self.alphabet = alphabet
        self.index = {ch: i for i, ch in enumerate(alphabet)} if alphabet else {}
        self._aes = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        minlen = 2
        while radix**minlen < MIN_DOMAIN:
            minlen += 1
        self.minlen = minlen
        self._p_cache: dict[tuple[int, int], bytes] = {}

    # -- the standard's building blocks --------------------------------------------------------

    def _ciph(self, block: bytes) -> bytes:
        return self._aes.update(block)

    def _prf(self, data: bytes, start: bytes = bytes(16)) -> bytes:
        """CBC-MAC with a zero IV (SP 800-38G Algorithm 6); ``start`` continues a chain."""
        y = start
        for j in range(0, len(data), 16):
            y = self._ciph(_xor16(y, data[j : j + 16]))
        return y

    def _check_length(self, n: int) -> None:
        if n < self.minlen or n > MAX_LEN:
            raise UsageError(
                f"FF1 needs at least {self.minlen} characters of a radix-{self.radix} alphabet "
                f"(domain ≥ {MIN_DOMAIN:,}), got {n}",
                "encrypt a longer part of the value or use tokenize",
            )

    def _p_mac(self, n: int, t: int) -> bytes:
        """PRF state after the fixed block P, which depends only on n and the tweak length."""
        got = self._p_cache.get((n, t))
        if got is None:
            u = n // 2
            p = (
                bytes([1, 2, 1])
                + self.radix.to_bytes(3, "big")
                + bytes([10, u % 256])
                + n.to_bytes(4, "big")
                + t.to_bytes(4, "big")
            )
            got = self._prf(p)
            self._p_cache[(n, t)] = got
        return got

    def _round_value(self, y_p: bytes, tweak: bytes, pad: bytes, i: int, num: int, b: int, d: int) -> int:
        q = tweak + pad + bytes([i]) + num.to_bytes(b, "big")
        r = self._prf(q, y_p)
        s = r
        for j in range(1, (d + 15) // 16):
            s += self._ciph(_xor16(r, j.to_bytes(16, "big")))
        return int.from_bytes(s[:d], "big")

    def _setup(self, n: int, tweak: bytes) -> tuple[int, int, int, int, bytes, bytes]:
        self._check_length(n)
        u = n // 2
        v = n - u
        # b = ceil(ceil(v * log2(radix)) / 8), computed exactly with integers
        b = ((self.radix**v - 1).bit_length() + 7) // 8
        d = 4 * ((b + 3) // 4) + 4
        t = len(tweak)
        pad = bytes((-t - b - 1) % 16)
        return u, v, b, d, self._p_mac(n, t), pad

    def _num(self, xs: Sequence[int]) -> int:
        r = self.radix
        x = 0
        for digit in xs:
            x = x * r + digit
        return x

    def _str(self, x: int, m: int) -> list[int]:
        r = self.radix
        out = [0] * m
        for k in range(m - 1, -1, -1):
            x, out[k] = divmod(x, r)
        return out

    # -- numeral strings -----------------------------------------------------------------------

    def encrypt_numerals(self, x: Sequence[int], tweak: bytes = b"") -> list[int]:
        """FF1.Encrypt(K, T, X) for numerals ``x`` (each 0 ≤ x[i] < radix)."""
        n = len(x)
        u, v, b, d, y_p, pad = self._setup(n, tweak)
        a_num, b_num = self._num(x[:u]), self._num(x[u:])
        mod_u, mod_v = self.radix**u, self.radix**v
        for i in range(10):
            y = self._round_value(y_p, tweak, pad, i, b_num, b, d)
            c = (a_num + y) % (mod_u if i % 2 == 0 else mod_v)
            a_num, b_num = b_num, c
        # after ten rounds A has u numerals and B has v
        return self._str(a_num, u) + self._str(b_num, v)

    def decrypt_numerals(self, x: Sequence[int], tweak: bytes = b"") -> list[int]:
        """FF1.Decrypt(K, T, Y): the inverse of :meth:`encrypt_numerals`."""
        n = len(x)
        u, v, b, d, y_p, pad = self._setup(n, tweak)
        a_num, b_num = self._num(x[:u]), self._num(x[u:])
        mod_u, mod_v = self.radix**u, self.radix**v
        for i in range(9, -1, -1):
            y = self._round_value(y_p, tweak, pad, i, a_num, b, d)
            c = (b_num - y) % (mod_u if i % 2 == 0 else mod_v)
            b_num, a_num = a_num, c
        return self._str(a_num, u) + self._str(b_num, v)

    # -- many numeral strings at once ----------------------------------------------------------

    def _many(self, xs: Sequence[Sequence[int]], tweak: bytes, decrypt: bool) -> list[list[int]]:
        """The ten rounds for many numeral strings of one length, AES calls batched across them.

        The PRF chains are independent between strings, so each round encrypts the blocks of all
        strings in one call; the arithmetic is the standard's, string by string.
        """
        count = len(xs)
        n = len(xs[0])
        u, v, b, d, y_p, pad = self._setup(n, tweak)
        if d == 8 and self.radix**v < 1 << 63:
            return self._many_u64(xs, tweak, decrypt)
        a_nums = [self._num(x[:u]) for x in xs]
        b_nums = [self._num(x[u:]) for x in xs]
        mod_u, mod_v = self.radix**u, self.radix**v
        qlen = len(tweak) + len(pad) + 1 + b
        start = np.frombuffer(y_p, dtype=np.uint8)
        extra = [np.frombuffer(j.to_bytes(16, "big"), dtype=np.uint8) for j in range(1, (d + 15) // 16)]
        aes = self._aes.update
        for step in range(10):
            i = 9 - step if decrypt else step
            head = tweak + pad + bytes([i])
            src = a_nums if decrypt else b_nums
            q = np.frombuffer(b"".join([head + x.to_bytes(b, "big") for x in src]), dtype=np.uint8)
            q = q.reshape(count, qlen)
            y = np.broadcast_to(start, (count, 16))
            for j in range(0, qlen, 16):
                y = np.frombuffer(aes((y ^ q[:, j : j + 16]).tobytes()), dtype=np.uint8).reshape(count, 16)
            if extra:
                parts = [y] + [
                    np.frombuffer(aes((y ^ c).tobytes()), dtype=np.uint8).reshape(count, 16) for c in extra
                ]
                s = np.concatenate(parts, axis=1)
            else:
                s = y
            raw = np.ascontiguousarray(s[:, :d]).tobytes()
            ys = [int.from_bytes(raw[k * d : (k + 1) * d], "big") for k in range(count)]
            mod = mod_u if i % 2 == 0 else mod_v
            if decrypt:
                c_nums = [(x - y_k) % mod for x, y_k in zip(b_nums, ys, strict=True)]
                b_nums, a_nums = a_nums, c_nums
            else:
                c_nums = [(x + y_k) % mod for x, y_k in zip(a_nums, ys, strict=True)]
                a_nums, b_nums = b_nums, c_nums
        return [self._str(x, u) + self._str(y_k, v) for x, y_k in zip(a_nums, b_nums, strict=True)]

    def _many_u64(self, xs: Sequence[Sequence[int]], tweak: bytes, decrypt: bool) -> list[list[int]]:
        """:meth:`_many` when every number fits 64 bits (d = 8; e.g. up to 18 decimal digits)."""
        digits = np.array(xs, dtype=np.uint64).reshape(len(xs), len(xs[0]))
        return self._matrix_u64(digits, tweak, decrypt).astype(np.int64).tolist()

    def _matrix_u64(self, digits: np.ndarray, tweak: bytes, decrypt: bool) -> np.ndarray:
        """The ten rounds over a count × n uint64 matrix of numerals, every number within 64 bits.

        Same algorithm in numpy uint64: NUM, the round sums mod radix^m and STR are whole-column
        operations. ``y`` is the first 8 bytes of S read big-endian, exactly as NUM(S) with d = 8.
        """
        count, n = digits.shape
        u, v, b, _, y_p, pad = self._setup(n, tweak)
        r = self.radix

        def num(cols: np.ndarray) -> np.ndarray:
            acc = np.zeros(count, dtype=np.uint64)
            for k in range(cols.shape[1]):
                acc = acc * np.uint64(r) + cols[:, k]
            return acc

        a_num, b_num = num(digits[:, :u]), num(digits[:, u:])
        mod_u, mod_v = np.uint64(r**u), np.uint64(r**v)
        qlen = len(tweak) + len(pad) + 1 + b
        start = np.frombuffer(y_p, dtype=np.uint8)
        aes = self._aes.update
        q = np.empty((count, qlen), dtype=np.uint8)
        for step in range(10):
            i = 9 - step if decrypt else step
            head = np.frombuffer(tweak + pad + bytes([i]), dtype=np.uint8)
            src = a_num if decrypt else b_num
            q[:, : len(head)] = head
            q[:, len(head) :] = src.astype(">u8").view(np.uint8).reshape(count, 8)[:, 8 - b :]
            y = np.broadcast_to(start, (count, 16))
            for j in range(0, qlen, 16):
                y = np.frombuffer(aes((y ^ q[:, j : j + 16]).tobytes()), dtype=np.uint8).reshape(count, 16)
            ys = np.frombuffer(np.ascontiguousarray(y[:, :8]).tobytes(), dtype=">u8").astype(np.uint64)
            mod = mod_u if i % 2 == 0 else mod_v
            ym = ys % mod
            if decrypt:
                c = (b_num + (mod - ym)) % mod
                b_num, a_num = a_num, c
            else:
                c = (a_num + ym) % mod
                a_num, b_num = b_num, c
        out = np.empty((count, n), dtype=np.uint64)
        for k in range(u - 1, -1, -1):
            out[:, k] = a_num % np.uint64(r)
            a_num = a_num // np.uint64(r)
        for k in range(n - 1, u - 1, -1):
            out[:, k] = b_num % np.uint64(r)
            b_num = b_num // np.uint64(r)
        return out

    def many_matrix(self, digits: np.ndarray, tweak: bytes, *, decrypt: bool = False) -> np.ndarray:
        """:meth:`encrypt_many` (or ``decrypt_many``) of the rows of a count × n numeral matrix,
        as a matrix: whole numpy columns in and out where the numbers fit 64 bits."""
        count, n = digits.shape
        if not count:
            return np.empty((0, n), np.int64)
        d = self._setup(n, tweak)[3]
        parts = []
        for lo in range(0, count, 65536):
            rows = digits[lo : lo + 65536]
            if d == 8 and self.radix ** ((n + 1) // 2) < 1 << 63:
                parts.append(self._matrix_u64(rows.astype(np.uint64), tweak, decrypt).astype(np.int64))
            else:
                parts.append(np.array(self._many(rows.tolist(), tweak, decrypt), np.int64).reshape(len(rows), n))
        return np.concatenate(parts)

    def encrypt_many(self, xs: Sequence[Sequence[int]], tweak: bytes = b"") -> list[list[int]]:
        """:meth:`encrypt_numerals` for many strings (any mix of lengths), same results, faster."""
        return self._grouped(xs, tweak, decrypt=False)

    def decrypt_many(self, xs: Sequence[Sequence[int]], tweak: bytes = b"") -> list[list[int]]:
        """:meth:`decrypt_numerals` for many strings (any mix of lengths)."""
        return self._grouped(xs, tweak, decrypt=True)

    def _grouped(self, xs: Sequence[Sequence[int]], tweak: bytes, decrypt: bool) -> list[list[int]]:
        by_len: dict[int, list[int]] = {}
        for k, x in enumerate(xs):
            by_len.setdefault(len(x), []).append(k)
        out: list[list[int]] = [[] for _ in xs]
        for members in by_len.values():
            for lo in range(0, len(members), 65536):
                chunk = members[lo : lo + 65536]
                for k, result in zip(chunk, self._many([xs[k] for k in chunk], tweak, decrypt), strict=True):
                    out[k] = result
        return out

    # -- text over an alphabet -----------------------------------------------------------------

    def _to_numerals(self, text: str) -> list[int]:
        if not self.alphabet:
            raise UsageError("this FF1 cipher was made without an alphabet", "pass alphabet='0123456789'")
        try:
            return [self.index[ch] for ch in text]
        except KeyError:
            raise UsageError(
                "a value holds a character outside the FF1 alphabet",
                "declare an alphabet that covers every encrypted character",
            ) from None

    def _to_text(self, xs: Sequence[int]) -> str:
        assert self.alphabet is not None
        alpha = self.alphabet
        return "".join(alpha[k] for k in xs)

    def encrypt(self, text: str, tweak: bytes = b"") -> str:
        """Encrypt ``text`` (every character in the alphabet) to text of the same length."""
        return self._to_text(self.encrypt_numerals(self._to_numerals(text), tweak))

    def decrypt(self, text: str, tweak: bytes = b"") -> str:
        """Decrypt what :meth:`encrypt` produced with the same key, alphabet and tweak."""
        return self._to_text(self.decrypt_numerals(self._to_numerals(text), tweak))
