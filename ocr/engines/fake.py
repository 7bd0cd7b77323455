"""A scripted engine for unit tests: no Tesseract, known answers, every call recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from ocr.engines.base import Mode, OcrEngine, Word

Answer = str | tuple[str, float]
Script = Iterable[Answer] | Mapping[str, Answer] | Callable[[np.ndarray, Mode, str], Answer]


@dataclass(frozen=True, slots=True)
class FakeCall:
    """One call to :meth:`FakeEngine.recognize`: the crop's shape (after padding), mode and kind."""

    shape: tuple[int, ...]
    mode: Mode
    kind: str


class FakeEngine(OcrEngine):
    """Answers from a script instead of reading.

    ``script`` is one of: a sequence of answers given in call order (then ``default``); a mapping from field
    type (``kind``) to answer; a function ``(image, mode, kind) -> answer``. An answer is a text, or a
    (text, confidence) pair; every word of the text gets that confidence (``confidence`` by default) and an
    equal share of the crop's width as its box. No padding, enlarging or blank check unless asked.
    """

    name = "fake"

    def __init__(
        self,
        script: Script | None = None,
        *,
        confidence: float = 0.99,
        default: Answer = "",
        pad: int = 0,
        min_height: int = 0,
        blank_contrast: int = 0,
    ) -> None:
        super().__init__(pad=pad, min_height=min_height, blank_contrast=blank_contrast)
        self.confidence = confidence
        self.default = default
        self.calls: list[FakeCall] = []
        self._function: Callable[[np.ndarray, Mode, str], Answer] | None = None
        self._mapping: Mapping[str, Answer] | None = None
        self._sequence: Iterator[Answer] | None = None
        if callable(script):
            self._function = script
        elif isinstance(script, Mapping):
            self._mapping = script
        elif script is not None:
            self._sequence = iter(list(script))

    def _answer(self, gray: np.ndarray, mode: Mode, kind: str) -> tuple[str, float]:
        answer: Answer
        if self._function is not None:
            answer = self._function(gray, mode, kind)
        elif self._mapping is not None:
            answer = self._mapping.get(kind, self.default)
        elif self._sequence is not None:
            answer = next(self._sequence, self.default)
        else:
            answer = self.default
        if isinstance(answer, tuple):
            return answer[0], float(answer[1])
        return answer, self.confidence

    def _read(self, gray: np.ndarray, mode: Mode, kind: str) -> tuple[str, list[Word]]:
        self.calls.append(FakeCall(tuple(gray.shape), mode, kind))
        text, conf = self._answer(gray, mode, kind)
        tokens = text.split()
        height, width = gray.shape[:2]
        step = width / max(1, len(tokens))
        words = [
            Word(t, conf, (round(i * step), 0, max(1, round(step)), height)) for i, t in enumerate(tokens)
        ]
        return text, words
