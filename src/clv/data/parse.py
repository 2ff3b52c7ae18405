"""How each raw column is read in DuckDB SQL: ids (integers without a trailing ".0", null words), numbers
(currency texts such as "€1,234.50", "1.234,50" and "(12.00)"), and dates (ISO, YYYYMMDD numbers, slash dates month
or day first, time zones converted to UTC). :mod:`clv.data.clean` builds its one pass over the source from these."""

from __future__ import annotations

import re

from clv.data.raw import RawTable, quote, sql_string

NULL_WORDS: tuple[str, ...] = ("", "nan", "none", "null", "na", "n/a", "<na>", "nat")
_INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
)
_NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "UBIGINT",
)
_SLASH_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})")


def detect_dayfirst(raw: RawTable, column: str, warnings: list[str]) -> bool:
    """Day-first when a sampled slash date has a first part above 12; month-first otherwise (warn if ambiguous)."""
    if not _is_text(raw, column):
        return False
    sample = raw.connection.execute(
        f"SELECT {quote(column)} FROM {raw.view} WHERE {quote(column)} IS NOT NULL LIMIT 5000"
    ).fetchall()
    return dayfirst_of([value for (value,) in sample], column, warnings)


def dayfirst_of(sample: list[object], column: str, warnings: list[str]) -> bool:
    """Whether the slash dates of ``sample`` (up to 5,000 values of ``column``) put the day first: yes when a first
    part is above 12 and no second part is; a warning is added when every part is 12 or less."""
    firsts, seconds = [], []
    for value in sample:
        match = _SLASH_DATE.match(str(value))
        if match:
            firsts.append(int(match.group(1)))
            seconds.append(int(match.group(2)))
    if not firsts:
        return False
    if max(firsts) > 12 >= max(seconds):
        return True
    if max(seconds) <= 12:
        warnings.append(
            f"dates in column {column!r} such as {sample[0]!r} could be month-first or day-first; they were "
            "read month-first (pass dayfirst=True if the day comes first)"
        )
    return False


def _is_text(raw: RawTable, column: str) -> bool:
    return raw.types.get(column, "VARCHAR").upper() == "VARCHAR"


def _is_numeric(raw: RawTable, column: str) -> bool:
    return raw.types.get(column, "").upper().startswith(_NUMERIC_TYPES)


def _trimmed(raw: RawTable, column: str) -> str:
    quoted = quote(column)
    return f"trim({quoted})" if _is_text(raw, column) else f"trim(CAST({quoted} AS VARCHAR))"


def _null_word(value: str) -> str:
    """SQL condition: ``value`` (trimmed text) is a word meaning "missing". The length test comes first so the
    lower-casing runs only on the few short values. The words are looked up in one ``|``-separated string rather
    than with ``IN``: DuckDB turns an ``IN`` list of five or more values (and ``list_contains`` on a constant list)
    into a join, which does not keep the rows in file order, and row numbers depend on that order."""
    words = sql_string("|" + "|".join(NULL_WORDS) + "|")
    short = f"length({value}) <= {max(map(len, NULL_WORDS))} AND NOT contains({value}, '|')"
    return f"({short} AND contains({words}, '|' || lower({value}) || '|'))"


def text_expr(raw: RawTable, column: str) -> str:
    value = _trimmed(raw, column)
    return f"CASE WHEN {_null_word(value)} THEN NULL ELSE {value} END"


def id_expr(raw: RawTable, column: str) -> str:
    """Identifier as text; '12345.0' (ids exported from float columns) becomes '12345'."""
    quoted = quote(column)
    if raw.types.get(column, "").upper().startswith(_INTEGER_TYPES):
        return f"CAST({quoted} AS VARCHAR)"
    if _is_numeric(raw, column):
        number = f"CAST({quoted} AS DOUBLE)"
        return (
            f"CASE WHEN NOT isfinite({number}) THEN NULL "
            f"WHEN {number} = floor({number}) AND abs({number}) < 1e18 THEN CAST(CAST({number} AS BIGINT) AS VARCHAR) "
            f"WHEN {number} = floor({number}) THEN coalesce(CAST(TRY_CAST({number} AS HUGEINT) AS VARCHAR), "
            f"CAST({number} AS VARCHAR)) ELSE CAST({number} AS VARCHAR) END"
        )
    value = _trimmed(raw, column)
    # Only values ending in 0 can be "digits.0..."; the regular expression runs on those alone.
    return (
        f"CASE WHEN {_null_word(value)} THEN NULL "
        f"WHEN ends_with({value}, '0') THEN regexp_replace({value}, '^(\\d+)\\.0+$', '\\1') ELSE {value} END"
    )


