"""Tag colors: validation and a random pick from a palette that keeps white text readable."""

import re
import secrets

COLOR_PATTERN = re.compile(r"^#[0-9A-Fa-f]{6}$")

# Tailwind's 700 shades: saturated enough to tell apart, dark enough that white label text
# keeps a WCAG AA contrast ratio (>= 4.5:1) on every one of them.
PALETTE = (
    "#B91C1C",
    "#C2410C",
    "#A16207",
    "#4D7C0F",
    "#15803D",
    "#047857",
    "#0F766E",
    "#0E7490",
    "#0369A1",
    "#1D4ED8",
    "#4338CA",
    "#6D28D9",
    "#7E22CE",
    "#A21CAF",
    "#BE185D",
    "#BE123C",
)


def color_is_valid(color: str) -> bool:
    return bool(COLOR_PATTERN.match(color))


def color_normalize(color: str) -> str:
    """One spelling per color, so clients comparing colors never see '#abcdef' vs '#ABCDEF'."""
    return color.upper()


def color_random() -> str:
    return secrets.choice(PALETTE)
