"""The emailed brief's two charts as small PNG images, drawn here with Pillow.

Email clients show neither JavaScript (plotly's charts) nor, in most webmails, SVG; a PNG
attached inline (``cid:``) shows everywhere. plotly's static export needs kaleido and a
Chrome build it downloads, which a server without network cannot do; drawing bars and a
line with Pillow (already installed with Streamlit) takes a few milliseconds, offline.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

WIDTH = 640
_BAR = (31, 111, 139)
_BAND = (196, 222, 232)
_GRID = (225, 225, 225)
_TEXT = (40, 40, 40)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _x(value: float, left: int, right: int) -> int:
    return round(left + (right - left) * max(0.0, min(100.0, value)) / 100.0)


def channel_bars(rows: Sequence[tuple[str, float, float, float]]) -> bytes:
    """Trust per channel: one bar per (name, trust, low, high), its 80 % interval as a
    whisker, on a 0–100 axis."""
    row_h, top, left, right = 26, 10, 150, WIDTH - 40
    height = top + row_h * max(1, len(rows)) + 30
    img = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(img)
    font, small = _font(13), _font(11)
    for tick in range(0, 101, 20):
        x = _x(tick, left, right)
        draw.line([(x, top), (x, height - 24)], fill=_GRID)
        draw.text((x, height - 20), str(tick), fill=_TEXT, font=small, anchor="mt")
    for i, (name, value, low, high) in enumerate(rows):
        y = top + i * row_h
        draw.text((left - 8, y + row_h / 2), name[:22], fill=_TEXT, font=font, anchor="rm")
        draw.rectangle([left, y + 5, _x(value, left, right), y + row_h - 5], fill=_BAR)
        mid = y + row_h // 2
        draw.line([(_x(low, left, right), mid), (_x(high, left, right), mid)], fill=_TEXT, width=2)
        label_x = _x(max(value, high), left, right) + 5
        draw.text((label_x, mid), f"{value:.0f}", fill=_TEXT, font=small, anchor="lm")
    return _png(img)


def trend(points: Sequence[tuple[str, float, float, float]]) -> bytes:
    """Brand trust over time: a line through (label, trust, low, high) with its interval as
    a band, on a 0–100 axis."""
    height, top, bottom, left, right = 220, 12, 190, 36, WIDTH - 16
    img = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(img)
    small = _font(11)

    def y(v: float) -> int:
        return round(bottom - (bottom - top) * max(0.0, min(100.0, v)) / 100.0)

    for tick in range(0, 101, 25):
        draw.line([(left, y(tick)), (right, y(tick))], fill=_GRID)
        draw.text((left - 4, y(tick)), str(tick), fill=_TEXT, font=small, anchor="rm")
    n = len(points)
    if n:
        step = (right - left) / max(1, n - 1)
        xs = [round(left + i * step) if n > 1 else (left + right) // 2 for i in range(n)]
        if n > 1:
            band = [(x, y(p[3])) for x, p in zip(xs, points, strict=True)]
            band += [(x, y(p[2])) for x, p in reversed(list(zip(xs, points, strict=True)))]
            draw.polygon(band, fill=_BAND)
            draw.line([(x, y(p[1])) for x, p in zip(xs, points, strict=True)], fill=_BAR, width=3)
        for x, p in zip(xs, points, strict=True):
            draw.ellipse([x - 3, y(p[1]) - 3, x + 3, y(p[1]) + 3], fill=_BAR)
        every = max(1, n // 6)
        for i in range(0, n, every):
            draw.text((xs[i], bottom + 14), points[i][0], fill=_TEXT, font=small, anchor="mt")
    return _png(img)
