"""Rebuild the bundled sample-page fonts from the npm ``@fontsource/*`` packages.

Debian ships no handwriting fonts with Vietnamese letters, so the sample renderer bundles its own.
Fontsource splits every Google font into unicode-range subsets; this script fetches the pinned package
versions with ``npm pack`` (into a temporary folder), takes the ``latin``, ``latin-ext`` and
``vietnamese`` subsets of the chosen weight (the ``.woff`` files: zlib, so fontTools reads them without
brotli), merges them into one TrueType file per family with ``fontTools.merge`` and copies the family's
OFL licence next to it. It then checks that every Vietnamese letter (each vowel with each tone mark, đ,
upper and lower case) has a glyph.

It is a maintenance tool, never run at sample-generation time:

    .venv/bin/python samples/fonts/build_fonts.py          # needs node/npm and network access
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fontTools.merge import Merger, Options
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
SUBSETS = ("latin", "latin-ext", "vietnamese")
VIETNAMESE_LOWER = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
REQUIRED = VIETNAMESE_LOWER + VIETNAMESE_LOWER.upper() + "".join(map(chr, range(0x20, 0x7F)))
FIXED_TIMESTAMP = 3_600_000_000  # seconds since 1904 (2018): reproducible files


@dataclass(frozen=True)
class Source:
    package: str  # @fontsource/<package>
    version: str
    weight: int
    out: str  # file name written here
    licence: str  # licence file name written here


SOURCES: tuple[Source, ...] = (
    Source("noto-serif", "5.3.0", 400, "NotoSerif-Regular.ttf", "OFL-NotoSerif.txt"),
    Source("noto-serif", "5.3.0", 700, "NotoSerif-Bold.ttf", "OFL-NotoSerif.txt"),
    Source("roboto", "5.3.0", 400, "Roboto-Regular.ttf", "OFL-Roboto.txt"),
    Source("itim", "5.3.0", 400, "Itim-Regular.ttf", "OFL-Itim.txt"),
    Source("patrick-hand", "5.3.0", 400, "PatrickHand-Regular.ttf", "OFL-PatrickHand.txt"),
    Source("dancing-script", "5.3.0", 400, "DancingScript-Regular.ttf", "OFL-DancingScript.txt"),
    Source("pangolin", "5.3.0", 400, "Pangolin-Regular.ttf", "OFL-Pangolin.txt"),
)

log = logging.getLogger("build_fonts")


def fetch(package: str, version: str, into: Path) -> Path:
    """``npm pack`` one package into ``into`` and unpack it; returns the package folder."""
    spec = f"@fontsource/{package}@{version}"
    result = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    tgz = into / result.stdout.strip().splitlines()[-1]
    target = into / f"{package}-{version}"
    with tarfile.open(tgz) as tar:
        tar.extractall(target, filter="data")
    return target / "package"


def merge(package_dir: Path, package: str, weight: int) -> TTFont:
    files = [package_dir / "files" / f"{package}-{subset}-{weight}-normal.woff" for subset in SUBSETS]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise SystemExit(f"{package}: subset files missing: {missing}")
    merged = Merger(options=Options(drop_tables=[])).merge([str(f) for f in files])
    merged.flavor = None
    merged.recalcTimestamp = False
    merged["head"].created = merged["head"].modified = FIXED_TIMESTAMP
    return merged


def missing_letters(font: TTFont, text: str = REQUIRED) -> list[str]:
    cmap = font.getBestCmap()
    return [ch for ch in text if ord(ch) not in cmap]


def build(out_dir: Path = HERE) -> list[Path]:
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="sohoa-fonts-") as tmp:
        fetched: dict[tuple[str, str], Path] = {}
        for src in SOURCES:
            key = (src.package, src.version)
            if key not in fetched:
                fetched[key] = fetch(src.package, src.version, Path(tmp))
            package_dir = fetched[key]
            font = merge(package_dir, src.package, src.weight)
            gaps = missing_letters(font)
            if gaps:
                raise SystemExit(f"{src.out}: no glyph for {''.join(gaps)!r}")
            buf = io.BytesIO()
            font.save(buf)
            (out_dir / src.out).write_bytes(buf.getvalue())
            (out_dir / src.licence).write_text(
                (package_dir / "LICENSE").read_text(encoding="utf-8"), encoding="utf-8"
            )
            written.append(out_dir / src.out)
            log.info("%s: %d bytes", src.out, len(buf.getvalue()))
    return written


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    paths = build()
    total = sum(p.stat().st_size for p in paths)
    sys.stdout.write(f"wrote {len(paths)} fonts, {total / 1e6:.2f} MB\n")
