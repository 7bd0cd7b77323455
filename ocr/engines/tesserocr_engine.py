"""The default engine: Tesseract in process through tesserocr, one API per worker, reused for every crop.

Loading the Vietnamese model costs about 0.1–0.3 s; reusing one ``PyTessBaseAPI`` per process makes a cell
cost milliseconds (see DESIGN.md, "Lessons already measured"). An API is not thread-safe, so each thread of
each process gets its own, created on first use; a forked child never reuses its parent's.
``OMP_THREAD_LIMIT=1`` is set before tesserocr is imported: parallelism comes from one worker per core.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Final

import numpy as np

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

# the environment is set above, before tesserocr can be imported
from ocr.engines.base import (
    EngineUnavailable,
    Mode,
    OcrEngine,
    OcrEngineError,
    Word,
    clean_text,
    find_tessdata,
)

log = logging.getLogger(__name__)

#: Tesseract page segmentation mode per reading mode: 7 one line, 6 one block. A word is read as a line:
#: with the ``vie`` LSTM model PSM 8 (single word) framed words in junk ("_Hương.", "1987.", "_An.") with
#: confidences of 0–57, where PSM 7 read them exactly at 95–96.
PSM_BY_MODE: Final[dict[str, int]] = {"line": 7, "block": 6, "word": 7}
OEM_LSTM_ONLY: Final[int] = 1


class _Apis(threading.local):
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.apis: dict[tuple[str, str, int], Any] = {}


_local = _Apis()


def _api(lang: str, datapath: str, dpi: int) -> Any:
    """This thread's API for (lang, datapath), created on first use."""
    if _local.pid != os.getpid():  # forked: the parent's APIs are not ours
        _local.apis = {}
        _local.pid = os.getpid()
    key = (lang, datapath, dpi)
    api = _local.apis.get(key)
    if api is None:
        try:
            import tesserocr
        except ImportError as exc:
            raise EngineUnavailable(
                f"không nạp được tesserocr ({exc})", hint="cài các thư viện của dự án (make venv)"
            ) from None
        try:
            api = tesserocr.PyTessBaseAPI(
                path=datapath, lang=lang, oem=OEM_LSTM_ONLY, psm=PSM_BY_MODE["line"]
            )
        except RuntimeError as exc:
            raise EngineUnavailable(
                f"Tesseract không nạp được mô hình {lang!r} từ {datapath} ({exc})",
                hint="cài lại tesseract-ocr-vie hoặc đặt TESSDATA_PREFIX",
            ) from None
        api.SetVariable("user_defined_dpi", str(dpi))
        _local.apis[key] = api
        log.debug("created a Tesseract API (pid %d, thread %s, %s)", os.getpid(), threading.get_ident(), lang)
    return api


def release_apis() -> None:
    """End this thread's Tesseract APIs (they are recreated when needed)."""
    for api in _local.apis.values():
        api.End()
    _local.apis = {}


def _text_or_empty(get: Any, *args: Any) -> str:
    """tesserocr raises RuntimeError("No text returned") where Tesseract returns no text: that is ""."""
    try:
        return str(get(*args) or "")
    except RuntimeError:
        return ""


class TesserocrEngine(OcrEngine):
    """Tesseract LSTM (OEM 1) in process; ``lang`` defaults to Vietnamese.

    ``dpi`` is the resolution Tesseract assumes for crops (it only tunes internal size heuristics).
    """

    name = "tesserocr"

    def __init__(
        self,
        *,
        lang: str = "vie",
        datapath: str | os.PathLike[str] | None = None,
        dpi: int = 300,
        pad: int = 10,
        min_height: int = 24,
        blank_contrast: int = 40,
    ) -> None:
        super().__init__(pad=pad, min_height=min_height, blank_contrast=blank_contrast)
        self.lang = lang
        self.datapath = str(datapath) if datapath is not None else str(find_tessdata(lang))
        if not self.datapath.endswith(os.sep):
            self.datapath += os.sep  # tesserocr wants the folder with a trailing separator
        self.dpi = dpi

    def warm_up(self) -> None:
        """Create this thread's API now (a worker calls it once before timing-sensitive work)."""
        _api(self.lang, self.datapath, self.dpi)

    def _read(self, gray: np.ndarray, mode: Mode, kind: str) -> tuple[str, list[Word]]:
        import tesserocr

        api = _api(self.lang, self.datapath, self.dpi)
        height, width = gray.shape
        try:
            api.SetPageSegMode(PSM_BY_MODE[mode])
            api.SetImageBytes(gray.tobytes(), width, height, 1, width)
            api.SetSourceResolution(self.dpi)
            if not api.Recognize():
                raise OcrEngineError(f"Tesseract bị lỗi trên vùng cắt {width}×{height}")
            text = _text_or_empty(api.GetUTF8Text)
            words: list[Word] = []
            level = tesserocr.RIL.WORD
            iterator = api.GetIterator()
            if iterator is not None:
                for item in tesserocr.iterate_level(iterator, level):
                    word = _text_or_empty(item.GetUTF8Text, level).strip()
                    box = item.BoundingBox(level)
                    if not word or box is None:
                        continue
                    x0, y0, x1, y1 = box
                    conf = item.Confidence(level) / 100.0
                    words.append(Word(clean_text([word], "word"), conf, (x0, y0, x1 - x0, y1 - y0)))
        except RuntimeError as exc:
            raise OcrEngineError(f"Tesseract bị lỗi trên vùng cắt {width}×{height}: {exc}") from None
        finally:
            api.Clear()
        return clean_text(text.splitlines(), mode), words

    def close(self) -> None:
        release_apis()
