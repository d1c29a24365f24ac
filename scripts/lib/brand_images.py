"""Draw the integration's brand images into custom_components/whatsapp_bridge/brand/.

usage: .venv/bin/python scripts/lib/brand_images.py

Original artwork: a speech bubble carrying a house, joined by a bridge arc. It deliberately looks
nothing like WhatsApp's trademarked logo (no phone handset, no green circle).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = Path(__file__).resolve().parents[2] / "custom_components/whatsapp_bridge/brand"
SCALE = 4  # drawn larger, then scaled down: smooth edges
BUBBLE = (14, 116, 144, 255)  # deep teal
BUBBLE_EDGE = (8, 80, 102, 255)
HOUSE = (255, 255, 255, 255)
TEXT_LIGHT = (31, 41, 55, 255)  # on light backgrounds
TEXT_DARK = (241, 245, 249, 255)  # on dark backgrounds
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def icon(size: int) -> Image.Image:
    """The square icon, `size` pixels wide, on a transparent background."""
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    unit = big / 64
    # The bubble, with its tail at the lower left.
    draw.rounded_rectangle(
        (4 * unit, 6 * unit, 60 * unit, 48 * unit),
        radius=12 * unit,
        fill=BUBBLE,
        outline=BUBBLE_EDGE,
        width=round(1.5 * unit),
    )
    draw.polygon(
        [(12 * unit, 44 * unit), (10 * unit, 60 * unit), (26 * unit, 46 * unit)],
        fill=BUBBLE,
    )
    # The house: roof, walls and a door.
    draw.polygon(
        [(32 * unit, 12 * unit), (48 * unit, 26 * unit), (16 * unit, 26 * unit)],
        fill=HOUSE,
    )
    draw.rectangle((20 * unit, 25 * unit, 44 * unit, 41 * unit), fill=HOUSE)
    draw.rounded_rectangle(
        (29 * unit, 31 * unit, 35 * unit, 41 * unit), radius=unit, fill=BUBBLE
    )
    # The bridge: an arc under the house, from bubble edge to bubble edge.
    draw.arc(
        (10 * unit, 36 * unit, 54 * unit, 56 * unit),
        start=200,
        end=340,
        fill=HOUSE,
        width=round(2.5 * unit),
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def logo(height: int, text_color: tuple[int, int, int, int]) -> Image.Image:
    """The icon with the name beside it, `height` pixels high."""
    big = height * SCALE
    font = ImageFont.truetype(FONT, round(big * 0.42))
    words = "WhatsApp bridge"
    left, top, right, bottom = font.getbbox(words)
    gap = big // 6
    image = Image.new("RGBA", (big + gap + right - left + gap, big), (0, 0, 0, 0))
    image.paste(icon(big), (0, 0))
    draw = ImageDraw.Draw(image)
    draw.text(
        (big + gap - left, (big - (bottom - top)) / 2 - top),
        words,
        font=font,
        fill=text_color,
    )
    return image.resize((image.width // SCALE, height), Image.Resampling.LANCZOS)


def main() -> None:
    """Write every image; the icon is the same on dark backgrounds, the logo's text is not."""
    BRAND.mkdir(parents=True, exist_ok=True)
    icon(256).save(BRAND / "icon.png", optimize=True)
    icon(512).save(BRAND / "icon@2x.png", optimize=True)
    logo(128, TEXT_LIGHT).save(BRAND / "logo.png", optimize=True)
    logo(256, TEXT_LIGHT).save(BRAND / "logo@2x.png", optimize=True)
    logo(128, TEXT_DARK).save(BRAND / "dark_logo.png", optimize=True)
    logo(256, TEXT_DARK).save(BRAND / "dark_logo@2x.png", optimize=True)


if __name__ == "__main__":
    main()
