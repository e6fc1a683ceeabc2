"""The app icon, drawn locally (a favicon from an icon font would be fetched from a CDN)."""
from __future__ import annotations

from functools import lru_cache

PRIMARY = (31, 78, 140)  # police blue, as primaryColor in .streamlit/config.toml


@lru_cache(maxsize=1)
def icon():
    """64×64 police-blue tile with a white 3×3 grid (网格)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((2, 2, 61, 61), radius=12, fill=PRIMARY)
    for x in (14, 26, 38, 50):
        d.line((x, 14, x, 50), fill="white", width=3)
        d.line((14, x, 50, x), fill="white", width=3)
    return img
