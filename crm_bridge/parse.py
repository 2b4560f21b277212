"""Tolerant readers for Thulium's loose payloads.

The document mixes types freely: "" for empty, ints as strings and strings as ints, the
literal string "null" in webhooks, and dates with no zone (the tenant's local time).
"""

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

NULLISH = ("", "null", "NULL", "None", "none")


def is_null(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in NULLISH)


def to_str(value) -> str:
    """Text, with every flavour of empty as ""."""
    if is_null(value):
        return ""
    return str(value).strip()


def to_int(value) -> int | None:
    """An int from 3, "3", "3.0" or 3.0; None for empty or unreadable values."""
    if is_null(value) or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):  # "1e400", "inf"
            return None


def to_bool(value) -> bool | None:
    if is_null(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "t", "y"):
        return True
    if text in ("0", "false", "no", "f", "n"):
        return False
    return None


def tenant_tz() -> ZoneInfo:
    return ZoneInfo(settings.THULIUM_TIMEZONE)


def to_datetime(value) -> datetime | None:
    """An aware datetime from Thulium's naive local "YYYY-MM-DD HH:MM:SS" (or ISO forms)."""
    text = to_str(value)
    if not text or text.startswith("0000-00-00"):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("T", " ").replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tenant_tz())
    return parsed


def format_local(moment: datetime) -> str:
    """The inverse of to_datetime: Thulium's naive local form."""
    return moment.astimezone(tenant_tz()).strftime("%Y-%m-%d %H:%M:%S")


# --- Bodies that are almost JSON ------------------------------------------------------------
# Several of the document's own response examples are not strict JSON: a trailing comma
# (GET agents_groups), a list closed by "}" (GET outbounds/:id/agents, outbounds/:id/statuses),
# unquoted text ("login": jkowalski in agents_work_report), a key missing its opening quote
# (GET companies/:id). A Thulium built from the same examples may answer the same way. The
# reader below accepts exactly such slips, each of which loses nothing, and names every one it
# repaired; a body that cannot be read without guessing (cut off, a broken string, stray text)
# is refused with where and what, because a list read only in part would look like agents
# logged off or campaigns deleted.

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_BARE = re.compile(r"[A-Za-z_][\w.@+\-]*")
_LITERALS = {"true": True, "false": False, "null": None}
_MAX_DEPTH = 100


class LooseJSONError(ValueError):
    """A body that cannot be read without guessing; says where (line, column) and what."""

    def __init__(self, what: str, text: str, pos: int):
        self.line = text.count("\n", 0, pos) + 1
        self.column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        near = text[pos : pos + 30].split("\n")[0]
        where = f"line {self.line}, column {self.column}"
        super().__init__(f"{what} at {where}" + (f" (near {near!r})" if near else ""))


def read_json(text: str) -> tuple[object, list[str]]:
    """(value, repairs): strict JSON first, so a well-formed body costs only json.loads; else
    the document's known slips, each repair named with its line ("trailing comma at line 9").
    Raises LooseJSONError for anything else."""
    try:
        return json.loads(text), []
    except ValueError:
        pass
    reader = _LooseReader(text)
    return reader.document(), reader.repairs


class _LooseReader:
    def __init__(self, text: str):
        self.text, self.repairs = text, []

    def fail(self, what: str, pos: int):
        raise LooseJSONError(what, self.text, pos)

    def repaired(self, what: str, pos: int) -> None:
        self.repairs.append(f"{what} at line {self.text.count(chr(10), 0, pos) + 1}")

    def ws(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()

    def document(self):
        value, pos = self.value(self.ws(0), 0)
        pos = self.ws(pos)
        if pos < len(self.text):
            self.fail("unexpected text after the end of the body", pos)
        return value

    def value(self, pos: int, depth: int):
        text = self.text
        if pos >= len(text):
            self.fail("the body ends where a value was expected (cut off?)", pos)
        char = text[pos]
        if char in "{[":
            if depth >= _MAX_DEPTH:
                self.fail("nested too deep", pos)
            return self.container(pos, depth + 1)
        if char == '"':
            return self.string(pos)
        number = _NUMBER.match(text, pos)
        if number:
            literal = number.group()
            is_float = any(c in literal for c in ".eE")
            return (float(literal) if is_float else int(literal)), number.end()
        bare = _BARE.match(text, pos)
        if bare:
            word = bare.group()
            if word in _LITERALS:
                return _LITERALS[word], bare.end()
            self.repaired(f"unquoted text {word!r}", pos)
            return word, bare.end()
        self.fail(f"{char!r} where a value was expected", pos)

    def string(self, pos: int):
        text = self.text
        try:
            return json.decoder.scanstring(text, pos + 1, True)
        except ValueError:
            pass
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        if '"' in text[pos + 1 : line_end]:  # closed on its line, with a raw tab or such
            try:
                value = json.decoder.scanstring(text, pos + 1, False)
            except ValueError:
                self.fail("a broken string", pos)
            self.repaired("raw control character in a string", pos)
            return value
        # "j.kowalski@foo.bar],  (GET customers): the closing quote is missing; the string
        # ends where the line's closing brackets and comma begin.
        content = text[pos + 1 : line_end].rstrip().rstrip(",]}").rstrip()
        try:
            value = json.loads(f'"{content}"')
        except ValueError:
            self.fail("a broken string", pos)
        self.repaired("string without its closing quote", pos)
        return value, pos + 1 + len(content)

    def key(self, pos: int):
        if self.text[pos] == '"':
            return self.string(pos)
        bare = _BARE.match(self.text, pos)
        if not bare:
            self.fail(f"{self.text[pos]!r} where a key was expected", pos)
        end = bare.end()
        if self.text.startswith('"', end):  # custom_fields": (opening quote missing)
            end += 1
        self.repaired(f"key {bare.group()!r} without its quotes", pos)
        return bare.group(), end

    def container(self, pos: int, depth: int):
        is_object = self.text[pos] == "{"
        kind, closer = ("an object", "}") if is_object else ("a list", "]")
        result: dict | list = {} if is_object else []
        pos, after_comma, first = self.ws(pos + 1), False, True
        while True:
            if pos >= len(self.text):
                self.fail(f"the body ends inside {kind} (cut off?)", pos)
            char = self.text[pos]
            if char in "}]":
                if after_comma:
                    self.repaired("trailing comma", pos)
                if char != closer:
                    self.repaired(f"{char!r} closes {kind}", pos)
                return result, pos + 1
            if not first and not after_comma:
                if char not in '{["':
                    self.fail(f"{char!r} where ',' or the end of {kind} was expected", pos)
                self.repaired("missing comma", pos)
            if is_object:
                key, pos = self.key(pos)
                pos = self.ws(pos)
                if not self.text.startswith(":", pos):
                    self.fail("':' expected after a key", pos)
                value, pos = self.value(self.ws(pos + 1), depth)
                result[key] = value
            else:
                value, pos = self.value(pos, depth)
                result.append(value)
            pos, first = self.ws(pos), False
            after_comma = self.text.startswith(",", pos)
            if after_comma:
                pos = self.ws(pos + 1)
