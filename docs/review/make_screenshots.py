"""Screenshots of the review app on realistic pages: ``.venv/bin/python docs/review/make_screenshots.py``.

Renders handwriting-style sample ledgers (``samples``), stages their records as OCR would have read them
(names and dates damaged by ``samples.ocr_noise``, confidences low where damaged), serves the app with
uvicorn on a free port and drives Debian's chromium (Playwright) through the main screens. The PNGs go
next to this script; the README's "Review app" section shows them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from loaders.approval import approve, claim_next, edit_fields  # noqa: E402
from loaders.db import make_engine, session_scope, upgrade  # noqa: E402
from loaders.registry import register_book, register_page, sync_offices  # noqa: E402
from loaders.staging import stage_records  # noqa: E402
from loaders.users import add_user, find_user  # noqa: E402
from review.app import create_app  # noqa: E402
from review.settings import ReviewSettings  # noqa: E402
from samples.make import make_samples  # noqa: E402
from samples.ocr_noise import OcrNoise  # noqa: E402
from sohoa import config  # noqa: E402

log = logging.getLogger("make_screenshots")
OUT = Path(__file__).resolve().parent
OFFICE = "01774"
PASSWORD = "mat-khau-demo-1"
SEED = 61


def ocr_records(truth: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """The truth's records as OCR might read them: damaged names/dates and some unsure tick boxes."""
    noise = OcrNoise(seed)
    rng = random.Random(seed)
    out = []
    for i, rec in enumerate(truth):
        damaged, _ = noise.damage(rec["fields"], f"{rec['book_id']}:{rec['row']}")
        fields = {}
        for key, text in rec["fields"].items():
            read = damaged.get(key, text)
            conf = 0.97 if read == text else rng.uniform(0.35, 0.7)
            if read == text and rng.random() < 0.08:
                conf = rng.uniform(0.6, 0.85)
            fields[key] = {"text": read, "confidence": round(conf, 2), "bbox": rec["bbox"].get(key)}
        out.append({**rec, "fields": fields, "quality": {"skew_deg": 0.4, "flags": []}, "_i": i})
    return out


def build(folder: Path) -> tuple[str, dict[str, Any]]:
    samples = folder / "samples"
    make_samples(
        samples, SEED, pages_per_book=1, style="handwritten", eras=["2006-2015"], types=["marriage", "birth"]
    )
    truth = [json.loads(line) for line in (samples / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    url = f"sqlite:///{folder / 'review.db'}"
    upgrade(url)
    engine = make_engine(url)
    ids: dict[str, Any] = {}
    truth_of: dict[tuple[int, int], dict[str, str]] = {}
    with session_scope(engine) as session:
        sync_offices(session, config.offices())
        for name, role, office in (
            ("lan", "reviewer", OFFICE),
            ("minh", "reviewer", OFFICE),
            ("sup", "supervisor", OFFICE),
            ("op", "operator", OFFICE),
        ):
            add_user(session, name, office_code=office, role=role, password=PASSWORD)
        by_book: dict[str, list[dict[str, Any]]] = {}
        for rec in ocr_records(truth, SEED):
            by_book.setdefault(rec["book_id"], []).append(rec)
        for book_key, records in by_book.items():
            first = records[0]
            book = register_book(
                session, OFFICE, first["book_type"], first["era"], book_key[-2:] or "01", 2006, 2015
            )
            ids.setdefault("books", {})[first["book_type"]] = book.id
            image = samples / first["image"]
            from PIL import Image

            with Image.open(image) as im:
                width, height = im.size
            digest = hashlib.sha256(image.read_bytes()).hexdigest()
            page, _ = register_page(session, book, 1, str(image), digest, width, height)
            staged = stage_records(session, page, records, actor="ocr").record_ids
            for rec in records:
                truth_of[(book.id, rec["row"])] = truth[rec["_i"]]["fields"]
            ids.setdefault("records", {})[first["book_type"]] = staged
    with session_scope(engine) as session:  # some work done, for the supervisor page
        minh = find_user(session, "minh")
        assert minh is not None
        for _ in range(4):
            record = claim_next(session, minh, book_id=ids["books"]["birth"])
            if record is None:
                break
            right = truth_of[(record.book_id, record.row_no)]
            wrong = {k: right[k] for k, v in record.fields.items() if k in right and v["text"] != right[k]}
            edited = edit_fields(session, record.id, minh, record.version, wrong)
            approve(session, record.id, minh, edited.version)
    engine.dispose()
    return url, ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def shoot(page: Page, name: str, full: bool = False) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
    log.info("wrote %s.png", name)


def login(page: Page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        url, ids = build(Path(tmp))
        engine = make_engine(url)
        app = create_app(engine, ReviewSettings(secret_key="screenshots-" + "k" * 32))
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="vi-VN")
            page.goto(f"{base}/login")
            shoot(page, "login")
            login(page, base, "lan")
            shoot(page, "queue")
            page.keyboard.press("Enter")
            page.wait_for_url("**/records/*")
            page.wait_for_load_state("networkidle")
            shoot(page, "record")
            page.goto(f"{base}/books/{ids['books']['birth']}/batch")
            first_field = page.locator(".fields-nav a").first
            first_field.click()
            page.wait_for_load_state("networkidle")
            shoot(page, "field_batch")
            login(page, base, "sup")
            page.goto(f"{base}/supervisor?period=all")
            shoot(page, "supervisor")
            login(page, base, "op")
            page.goto(f"{base}/books")
            shoot(page, "operator_books")
            browser.close()
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


if __name__ == "__main__":
    main()
