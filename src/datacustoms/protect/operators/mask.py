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

import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.policy import Mask
from datacustoms.protect.operators.common import Kernel, as_array, as_text, like, replace_column

ALNUM = r"[\p{L}\p{N}]"
OTHER = r"[^\p{L}\p{N}]"


def _mask_alnum(text: pa.Array, act: Mask) -> pa.Array:
    """Mask letters and digits only; separators keep their place."""
    star = act.char.replace("\\", "\\\\")
    keep = act.keep_first + act.keep_last
    head = f"(?:{OTHER}*{ALNUM}){{0,{act.keep_first}}}"
    tail = f"(?:{ALNUM}{OTHER}*){{0,{act.keep_last}}}"
    parts = pc.extract_regex(text, f"(?s)^(?P<a>{head})(?P<mid>.*?)(?P<z>{tail})$")
    middle = pc.replace_substring_regex(parts.field("mid"), ALNUM, star)
    partial = pc.binary_join_element_wise(parts.field("a"), middle, parts.field("z"), pa.scalar("", pa.large_string()))
    full = pc.replace_substring_regex(text, ALNUM, star)
    return pc.if_else(pc.less_equal(pc.count_substring_regex(text, ALNUM), keep), full, partial)


def mask_values(values: pa.Array, act: Mask) -> pa.Array:
    values = as_array(values)
    text = pc.cast(as_text(values), pa.large_string())
    if act.separators:
        return like(_mask_alnum(text, act), values.type)
    length = pc.utf8_length(text)
    keep = act.keep_first + act.keep_last
    hidden = pc.max_element_wise(pc.subtract(length, keep), 0)
    head = pc.utf8_slice_codeunits(text, 0, act.keep_first)
    tail = pc.utf8_slice_codeunits(text, -act.keep_last) if act.keep_last else pc.utf8_slice_codeunits(text, 0, 0)
    stars = pc.binary_repeat(pa.scalar(act.char, pa.large_string()), hidden)
    partial = pc.binary_join_element_wise(head, stars, tail, pa.scalar("", pa.large_string()))
    full = pc.binary_repeat(pa.scalar(act.char, pa.large_string()), length)
    out = pc.if_else(pc.less_equal(length, keep), full, partial)
    return like(out, values.type)


def build(column: str, act: Mask) -> Kernel:
    def mask(batch: pa.RecordBatch) -> pa.RecordBatch:
        return replace_column(batch, column, mask_values(batch.column(column), act))

    return mask
