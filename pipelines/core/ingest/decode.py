"""Bytes -> text, robustly: BOMs, UTF-16 without BOM, UTF-8, legacy cp1252/Latin-1, mojibake repair.

`decode_bytes` either returns text or raises `DecodeRejected(rule, detail)`; it never guesses silently: the
encoding it chose is returned with the text so the caller can record it.
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

import ftfy
import yaml

# Rules named here appear verbatim in `quarantine.rule`.
RULE_BINARY = "binary_file"
RULE_UNDECODABLE = "undecodable_bytes"

FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,  # raw text keeps what the source said; HTML is handled by the HTML reader
    remove_terminal_escapes=True,
    fix_encoding=True,  # the point: repair mojibake such as "Ã©" -> "é"
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,  # keep typographic quotes: offsets and evidence stay faithful to the source
    fix_line_breaks=True,  # \r\n and \r -> \n
    fix_surrogates=True,
    remove_control_chars=True,
    normalization=None,
    explain=False,
)

# Pure-ASCII text without control characters (other than tab and LF) is left as it is by FTFY_CONFIG: every fix
# it enables needs a non-ASCII character, a CR (line breaks) or a control character (controls, terminal escapes).
# fix_text() skips ftfy for such text (issue 18: ftfy was 70 % of reading 1.25 M tiny JSONL records).
_FTFY_ASCII_TRIGGERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def fix_text(text: str) -> str:
    """ftfy.fix_text(text, config=FTFY_CONFIG), without calling ftfy where it is the identity (see above)."""
    if text.isascii() and not _FTFY_ASCII_TRIGGERS.search(text):
        return text
    return ftfy.fix_text(text, config=FTFY_CONFIG)


# Control characters that never appear in text (tab, LF, FF, CR are allowed).
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BAD_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# A valid UTF-8 multi-byte sequence: its presence means the file *is* UTF-8 (possibly damaged), not a legacy codepage.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_BINARY_RULES = yaml.safe_load((Path(__file__).resolve().parents[2] / "rules" / "ingest.yaml").read_text())["binary"]
# Above this share of NUL bytes a file is binary; below it, NULs are a scraping artefact and are stripped.
MAX_NUL_SHARE = float(_BINARY_RULES["max_nul_share"])
# Up to this many NUL bytes are always stray (one NUL in an 82-byte text is 1.2 %, above the share, and was binary).
MAX_STRAY_NULS = int(_BINARY_RULES.get("max_stray_nul_bytes", 8))
# Above this share of control characters (other than tab/LF/FF/CR) a file is binary; below it, ftfy removes them.
# Random or compressed bytes have ~11 %; text with a few stray escape codes has well under 1 %.
MAX_CONTROL_SHARE = float(_BINARY_RULES["max_control_share"])
SNIFF_BYTES = 200_000


class DecodeRejected(Exception):
    def __init__(self, rule: str, detail: str):
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail


def _looks_utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without BOM has NULs on every other byte for ASCII-range characters."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:4096]
    even_nul = sample[0::2].count(0) / (len(sample) / 2)
    odd_nul = sample[1::2].count(0) / (len(sample) / 2)
    if odd_nul > 0.6 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.6 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _check_textual(text: str, encoding: str) -> None:
    if not text:
        return
    sample = text[:SNIFF_BYTES]
    bad = len(_BAD_CONTROL.findall(sample))
    if bad / len(sample) > MAX_CONTROL_SHARE:
        raise DecodeRejected(RULE_BINARY, f"{bad} control characters in the first {len(sample):,} characters as {encoding}")


def _check_bytes(data: bytes) -> None:
    """Binary sniffing on raw bytes, before any 8-bit decoding is tried (UTF-8 and cp1252 use no C0 controls)."""
    sample = data[:SNIFF_BYTES]
    if not sample:
        return
    nul = sample.count(0)
    if nul > MAX_STRAY_NULS and nul / len(sample) > MAX_NUL_SHARE:
        raise DecodeRejected(RULE_BINARY, f"{nul} NUL bytes in the first {len(sample):,} bytes")
    bad = len(_BAD_CONTROL_BYTES.findall(sample)) - nul
    if bad / len(sample) > MAX_CONTROL_SHARE:
        raise DecodeRejected(RULE_BINARY, f"{bad} control bytes in the first {len(sample):,} bytes")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return (text, encoding label). Raises DecodeRejected for binary or undecodable input."""
    encoding: str
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    elif data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        # before UTF-16: the UTF-32-LE BOM (FF FE 00 00) begins with the UTF-16-LE one (FF FE)
        try:
            text, encoding = data.decode("utf-32"), "utf-32"
        except UnicodeDecodeError as e:
            raise DecodeRejected(RULE_UNDECODABLE, f"UTF-32 BOM but invalid UTF-32 at byte {e.start}") from e
    elif data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as e:
            raise DecodeRejected(RULE_UNDECODABLE, f"UTF-16 BOM but invalid UTF-16 at byte {e.start}") from e
    elif (utf16 := _looks_utf16_without_bom(data)) is not None:
        try:
            text, encoding = data.decode(utf16), utf16
        except UnicodeDecodeError as e:
            raise DecodeRejected(RULE_UNDECODABLE, f"looks like {utf16} but invalid at byte {e.start}") from e
    else:
        _check_bytes(data)
        if b"\x00" in data:
            data = data.replace(b"\x00", b"")  # a few stray NULs: scraping artefact
        text, encoding = _decode_8bit(data)
    _check_textual(text, encoding)
    return fix_text(text), encoding


def _decode_8bit(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        first_error = e
    # A file cut off in the middle of a multi-byte character: the text before it is intact.
    if first_error.end == len(data) and first_error.reason == "unexpected end of data":
        return data[: first_error.start].decode("utf-8"), "utf-8 (truncated final character dropped)"
    if _UTF8_MULTIBYTE.search(data):
        # Valid UTF-8 sequences *and* invalid bytes: mixed or corrupted encodings; refuse to guess.
        raise DecodeRejected(
            RULE_UNDECODABLE,
            f"mixed encodings: valid UTF-8 sequences and an invalid byte 0x{data[first_error.start]:02x} "
            f"at offset {first_error.start}",
        )
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"
