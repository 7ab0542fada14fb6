"""Screenshot a report page in headless Chromium, to check by eye that it reads well.

Usage: python scripts/screenshot_report.py REPORT.html [OUT.png] [--height 6000] [--split 1500]
Prints the PNG path(s); with --split the page is also cut into pieces of that height.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no Chromium found: install chromium (apt-get install chromium) to take screenshots")


def screenshot(page: Path, out: Path, *, width: int = 1280, height: int = 6000) -> Path:
    """Render ``page`` headless (no network, throw-away profile) and save a PNG to ``out``."""
    profile = tempfile.mkdtemp(prefix="soteria-chromium-")
    try:
        subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", "--hide-scrollbars",
             f"--screenshot={out}", f"--window-size={width},{height}", page.resolve().as_uri()],
            check=True, capture_output=True, timeout=180,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if not out.exists() or out.stat().st_size == 0:
        sys.exit(f"Chromium wrote no screenshot for {page}")
    return out


def split(image: Path, piece: int) -> list[Path]:
    """Cut a tall screenshot into pieces ``piece`` pixels high (blank tail pieces dropped)."""
    from PIL import Image, ImageStat

    whole = Image.open(image)
    parts = []
    for i, top in enumerate(range(0, whole.height, piece)):
        crop = whole.crop((0, top, whole.width, min(top + piece, whole.height)))
        if ImageStat.Stat(crop.convert("L")).extrema[0][0] > 250:  # all white: past the end
            break
        path = image.with_name(f"{image.stem}-{i + 1}.png")
        crop.save(path)
        parts.append(path)
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=6000)
    parser.add_argument("--split", type=int, default=0, help="also cut into pieces this high")
    args = parser.parse_args(argv)
    out = args.out or args.page.with_suffix(".png")
    shot = screenshot(args.page, out, width=args.width, height=args.height)
    print(shot)
    if args.split:
        for part in split(shot, args.split):
            print(part)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
