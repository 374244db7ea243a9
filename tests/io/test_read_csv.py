"""CSV reading: encodings, delimiters, quoting, ragged rows and the nasty cases."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import datacustoms
from datacustoms.errors import InputError


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _rows(table: datacustoms.Table) -> list[dict[str, str | None]]:
    return pa.Table.from_batches(list(table.batches()), schema=table.schema).to_pylist()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr"])
def test_korean_headers_in_every_encoding(tmp_path: Path, encoding: str) -> None:
    path = _write(tmp_path / "k.csv", "이름,휴대폰번호,우편번호\n홍길동,010-1234-5678,04524\n김철수,010-9876-5432,06236\n", encoding)
    table = datacustoms.read(path)
    assert table.column_names == ["이름", "휴대폰번호", "우편번호"]
    rows = _rows(table)
    assert rows[0] == {"이름": "홍길동", "휴대폰번호": "010-1234-5678", "우편번호": "04524"}
    assert len(rows) == 2
    if encoding in ("cp949", "euc-kr"):
        assert any("cp949" in n for n in table.notes)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    text = "\n".join(delimiter.join(r) for r in [["a", "b", "c"], ["1", "2", "3"], ["4", "5", "6"]]) + "\n"
    table = datacustoms.read(_write(tmp_path / "d.csv", text))
    assert table.column_names == ["a", "b", "c"]
    assert _rows(table)[1] == {"a": "4", "b": "5", "c": "6"}


def test_every_column_is_text_so_leading_zeros_survive(tmp_path: Path) -> None:
    table = datacustoms.read(_write(tmp_path / "z.csv", "phone,zip\n01012345678,04524\n"))
    assert table.schema.field("phone").type == pa.string()
    assert _rows(table) == [{"phone": "01012345678", "zip": "04524"}]


def test_quoted_fields_keep_delimiters_and_quotes(tmp_path: Path) -> None:
    table = datacustoms.read(_write(tmp_path / "q.csv", 'name,memo\n"Kim, J","said ""hi"""\n'))
    assert _rows(table) == [{"name": "Kim, J", "memo": 'said "hi"'}]


def test_ragged_row_names_the_line_and_hides_the_content(tmp_path: Path) -> None:
    text = "a,b\n1,2\n3,4\n010-5555-1234,6,7\n"
    table = datacustoms.read(_write(tmp_path / "r.csv", text))
    with pytest.raises(InputError) as err:
        _rows(table)
    message = err.value.one_line()
    assert "line 4" in message and "3 fields" in message and "header has 2" in message
    assert "5555" not in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02PK\x03\x04binary\x00", "binary"),
        (b"name\n\xff\xfe\xfa\xfb\n", "neither UTF-8 nor CP949"),
    ],
)
def test_bad_files_give_one_clear_error(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=expected):
        list(datacustoms.read(path).batches())


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        datacustoms.read(tmp_path / "nope.csv")


def test_header_only_file_has_zero_rows(tmp_path: Path) -> None:
    table = datacustoms.read(_write(tmp_path / "h.csv", "phone,email\n"))
    assert table.column_names == ["phone", "email"]
    assert table.num_rows == 0
    assert table.sample().num_rows == 0


def test_duplicate_and_blank_headers_are_renamed_with_a_note(tmp_path: Path) -> None:
    table = datacustoms.read(_write(tmp_path / "dup.csv", "id,id,,x\n1,2,3,4\n"))
    assert table.column_names == ["id", "id_2", "column_3", "x"]
    assert len(table.notes) == 2


def test_column_of_nulls_and_one_column_file(tmp_path: Path) -> None:
    table = datacustoms.read(_write(tmp_path / "n.csv", "only\n\n\n\n"))
    # blank lines are skipped by CSV readers: a one-column file of blanks has no rows
    assert table.column_names == ["only"]
    table = datacustoms.read(_write(tmp_path / "n2.csv", "a,b\n1,\n2,\n"))
    assert [r["b"] for r in _rows(table)] == [None, None]


def test_very_wide_table(tmp_path: Path) -> None:
    names = [f"c{i}" for i in range(3000)]
    text = ",".join(names) + "\n" + ",".join(str(i) for i in range(3000)) + "\n"
    table = datacustoms.read(_write(tmp_path / "w.csv", text))
    assert len(table.column_names) == 3000
    assert _rows(table)[0]["c2999"] == "2999"


def test_large_file_streams_in_several_batches_and_samples_uniformly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datacustoms.io.csv as csvmod

    monkeypatch.setattr(csvmod, "BLOCK_SIZE", 64 * 1024)
    path = tmp_path / "big.csv"
    with path.open("w") as fh:
        fh.write("n,phone\n")
        for i in range(100_000):
            fh.write(f"{i},010{i:08d}\n")
    table = datacustoms.read(path)
    batches = list(table.batches())
    assert len(batches) > 5
    assert sum(b.num_rows for b in batches) == 100_000
    sample = table.sample(1000, seed=1)
    values = sorted(int(v) for v in sample.column("n").to_pylist())
    assert len(values) == 1000 and len(set(values)) == 1000
    # uniform over the whole file, not the head: about half the sample lies in the second half
    assert 400 < sum(v >= 50_000 for v in values) < 600
