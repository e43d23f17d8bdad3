import pytest

from tags.colors import PALETTE, color_is_valid, color_random


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("color", PALETTE)
def test_white_text_is_readable_on_every_palette_color(color: str) -> None:
    contrast = (1.0 + 0.05) / (_luminance(color) + 0.05)

    assert contrast >= 4.5


def test_palette_colors_are_valid_and_distinct() -> None:
    assert all(color_is_valid(color) for color in PALETTE)
    assert len(set(PALETTE)) == len(PALETTE)


def test_random_colors_come_from_the_palette() -> None:
    picks = {color_random() for _ in range(200)}

    assert picks <= set(PALETTE)
    assert len(picks) > len(PALETTE) // 2
