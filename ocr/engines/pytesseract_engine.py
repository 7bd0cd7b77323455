"""The fallback engine: the ``tesseract`` program through pytesseract (a subprocess and a model load per call).

About 20× slower than :class:`~ocr.engines.tesserocr_engine.TesserocrEngine` per crop (DESIGN.md); use it
where tesserocr cannot be installed. Same modes, same output.
"""

from __future__ import annotations

import logging
import os
import shlex
from typing import Any

import numpy as np
from PIL import Image

from ocr.engines.base import (
    EngineUnavailable,
    Mode,
    OcrEngine,
    OcrEngineError,
    Word,
    clean_text,
    find_tessdata,
)
from ocr.engines.tesserocr_engine import OEM_LSTM_ONLY, PSM_BY_MODE

log = logging.getLogger(__name__)


class PytesseractEngine(OcrEngine):
    """Tesseract LSTM through the ``tesseract`` command; ``timeout`` (seconds) bounds one call."""

    name = "pytesseract"

    def __init__(
        self,
        *,
        lang: str = "vie",
        datapath: str | os.PathLike[str] | None = None,
        dpi: int = 300,
        timeout: float = 30.0,
        pad: int = 10,
        min_height: int = 24,
        blank_contrast: int = 40,
    ) -> None:
        super().__init__(pad=pad, min_height=min_height, blank_contrast=blank_contrast)
        import pytesseract

        try:
            pytesseract.get_tesseract_version()
        except pytesseract.TesseractNotFoundError:
            raise EngineUnavailable(
                "chưa cài chương trình tesseract hoặc nó không có trong PATH",
                hint="cài bằng apt-get install tesseract-ocr tesseract-ocr-vie",
            ) from None
        self.lang = lang
        self.datapath = str(datapath) if datapath is not None else str(find_tessdata(lang))
        self.dpi = dpi
        self.timeout = timeout

    def _config(self, mode: Mode) -> str:
        return (
            f"--oem {OEM_LSTM_ONLY} --psm {PSM_BY_MODE[mode]} --dpi {self.dpi} "
            f"--tessdata-dir {shlex.quote(self.datapath)}"
        )

    def _read(self, gray: np.ndarray, mode: Mode, kind: str) -> tuple[str, list[Word]]:
        import pytesseract

        try:
            data: dict[str, list[Any]] = pytesseract.image_to_data(
                Image.fromarray(gray),
                lang=self.lang,
                config=self._config(mode),
                output_type=pytesseract.Output.DICT,
                timeout=self.timeout,
            )
        except RuntimeError as exc:  # pytesseract raises RuntimeError on timeout
            raise OcrEngineError(
                f"tesseract chạy quá {self.timeout} giây trên một vùng cắt ({exc})"
            ) from None
        except pytesseract.TesseractError as exc:
            raise OcrEngineError(f"tesseract bị lỗi trên một vùng cắt: {exc}") from None
        words: list[Word] = []
        lines: dict[tuple[int, int, int], list[str]] = {}
        for i, raw in enumerate(data.get("text", [])):
            text = str(raw).strip()
            conf = float(data["conf"][i])
            if int(data["level"][i]) != 5 or not text or conf < 0:
                continue
            box = (int(data["left"][i]), int(data["top"][i]), int(data["width"][i]), int(data["height"][i]))
            words.append(Word(clean_text([text], "word"), conf / 100.0, box))
            key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
            lines.setdefault(key, []).append(text)
        return clean_text((" ".join(v) for _, v in sorted(lines.items())), mode), words