def number_expr(raw: RawTable, column: str) -> str:
    """A DOUBLE from a numeric column, or from text with currency symbols and thousands separators."""
    quoted = quote(column)
    if _is_numeric(raw, column):
        return f"CAST({quoted} AS DOUBLE)"
    text = _trimmed(raw, column)
    digits = f"regexp_replace({text}, '[^0-9.,]', '', 'g')"
    negative = f"(starts_with({text}, '-') OR ends_with({text}, '-') OR starts_with({text}, '('))"
    decimal = f"""CASE
        WHEN contains({digits}, '.') AND contains({digits}, ',') THEN
            CASE WHEN strpos({digits}, ',') > strpos({digits}, '.')
                      AND NOT contains(substr({digits}, strpos({digits}, ',')), '.')
                 THEN replace(replace({digits}, '.', ''), ',', '.')
                 ELSE replace({digits}, ',', '') END
        WHEN contains({digits}, ',') THEN
            CASE WHEN regexp_full_match({digits}, '\\d{{1,3}}(,\\d{{3}})+') THEN replace({digits}, ',', '')
                 ELSE replace({digits}, ',', '.') END
        WHEN regexp_full_match({digits}, '\\d{{1,3}}(\\.\\d{{3}}){{2,}}') THEN replace({digits}, '.', '')
        ELSE {digits} END"""
    fallback = f"CASE WHEN {negative} THEN -1.0 ELSE 1.0 END * TRY_CAST({decimal} AS DOUBLE)"
    plain = f"TRY_CAST({text} AS DOUBLE)"
    # Plain numbers (nearly every row) take the first branch; "nan" is a missing value, not a NaN.
    return (
        f"CASE WHEN {plain} IS NOT NULL AND NOT isnan({plain}) THEN {plain} "
        f"WHEN {_null_word(text)} THEN NULL ELSE coalesce({plain}, {fallback}) END"
    )


def timestamp_expr(raw: RawTable, column: str, dayfirst: bool) -> str:
    """A UTC TIMESTAMP from a date/time column of any type, or from text in the formats the module lists.

    For text, the format that reads a sample of the column is tried first (one ``strptime`` per row); rows it does
    not read fall back to the general rules.
    """
    quoted = quote(column)
    kind = raw.types.get(column, "VARCHAR").upper()
    if kind.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"timezone('UTC', {quoted})"
    if kind.startswith(("TIMESTAMP", "DATE")):
        return f"CAST({quoted} AS TIMESTAMP)"
    text = _trimmed(raw, column)
    formats = _slash_formats(dayfirst)
    general = f"""CASE
        WHEN regexp_full_match({text}, '\\d{{8}}(\\.0+)?') THEN try_strptime(left({text}, 8), '%Y%m%d')
        WHEN regexp_matches({text}, '^\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN
            CASE WHEN regexp_matches({text}, '(Z|[+-]\\d{{2}}:?\\d{{2}})$')
                 THEN timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ))
                 ELSE TRY_CAST({text} AS TIMESTAMP) END
        ELSE try_strptime({text}, [{", ".join(sql_string(f) for f in formats)}]) END"""
    usual = _usual_format(raw, column, formats)
    if usual is None:
        return general
    return f"coalesce(try_strptime({text}, {sql_string(usual)}), {general})"


def _slash_formats(dayfirst: bool) -> list[str]:
    first, second = ("%d", "%m") if dayfirst else ("%m", "%d")
    return [
        f"{first}{sep}{second}{sep}{year}{clock}"
        for sep in ("/", "-", ".")
        for year in ("%Y", "%y")
        for clock in (" %H:%M:%S", " %H:%M", "")
    ]


def _usual_format(raw: RawTable, column: str, slash_formats: list[str]) -> str | None:
    """The first candidate format that reads every non-empty value of a 2,000-row sample of ``column``."""
    candidates = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y%m%d", *slash_formats]
    quoted = quote(column)
    checks = ", ".join(f"count(try_strptime(v, {sql_string(f)})) AS c{i}" for i, f in enumerate(candidates))
    row = raw.connection.execute(
        f"SELECT count(v), {checks} FROM (SELECT trim(CAST({quoted} AS VARCHAR)) AS v FROM {raw.view} "
        f"WHERE {quoted} IS NOT NULL LIMIT 2000)"
    ).fetchall()[0]
    if row is None or row[0] == 0:
        return None
    return next((f for f, count in zip(candidates, row[1:], strict=True) if count == row[0]), None)
