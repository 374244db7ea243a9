"""``mask``: replace all but the first ``keep_first`` and last ``keep_last`` characters by ``char``.

Pattern: with ``separators: true`` (the default) only letters and digits count and are masked;
everything else stays in place: ``010-1234-5678`` with ``keep_first: 3, keep_last: 4`` →
``010-****-5678``. With ``separators: false`` every character counts: ``01012345678`` with
``keep_last: 4`` → ``*******5678``. Values with no more than ``keep_first + keep_last`` such
characters are masked entirely, so a short value never passes in clear. A mask is for display
and support workflows; the kept characters leak (R7), so it is never a pseudonym. Vectorised with
RE2: one ``extract_regex`` splits head, middle and tail, one replace masks the middle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.protect.operators.common import Kernel, as_array, as_text, like, replace_column

if TYPE_CHECKING:  # kernels hold plain values: a Spark worker that runs one never imports the policy
    from datacustoms.policy import Mask

ALNUM = r"[\p{L}\p{N}]"
OTHER = r"[^\p{L}\p{N}]"


def _mask_alnum(text: pa.Array, char: str, keep_first: int, keep_last: int) -> pa.Array:
    """Mask letters and digits only; separators keep their place."""
    star = char.replace("\\", "\\\\")
    keep = keep_first + keep_last
    head = f"(?:{OTHER}*{ALNUM}){{0,{keep_first}}}"
    tail = f"(?:{ALNUM}{OTHER}*){{0,{keep_last}}}"
    parts = pc.extract_regex(text, f"(?s)^(?P<a>{head})(?P<mid>.*?)(?P<z>{tail})$")
    middle = pc.replace_substring_regex(parts.field("mid"), ALNUM, star)
    partial = pc.binary_join_element_wise(parts.field("a"), middle, parts.field("z"), pa.scalar("", pa.large_string()))
    full = pc.replace_substring_regex(text, ALNUM, star)
    return pc.if_else(pc.less_equal(pc.count_substring_regex(text, ALNUM), keep), full, partial)


def mask_values(values: pa.Array, act: Mask) -> pa.Array:
    """Values masked as ``act`` says (:func:`masked_values`)."""
    return masked_values(values, act.char, act.keep_first, act.keep_last, act.separators)


def masked_values(values: pa.Array, char: str, keep_first: int, keep_last: int, separators: bool) -> pa.Array:
    values = as_array(values)
    text = pc.cast(as_text(values), pa.large_string())
    if separators:
        return like(_mask_alnum(text, char, keep_first, keep_last), values.type)
    length = pc.utf8_length(text)
    keep = keep_first + keep_last
    hidden = pc.max_element_wise(pc.subtract(length, keep), 0)
    head = pc.utf8_slice_codeunits(text, 0, keep_first)
    tail = pc.utf8_slice_codeunits(text, -keep_last) if keep_last else pc.utf8_slice_codeunits(text, 0, 0)
    stars = pc.binary_repeat(pa.scalar(char, pa.large_string()), hidden)
    partial = pc.binary_join_element_wise(head, stars, tail, pa.scalar("", pa.large_string()))
    full = pc.binary_repeat(pa.scalar(char, pa.large_string()), length)
    out = pc.if_else(pc.less_equal(length, keep), full, partial)
    return like(out, values.type)


def build(column: str, act: Mask) -> Kernel:
    char, keep_first, keep_last, separators = act.char, act.keep_first, act.keep_last, act.separators

    def mask(batch: pa.RecordBatch) -> pa.RecordBatch:
        return replace_column(
            batch, column, masked_values(batch.column(column), char, keep_first, keep_last, separators)
        )

    return mask
