"""The bad-input corpus, built in a temp folder by the tests (never committed as binaries).

`build_corpus(root)` writes one or more inputs per *kind* and returns the expectation for every input it wrote:
`{source_uri: Expect(kind, outcome)}` where `outcome` is `"document"` (loaded) or the quarantine rule it must get.
Texts are generic English news prose written for these tests, not taken from the seeds.
"""
from __future__ import annotations

import codecs
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

STORY = (
    "GENEVA (Wire) – Delegates from twelve countries met on Tuesday to discuss a ceasefire in the northern region, "
    "officials said.\n\nThe talks, hosted by the United Nations, lasted six hours. A spokesperson said the parties "
    "agreed to meet again next week. Police arrested 14 people outside the building.\n"
)
ACCENTED = "Café owners in Zürich said “no” – prices rose 5 % in the year to June, the minister’s office reported.\n"


@dataclass
class Expect:
    kind: str
    outcome: str  # "document" or a quarantine rule
    # substrings the loaded raw_text must / must not contain
    contains: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


def _w(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)


def build_corpus(root: Path, *, tiny_stories: int = 10_000, big_line_bytes: int = 5 * 1024 * 1024) -> dict[str, Expect]:
    """Write every bad-input kind below `root`; return {source_uri: Expect}."""
    root.mkdir(parents=True, exist_ok=True)
    exp: dict[str, Expect] = {}

    # 1 empty file
    _w(root / "empty.txt", b"")
    exp["empty.txt"] = Expect("empty", "empty_file")
    # 2 whitespace only (spaces, tabs, newlines, NBSP)
    _w(root / "blank.txt", " \t\n\r\n\u00a0\n   ".encode("utf-8"))
    exp["blank.txt"] = Expect("whitespace-only", "whitespace_only")
    # 3 binary (a PNG header + pseudo-random bytes) with a .txt name
    blob = b"\x89PNG\r\n\x1a\n" + bytes((i * 7919 + 13) % 256 for i in range(4096))
    _w(root / "image.txt", blob)
    exp["image.txt"] = Expect("binary", "binary_file")
    # 4 truncated UTF-8: cut in the middle of a multi-byte character
    data = (STORY + ACCENTED).encode("utf-8")
    cut = data.rindex("’".encode("utf-8")) + 1
    _w(root / "truncated.txt", data[:cut])
    exp["truncated.txt"] = Expect("truncated UTF-8", "document", contains=("Delegates from twelve countries", "Café owners"))
    # 5 UTF-16 without BOM (little and big endian)
    _w(root / "utf16le.txt", (STORY + ACCENTED).encode("utf-16-le"))
    _w(root / "utf16be.txt", (STORY + ACCENTED).encode("utf-16-be"))
    exp["utf16le.txt"] = Expect("UTF-16 LE without BOM", "document", contains=("Café owners in Zürich", "twelve countries"))
    exp["utf16be.txt"] = Expect("UTF-16 BE without BOM", "document", contains=("Café owners in Zürich", "twelve countries"))
    # 6 cp1252 (legacy Windows encoding, smart quotes and dash)
    _w(root / "cp1252.txt", (STORY + ACCENTED).encode("cp1252"))
    exp["cp1252.txt"] = Expect("cp1252", "document", contains=("Café owners in Zürich said “no” –",))
    # 7 mojibake: UTF-8 bytes that were decoded as cp1252 and re-encoded as UTF-8
    moji = "Café owners in Zürich said prices rose – the minister’s office reported.\n"  # no byte cp1252 leaves undefined
    _w(root / "mojibake.txt", (STORY + moji).encode("utf-8").decode("cp1252").encode("utf-8"))
    exp["mojibake.txt"] = Expect("cp1252 mojibake", "document", contains=("Café owners in Zürich said prices rose – the minister’s",), excludes=("CafÃ©",))
    # 8 stray NUL bytes in text (scraper artefact) -> stripped; mostly NULs -> binary
    _w(root / "stray_nul.txt", STORY.encode("utf-8").replace(b"Tuesday", b"Tues\x00day") + b"\x00")
    exp["stray_nul.txt"] = Expect("stray NUL bytes", "document", contains=("Tuesday",), excludes=("\x00",))
    _w(root / "nul_heavy.txt", b"abc\x00\x00\x00" * 500)
    exp["nul_heavy.txt"] = Expect("NUL-heavy", "binary_file")
    # 9 mixed encodings in one file (UTF-8 and a stray Latin-1 byte)
    _w(root / "mixed.txt", "Zürich ".encode("utf-8") + b"caf\xe9 " + STORY.encode("utf-8"))
    exp["mixed.txt"] = Expect("mixed encodings", "undecodable_bytes")
    # 10 a single 5 MB line
    unit = "The committee said the figures were provisional and would be revised. "
    line = (unit * (big_line_bytes // len(unit) + 1))[:big_line_bytes]
    _w(root / "one_line.txt", line)
    exp["one_line.txt"] = Expect("one 5 MB line", "document", extra={"n_bytes": big_line_bytes})
    # 11 deeply nested JSON
    _w(root / "deep.json", "[" * 200_000 + "]" * 200_000)
    exp["deep.json"] = Expect("deeply nested JSON", "json_too_deep")
    # 12 JSON with wrong types: text is a number; title/url/date wrong types but text fine
    _w(root / "wrong_types.json", json.dumps({"title": "x", "maintext": 12345, "url": None}))
    exp["wrong_types.json"] = Expect("JSON wrong types (text)", "record_wrong_type")
    _w(root / "wrong_meta.json", json.dumps({"title": ["a", "b"], "maintext": STORY, "url": 7, "date_publish": {"y": 2020}}))
    exp["wrong_meta.json"] = Expect("JSON wrong types (metadata)", "document", contains=("twelve countries",), extra={"title": None, "url": None, "published_at": None})
    # 13 a JSON list with a non-object element and a record without text
    _w(root / "list.json", json.dumps([{"maintext": STORY, "title": "Talks"}, "just a string", {"title": "no body"}]))
    exp["list.json#1"] = Expect("JSON list record", "document", extra={"title": "Talks"})
    exp["list.json#2"] = Expect("JSON list: non-object element", "record_wrong_type")
    exp["list.json#3"] = Expect("JSON list: record without text", "record_without_text")
    # 14 truncated JSON
    _w(root / "broken.json", json.dumps({"maintext": STORY})[:-7])
    exp["broken.json"] = Expect("broken JSON", "broken_json")
    # 15 .jsonl with one broken line (and CRLF line ends, a blank line, a non-object line)
    lines = [json.dumps({"maintext": STORY, "title": "One"}), '{"maintext": "cut off', "", json.dumps({"maintext": ACCENTED}), "[1, 2]"]
    _w(root / "feed.jsonl", "\r\n".join(lines) + "\r\n")
    exp["feed.jsonl#1"] = Expect("jsonl good line", "document", extra={"title": "One"})
    exp["feed.jsonl#2"] = Expect("jsonl broken line", "broken_json_line")
    exp["feed.jsonl#4"] = Expect("jsonl good line", "document", contains=("Zürich",))
    exp["feed.jsonl#5"] = Expect("jsonl non-object line", "record_wrong_type")
    # 16 lone surrogates escaped in JSON (not encodable as UTF-8) in text and metadata
    _w(root / "surrogates.json", json.dumps({"maintext": STORY + "bad \ud800 char", "title": "T \udfff", "url": "https://example.org/\ud83d"}))
    exp["surrogates.json"] = Expect("JSON lone surrogates", "document", contains=("twelve countries",))
    # 17 HTML with an external entity (XXE) pointing at a local file
    secret = root.parent / "secret.txt"
    secret.write_text("TOPSECRET-XXE-CANARY\n")
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        f"<html><head><title>Entity test</title></head><body><article><h1>Entity test</h1><p>&xxe;</p>"
        + "".join(f"<p>{STORY.strip()} Paragraph {i}.</p>" for i in range(3))
        + "</article></body></html>"
    )
    _w(root / "xxe.html", xxe)
    exp["xxe.html"] = Expect("HTML with external entity (XXE)", "document", contains=("twelve countries",), excludes=("TOPSECRET-XXE-CANARY",))
    # 18 billion laughs
    ents = '<!ENTITY lol "lol">' + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    bl = (
        f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{ents}]>\n<html><body><article><p>&lol9;</p>'
        + "".join(f"<p>{STORY.strip()} Paragraph {i}.</p>" for i in range(3))
        + "</article></body></html>"
    )
    _w(root / "laughs.html", bl)
    exp["laughs.html"] = Expect("HTML billion laughs", "document", contains=("twelve countries",), excludes=("lollollollollol",))
    # 19 HTML with only scripts and styles
    _w(root / "scripts.html", "<html><head><script>var a = 'Delegates met';</script><style>p{}</style></head><body><script>document.write('x')</script><noscript></noscript></body></html>")
    exp["scripts.html"] = Expect("HTML with only scripts", "html_no_text")
    # 20 a story with no sentences (punctuation and numbers only)
    _w(root / "no_sentences.txt", "---\n*** 12 34 56 ***\n| | |\n...\n")
    exp["no_sentences.txt"] = Expect("story with no sentences", "document")
    # 21 a file with many tiny stories (one .jsonl record each) and one .txt of many tiny paragraphs
    with open(root / "tiny.jsonl", "w", encoding="utf-8") as fh:
        for i in range(tiny_stories):
            fh.write(json.dumps({"title": f"Item {i}", "maintext": f"Officials reported {i} new cases on Monday."}) + "\n")
    for i in range(tiny_stories):
        exp[f"tiny.jsonl#{i + 1}"] = Expect("many tiny stories (jsonl)", "document")
    _w(root / "tiny_many.txt", "".join(f"Brief {i}\n\nOfficials reported {i} new cases on Monday.\n\n" for i in range(tiny_stories)))
    exp["tiny_many.txt"] = Expect("many tiny stories (one .txt)", "document")
    # 22 a symlink loop (directory pointing at its parent) and a file symlink cycle
    (root / "loop").mkdir()
    os.symlink("..", root / "loop" / "up")
    exp["loop/up"] = Expect("directory symlink loop", "symlinked_directory")
    os.symlink("cycle_b.txt", root / "cycle_a.txt")
    os.symlink("cycle_a.txt", root / "cycle_b.txt")
    exp["cycle_a.txt"] = Expect("file symlink cycle", "broken_symlink")
    exp["cycle_b.txt"] = Expect("file symlink cycle", "broken_symlink")
    # 23 a symlink escaping the input folder
    os.symlink(secret, root / "escape.txt")
    exp["escape.txt"] = Expect("symlink outside the input folder", "symlink_outside_input")
    # 24 an unreadable file (mode 000; the test makes it unreadable for root too)
    _w(root / "locked.txt", STORY)
    os.chmod(root / "locked.txt", 0)
    exp["locked.txt"] = Expect("unreadable file", "unreadable_file")
    # 25 the same file under two names
    _w(root / "copy_a.txt", STORY + ACCENTED)
    _w(root / "sub" / "copy_b.txt", STORY + ACCENTED)
    exp["copy_a.txt"] = Expect("duplicate file (name 1)", "document")
    exp["sub/copy_b.txt"] = Expect("duplicate file (name 2)", "document")
    # 26 unsupported extension and a file without extension
    _w(root / "report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    _w(root / "NOTES", STORY)
    exp["report.pdf"] = Expect("unsupported extension", "unsupported_extension")
    exp["NOTES"] = Expect("no extension", "unsupported_extension")
    # 27 a named pipe (FIFO): reading it would block forever
    os.mkfifo(root / "pipe.txt")
    exp["pipe.txt"] = Expect("named pipe", "not_a_regular_file")
    # 28 a file name that is not valid UTF-8 (bytes 0xff) and one with quotes/newline
    bad_name = os.fsdecode(b"caf\xff.txt")
    _w(root / bad_name, STORY)
    exp["caf\\xff.txt"] = Expect("non-UTF-8 file name", "document")
    _w(root / "it's \"quoted\"\nname.txt", STORY)
    exp["it's \"quoted\"\nname.txt"] = Expect("quotes and newline in file name", "document")
    # 29 UTF-8 with BOM and UTF-16 with BOM but an odd trailing byte
    _w(root / "bom8.txt", codecs.BOM_UTF8 + STORY.encode("utf-8"))
    exp["bom8.txt"] = Expect("UTF-8 BOM", "document", excludes=("\ufeff",))
    _w(root / "bom16_odd.txt", codecs.BOM_UTF16_LE + STORY.encode("utf-16-le") + b"\x41")
    exp["bom16_odd.txt"] = Expect("UTF-16 BOM, odd length", "undecodable_bytes")
    # 30 control characters / terminal escapes inside otherwise good text
    _w(root / "escapes.txt", STORY.replace("Tuesday", "Tues\x1b[31mday\x1b[0m") + "\x07\x08")
    exp["escapes.txt"] = Expect("terminal escapes", "document", contains=("Tuesday",), excludes=("\x1b", "\x07"))
    # 31 an unreadable directory (listing it fails)
    (root / "closed").mkdir()
    _w(root / "closed" / "inside.txt", STORY)
    os.chmod(root / "closed", 0)
    exp["closed"] = Expect("unreadable directory", "unreadable_directory")
    # 32 one NUL byte in a short text (1.2 % NULs: above the share, but stray) -> stripped, not binary_file
    short = "Police detained 40 people in Minsk on Sunday, a rights group said. They were freed."
    _w(root / "short_nul.txt", (short[:30] + "\x00" + short[30:]).encode("utf-8"))
    exp["short_nul.txt"] = Expect("one NUL in a short text", "document", contains=("Police detained 40 people",), excludes=("\x00",))
    # 33 UTF-32 with BOM (LE and BE): the LE BOM starts with the UTF-16 one
    _w(root / "utf32le.txt", STORY.encode("utf-32"))  # Python writes the native (LE) BOM
    exp["utf32le.txt"] = Expect("UTF-32 LE with BOM", "document", contains=("Delegates from twelve countries",), extra={"encoding": "utf-32"})
    _w(root / "utf32be.txt", codecs.BOM_UTF32_BE + STORY.encode("utf-32-be"))
    exp["utf32be.txt"] = Expect("UTF-32 BE with BOM", "document", contains=("Delegates from twelve countries",), extra={"encoding": "utf-32"})
    # 34 HTML nested 300 <div>s deep (libxml2's default limit is 255): the text is there
    lead, rest = STORY.split("\n\n", 1)
    _w(root / "deep_divs.html", "<html><body>" + "<div>" * 300 + f"<p>{lead}</p><p>{rest}</p>" + "</div>" * 300 + "</body></html>")
    exp["deep_divs.html"] = Expect("HTML nested 300 deep", "document", contains=("Delegates from twelve countries",))
    # 35 HTML with <iframe>/<object> and a javascript: link: what the extractor drops stays in raw_text after the
    # main text (html_main_chars) and becomes removed_spans rule html_extract in the clean stage
    minsk = "Protesters marched in Minsk on Sunday against the election result, and police detained 40 people."
    _w(root / "embeds.html", f"<html><head><title>Talks</title></head><body><nav>Home | World | Sport</nav><article>"
       f"<h1>Ceasefire talks</h1><p>{lead}</p><iframe src='https://example.org/embed'></iframe>"
       f"<object data='clip.swf'><p>{minsk}</p></object><p>{rest} <a href='javascript:void(0)'>Read more</a></p>"
       "</article></body></html>")
    exp["embeds.html"] = Expect("HTML with iframe, object and javascript: link", "document",
                                contains=("Delegates from twelve countries", "Protesters marched in Minsk", "Home | World"))
    return exp


def restore_permissions(root: Path) -> None:
    """Undo the chmod 000s so pytest can delete the temp folder."""
    for p in (root / "locked.txt", root / "closed"):
        if p.exists() and not p.is_symlink():
            os.chmod(p, 0o755)
