"""python -m services.extraction FRONT [BACK] [--thumb]: read one or two sides of a certificate.

Prints the seed API's JSON answer (`{"data": [...], "errorCode": "0", "errorMessage": ...}`):
one image gives a single side (`vehicle_registration_front` / `_back`, whichever the engine
detects), two images (front, then back) give one two-sided record (`vehicle_registrations`).
`--thumb` puts the aligned card (base64 JPEG) in the answer's image field(s).

Exit status: 0 when the answer's errorCode is "0"; 1 when it is not (the JSON is still printed);
2 for a usage error or a file that cannot be read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Optional

os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def _read(path_text: str) -> bytes:
    path = Path(path_text)
    if not path.exists():
        raise OSError(f"{path_text}: no such file")
    if path.is_dir():
        raise OSError(f"{path_text}: is a directory, not an image file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise OSError(f"{path_text}: cannot be read ({exc.strerror or exc})") from exc


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.extraction",
        description="Read a Vietnamese vehicle registration certificate with the local engine and "
                    "print the seed API's JSON answer.",
    )
    parser.add_argument("front", metavar="FRONT", help="image of one side (the front when BACK is given)")
    parser.add_argument("back", metavar="BACK", nargs="?", help="image of the detail side (back)")
    parser.add_argument("--thumb", action="store_true", help="include the aligned card image (base64 JPEG)")
    args = parser.parse_args(argv)

    paths = [args.front] + ([args.back] if args.back else [])
    try:
        images = [_read(path) for path in paths]
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from services.extraction.engine import Engine  # loads Tesseract: after the arguments are checked

    outcome = Engine().extract(images, thumb=args.thumb)
    response = outcome.to_seed(thumb=args.thumb)
    sys.stdout.write(json.dumps(response.model_dump(), ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()
    return 0 if response.errorCode == "0" else 1


if __name__ == "__main__":
    raise SystemExit(main())
