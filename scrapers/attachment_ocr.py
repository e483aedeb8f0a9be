"""Optical character recognition of attachment images with RapidOCR, when it is installed.

`rapidocr-onnxruntime` (checked with 1.4.4) ships the PP-OCRv4 Chinese detection and
recognition models inside its wheel and runs them with onnxruntime on the CPU, so it
reads images offline. It is an optional dependency: without it `ocr_image` returns None
and the caller marks the attachment as needing OCR.

Tall images (app lists posted as one long screenshot) are read in horizontal strips,
because RapidOCR shrinks an image whose longest side exceeds `max_side_len`, and text
shrunk that far is no longer legible.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from PIL import Image

logger = logging.getLogger(__name__)

# Height in pixels of one strip handed to RapidOCR, also used as its max_side_len.
OCR_STRIP_HEIGHT = 4000
# Pixels shared by neighbouring strips. A text line lower than this lies wholly inside
# one strip, and it is kept in the strip whose core contains its vertical centre.
OCR_STRIP_OVERLAP = 200
# Images larger than this are not read. Estimate: about 70 s of CPU on 2 cores, scaled from
# 16.5 s measured for a 1000x6000 list image of 100 text lines.
MAX_OCR_PIXELS = 25_000_000


@functools.cache
def ocr_engine() -> Any | None:
    """Return the shared RapidOCR engine, or None when rapidocr-onnxruntime is not installed."""
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        logger.info("rapidocr-onnxruntime is not installed, so images are marked as needing OCR")
        return None
    return RapidOCR(max_side_len=OCR_STRIP_HEIGHT)


def ocr_image(image: Image.Image) -> list[str] | None:
    """Read the text lines of an image, top to bottom. Return None when no OCR engine is installed.

    Boxes on one line are joined with a tab, so the cells of a table row stay apart.
    """
    engine = ocr_engine()
    if engine is None:
        return None

    rgb = image.convert("RGB")
    boxes: list[tuple[float, float, float, str]] = []
    for top, strip in _strips(rgb):
        result, _elapsed = engine(strip)
        for points, text, _score in result or []:
            ys = [point[1] for point in points]
            xs = [point[0] for point in points]
            centre = (min(ys) + max(ys)) / 2
            if not _centre_belongs_to_strip(centre, top, strip.height, rgb.height):
                continue
            boxes.append((top + min(ys), top + max(ys), min(xs), text.strip()))
    return _group_lines(boxes)


def _strips(image: Image.Image) -> list[tuple[int, Image.Image]]:
    if image.height <= OCR_STRIP_HEIGHT:
        return [(0, image)]
    strips = []
    top = 0
    while True:
        bottom = min(top + OCR_STRIP_HEIGHT, image.height)
        strips.append((top, image.crop((0, top, image.width, bottom))))
        if bottom >= image.height:
            return strips
        top += OCR_STRIP_HEIGHT - OCR_STRIP_OVERLAP


def _centre_belongs_to_strip(centre: float, top: int, height: int, image_height: int) -> bool:
    """Check that a box centre lies in the strip's core: the strip minus half the overlap at inner edges."""
    half = OCR_STRIP_OVERLAP / 2
    low = 0 if top == 0 else half
    high = height if top + height >= image_height else height - half
    return low <= centre < high


def _group_lines(boxes: list[tuple[float, float, float, str]]) -> list[str]:
    """Group boxes whose vertical centre falls inside the first box of a line, then order by x."""
    lines: list[list[tuple[float, float, float, str]]] = []
    for box in sorted(boxes, key=lambda item: (item[0] + item[1]) / 2):
        centre = (box[0] + box[1]) / 2
        if lines and lines[-1][0][0] <= centre <= lines[-1][0][1]:
            lines[-1].append(box)
        else:
            lines.append([box])
    joined = []
    for line in lines:
        texts = [text for _top, _bottom, _left, text in sorted(line, key=lambda item: item[2]) if text]
        joined.append("\t".join(texts))
    return joined
