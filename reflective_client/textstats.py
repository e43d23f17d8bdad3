"""The per-entry numbers a client derives locally and uploads only encrypted."""

import re

_WORD = re.compile(r"[\w']+")
_POSITIVE = frozenset(
    {
        "calm", "glad", "good", "grateful", "great", "happy", "hope", "joy", "kind", "love",
        "lovely", "loved", "peaceful", "proud", "relaxed", "rested", "satisfied", "strong",
        "sunny", "thankful", "warm", "wonderful",
    }
)  # fmt: skip
_NEGATIVE = frozenset(
    {
        "afraid", "angry", "anxious", "awful", "bad", "bored", "cold", "hurt", "lonely", "lost",
        "sad", "sick", "stress", "stressed", "tense", "tired", "upset", "worried", "worse",
        "worst",
    }
)  # fmt: skip


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def sentiment_score(text: str) -> float:
    """A small lexicon score in [-1, 1]: (positive - negative) / (positive + negative)."""
    words = [word.lower() for word in _WORD.findall(text)]
    positive = sum(word in _POSITIVE for word in words)
    negative = sum(word in _NEGATIVE for word in words)
    total = positive + negative
    return 0.0 if total == 0 else (positive - negative) / total
