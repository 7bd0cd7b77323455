"""Scale-out: one scan batch on PostgreSQL with its page reads on a Dask cluster (prefect-dask's
DaskTaskRunner on a ``distributed.LocalCluster`` of two worker processes), as a district would run it
with a scheduler address."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import _pg_database
from distributed import Client, LocalCluster, get_task_stream
from sqlalchemy import func, select

from flows.scan import run_scan
from flows.settings import BookRef, ScanParams, database
from loaders import db, registry
from loaders.models import Page, Record
from samples.make import make_samples
from sohoa import config

pytestmark = [pytest.mark.postgres, pytest.mark.tesseract, pytest.mark.slow]

SEED = 5331  # not used by any other test


@pytest.fixture
def pg_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for url in _pg_database():
        monkeypatch.setenv(db.ENV_URL, url)
        db.upgrade(url)
        with db.session_scope(database()) as session:
            registry.sync_offices(session, config.offices())
        yield url
        database().dispose()


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit="1GiB"
    ) as local:
        yield local


def test_a_scan_batch_on_postgresql_with_a_dask_cluster(
    pg_url: str, cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("dask_samples")
    manifest = make_samples(
        root,
        SEED,
        books_per_type=1,
        pages_per_book=4,
        style="typed",
        eras=["2006-2015"],
        types=["death"],
        workers=1,
    )
    book = manifest["books"][0]
    truth = [json.loads(line) for line in (root / "truth.jsonl").open(encoding="utf-8")]
    ref = BookRef(office=book["office"], book_type=book["book_type"], era=book["era"], volume=book["volume"])
    params = ScanParams(book=ref, files=[root / p for p in book["pages"]], source=str(root), workers=2)

    with Client(cluster) as client, get_task_stream(client) as stream:
        counts = run_scan(params, dask_address=cluster.scheduler_address)
    assert counts["pages_read"] == 4 and counts["quarantined"] == []
    assert counts["records_staged"] >= 0.99 * len(truth)
    ran_on = {t["worker"] for t in stream.data}
    assert len(stream.data) >= 4 and ran_on <= set(cluster.scheduler_info["workers"])

    with db.session_scope(database()) as session:
        assert session.scalar(select(func.count()).select_from(Page).where(Page.status == "staged")) == 4
        rows = session.execute(select(Record.page_id, Record.row_no)).all()
        names = {r.fields["deceased.full_name"]["text"] for r in session.scalars(select(Record))}
    assert len(rows) == len(set(rows)) == counts["records_staged"]
    right = sum(t["fields"]["deceased.full_name"] in names for t in truth)
    assert right >= 0.9 * len(truth)

    again = run_scan(params, dask_address=cluster.scheduler_address)
    assert again["pages_read"] == 0 and again["new_pages"] == 0
