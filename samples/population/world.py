"""The population (persons, unions, registered events) and the entry points: simulate, simulate_for, draw_books."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Mapping
from typing import Any, Final

from samples.population.base import (
    DEFAULT_COMMUNES,
    LAST_DAY,
    NAM,
    RARE_BOOK_TYPES,
    Person,
    Rates,
    SampleBook,
    SampleRecord,
    Union,
    _check,
    _CommuneRun,
    _Eras,
    _Event,
    _Geo,
)
from samples.population.commune import (
    _CommuneSim,
)
from samples.population.render import (
    _Renderer,
)
from sohoa.errors import ConfigError


class Population:
    """Persons, unions and the registered events of the simulated communes."""

    def __init__(
        self, seed: int, *, start_year: int = 1950, end_year: int = 2025, rates: Rates | None = None
    ):
        if end_year < start_year + 10:
            raise ValueError("simulate at least ten years")
        self.seed = seed
        self.start = dt.date(start_year, 1, 1)
        self.end = min(dt.date(end_year, 12, 31), LAST_DAY)
        self.rates = rates or Rates()
        self.persons: dict[str, Person] = {}
        self.unions: list[Union] = []
        self.runs: list[_CommuneRun] = []
        self._geo = _Geo()
        self.eras = _Eras()
        self._order = self._commune_order()
        self._events: list[_Event] = []
        self._index: dict[tuple[str, str], dict[str, list[int]]] = {}
        self._sorted: set[tuple[str, str]] = set()
        self._rendered: dict[int, SampleRecord] = {}
        self._renderer = _Renderer(self)
        self._next_person = 1
        self._cmnd_counter = 0
        self._cccd_counters: dict[tuple[str, int, int], int] = {}
        self._passport_counter = 0

    # ------------------------------------------------------------------ communes
    def _commune_order(self) -> list[str]:
        """All communes, round-robin over the districts, each district's communes in a seeded order."""
        rng = random.Random(f"sohoa.order:{self.seed}")
        queues = []
        for dcode in sorted(self._geo.districts):
            codes = list(self._geo.districts[dcode])
            rng.shuffle(codes)
            queues.append(codes)
        rng.shuffle(queues)
        order: list[str] = []
        while any(queues):
            for q in queues:
                if q:
                    order.append(q.pop(0))
        return order

    @property
    def communes(self) -> list[str]:
        """Codes of the simulated communes, in simulation order."""
        return [r.code for r in self.runs]

    def add_commune(self, *, scale: float = 1.0, boosts: Mapping[str, float] | None = None) -> str:
        """Simulate the next commune of the deterministic order; returns its code."""
        done = {r.code for r in self.runs}
        todo = [c for c in self._order if c not in done]
        if not todo:
            raise ConfigError(
                "mọi xã, phường của tỉnh đều đã được mô phỏng",
                hint="yêu cầu ít sổ hơn hoặc sổ nhỏ hơn, hoặc tăng quy mô của các xã",
            )
        unknown = set(boosts or {}) - set(RARE_BOOK_TYPES)
        if unknown or scale <= 0:
            raise ValueError(
                f"scale must be > 0 and boosts keys among {RARE_BOOK_TYPES}, not {sorted(unknown)}"
            )
        run = _CommuneRun(todo[0], float(scale), tuple(sorted((boosts or {}).items())))
        self.runs.append(run)
        _CommuneSim(self, run).run()
        return run.code

    # ------------------------------------------------------------------ ids
    def _new_person_id(self) -> str:
        if self._next_person > 9_999_999:
            raise ConfigError("quá 9.999.999 người được mô phỏng", hint="mô phỏng ít xã hơn hoặc xã nhỏ hơn")
        pid = f"P{self._next_person:07d}"
        self._next_person += 1
        return pid

    def _new_cmnd(self, prefix: str) -> str:
        self._cmnd_counter += 1
        return f"{prefix}{(self._cmnd_counter * 7919 + 1_234_567) % 10_000_000:07d}"

    def _new_cccd(self, province: str, sex: str, birth_year: int) -> str:
        century = (birth_year // 100) - 19
        digit = 2 * max(century, 0) + (0 if sex == NAM else 1)
        yy = birth_year % 100
        key = (province, digit, yy)
        k = self._cccd_counters.get(key, 0) + 1
        self._cccd_counters[key] = k
        serial = (k * 7919 + 104_729 * yy + int(province)) % 1_000_000
        return f"{province}{digit}{yy:02d}{serial:06d}"

    def _new_passport(self) -> str:
        self._passport_counter += 1
        return f"E{(self._passport_counter * 7919 + 31_337) % 100_000_000:08d}"

    # ------------------------------------------------------------------ events
    def _add_event(
        self,
        book_type: str,
        reg: dt.date,
        office: str,
        origin: str,
        roles: dict[str, str],
        info: dict[str, Any],
    ) -> _Event | None:
        if reg < self.start or reg > self.end:
            return None
        era = self.eras.at(reg).id
        ev = _Event(len(self._events), book_type, reg, office, origin, era, roles, info)
        self._events.append(ev)
        self._index.setdefault((book_type, era), {}).setdefault(office, []).append(ev.seq)
        self._sorted.discard((book_type, era))
        return ev

    def _office_lists(self, book_type: str, era: str) -> dict[str, list[int]]:
        key = (book_type, era)
        lists = self._index.get(key, {})
        if key not in self._sorted:
            for seqs in lists.values():
                seqs.sort(key=lambda s: (self._events[s].reg, s))
            self._sorted.add(key)
        return lists

    def counts(self, book_type: str, era: str) -> dict[str, int]:
        """Number of records of a book type and era per registering office."""
        _check(book_type, era)
        return {office: len(seqs) for office, seqs in sorted(self._office_lists(book_type, era).items())}

    def records(self, book_type: str, era: str, office: str | None = None) -> list[SampleRecord]:
        """Every record of a book type and era (of one office, if given), by registration date."""
        _check(book_type, era)
        lists = self._office_lists(book_type, era)
        if office is not None:
            seqs = list(lists.get(office, []))
        else:
            seqs = sorted((s for v in lists.values() for s in v), key=lambda s: (self._events[s].reg, s))
        return [self._render(s) for s in seqs]

    def _render(self, seq: int) -> SampleRecord:
        """The record of an event (a fresh copy: callers may fill in registration numbers)."""
        record = self._rendered.get(seq)
        if record is None:
            record = self._rendered[seq] = self._renderer.render(self._events[seq])
        return dataclasses.replace(record, fields=dict(record.fields), persons=dict(record.persons))


# =========================================================================== entry points
def simulate(
    seed: int,
    *,
    communes: int | None = None,
    start_year: int = 1950,
    end_year: int = 2025,
    scale: float = 1.0,
    boosts: Mapping[str, float] | None = None,
    rates: Rates | None = None,
) -> Population:
    """Simulate ``communes`` communes (default 4) of about ``5000 × scale`` residents each.

    ``boosts`` multiplies the rates of the rare book types (keys: "parent_recognition", "marital_status",
    "other") in every simulated commune. The same arguments always give the same population.
    """
    pop = Population(seed, start_year=start_year, end_year=end_year, rates=rates)
    for _ in range(DEFAULT_COMMUNES if communes is None else communes):
        pop.add_commune(scale=scale, boosts=boosts)
    return pop


# records of the best office of one commune of scale 1.0, boost 1 (its own book, or for "other" its
# district's), the smallest of 6 communes of seed 0; only used to size a simulation before it runs
# (growth corrects any shortfall)
_YIELD: Final[dict[str, dict[str, float]]] = {
    "marriage": {"1976-1999": 960.0, "1999-2005": 384.0, "2006-2015": 316.0, "2016+": 327.0},
    "birth": {"1976-1999": 6900.0, "1999-2005": 1029.0, "2006-2015": 1130.0, "2016+": 948.0},
    "parent_recognition": {"1976-1999": 308.0, "1999-2005": 135.0, "2006-2015": 95.0, "2016+": 82.0},
    "marital_status": {"1976-1999": 473.0, "1999-2005": 470.0, "2006-2015": 748.0, "2016+": 686.0},
    "death": {"1976-1999": 1778.0, "1999-2005": 494.0, "2006-2015": 659.0, "2016+": 634.0},
    "other": {"1976-1999": 486.0, "1999-2005": 168.0, "2006-2015": 217.0, "2016+": 185.0},
}
MAX_SCALE: Final[float] = 4.0
MAX_BOOST: Final[float] = 12.0
# records of a rare book type grow about as boost ** response (pools of eligible people run out)
_RESPONSE: Final[dict[str, float]] = {"parent_recognition": 0.6, "other": 0.85, "marital_status": 1.0}


def _units(book_type: str, scale: float, boost: float) -> float:
    """How many scale-1.0, boost-1 communes' worth of records of ``book_type`` a commune gives."""
    return scale * boost ** _RESPONSE.get(book_type, 0.0)


def _boost_for(book_type: str, factor: float) -> float:
    """The boost that multiplies the records of a rare book type by ``factor``."""
    return min(MAX_BOOST, max(1.0, factor ** (1.0 / _RESPONSE[book_type])))


def _capacity(pop: Population, book_type: str, era: str, records_per_book: int) -> int:
    return sum(n // records_per_book for n in pop.counts(book_type, era).values())


def _yield(pop: Population, book_type: str, era: str) -> float:
    """Records of (book_type, era) in a commune's own book per unit of scale × boost (measured)."""
    counts = pop.counts(book_type, era)
    districts: dict[str, int] = {}
    for run in pop.runs:
        district = pop._geo.district_of(run.code)
        districts[district] = districts.get(district, 0) + 1
    units, records = 0.0, 0
    for run in pop.runs:
        units += _units(book_type, run.scale, dict(run.boosts).get(book_type, 1.0))
        district = pop._geo.district_of(run.code)
        own_district = counts.get(district, 0) if districts[district] == 1 else 0
        records += max(counts.get(run.code, 0), own_district)
    measured = records / units if units else 0.0
    return measured if measured > 0 else _YIELD.get(book_type, {}).get(era, 100.0)


def _ensure(pop: Population, book_type: str, era: str, count: int, records_per_book: int) -> None:
    """Add communes until ``count`` books of ``records_per_book`` records can be drawn."""
    _check(book_type, era)
    info = next(e for e in pop.eras.table if e.id == era)
    if info.end < pop.start or info.start > pop.end:
        raise ConfigError(
            f"giai đoạn {era} nằm ngoài các năm được mô phỏng {pop.start.year}-{pop.end.year}",
            hint="mô phỏng với start_year/end_year bao trùm giai đoạn đó",
        )
    rare = book_type in RARE_BOOK_TYPES
    largest = _units(book_type, MAX_SCALE, MAX_BOOST) if rare else 2 * MAX_SCALE
    for _ in range(64):
        have = _capacity(pop, book_type, era, records_per_book)
        if have >= count:
            return
        per_unit = _yield(pop, book_type, era)
        need = records_per_book * 1.3 / per_unit  # units (see _units) for one more office
        if need > largest * 1.3:
            break
        if rare:
            most = _units(book_type, 1.0, MAX_BOOST)
            scale = min(MAX_SCALE, max(1.0, need / most))
            pop.add_commune(scale=scale, boosts={book_type: _boost_for(book_type, need / scale)})
        else:
            pop.add_commune(scale=min(largest, max(0.5, need)))
    raise ConfigError(
        f"không mô phỏng đủ bản ghi {book_type} của giai đoạn {era} cho {count} sổ, mỗi sổ {records_per_book} bản ghi",
        hint="yêu cầu ít bản ghi hơn cho mỗi sổ",
    )


def simulate_for(
    seed: int,
    needs: Mapping[tuple[str, str], int | tuple[int, int]],
    *,
    start_year: int = 1950,
    end_year: int = 2025,
) -> Population:
    """A population from which :func:`draw_books` can take every book in ``needs`` without growing.

    ``needs`` maps (book_type, era) to ``records_per_book`` (one book) or ``(count, records_per_book)``.
    The communes are sized from the demographic needs (birth, marriage, death) and rare book types are
    boosted where needed; then communes are added until every need is met.
    """
    wanted: dict[tuple[str, str], tuple[int, int]] = {}
    for key, value in sorted(needs.items()):
        _check(*key)
        wanted[key] = (1, value) if isinstance(value, int) else (int(value[0]), int(value[1]))
    communes = max([c for c, _r in wanted.values()] or [1])
    scale = 0.25
    boosts: dict[str, float] = {}
    for (book_type, era), (_count, per_book) in wanted.items():
        units = per_book * 1.15 / _YIELD[book_type][era]
        if book_type in RARE_BOOK_TYPES:
            boosts[book_type] = max(boosts.get(book_type, 1.0), units)
        else:
            scale = max(scale, units)
    scale = min(scale, MAX_SCALE)
    boosts = {k: _boost_for(k, v / scale) for k, v in boosts.items()}
    pop = simulate(
        seed, communes=communes, start_year=start_year, end_year=end_year, scale=scale, boosts=boosts
    )
    for (book_type, era), (count, per_book) in wanted.items():
        _ensure(pop, book_type, era, count, per_book)
    return pop


def draw_books(
    population: Population, seed: int, book_type: str, era: str, count: int, records_per_book: int
) -> list[SampleBook]:
    """``count`` books of one type and era, each with exactly ``records_per_book`` consecutive records.

    Books come from different offices where possible (several disjoint runs of one office otherwise).
    When the population cannot fill them it grows (more communes, deterministically): the persons of the
    returned records are then in ``population.persons``.
    """
    if count < 0 or records_per_book < 1:
        raise ValueError("count must be >= 0 and records_per_book >= 1")
    _check(book_type, era)
    if count == 0:
        return []
    _ensure(population, book_type, era, count, records_per_book)
    rng = random.Random(f"sohoa.draw:{seed}:{book_type}:{era}:{count}:{records_per_book}")
    lists = population._office_lists(book_type, era)
    offices = sorted(o for o, seqs in lists.items() if len(seqs) >= records_per_book)
    rng.shuffle(offices)
    taken: dict[str, int] = {}
    order: list[str] = []
    while len(order) < count:
        progressed = False
        for office in offices:
            if len(order) >= count:
                break
            if (taken.get(office, 0) + 1) * records_per_book <= len(lists[office]):
                taken[office] = taken.get(office, 0) + 1
                order.append(office)
                progressed = True
        if not progressed:  # cannot happen after _ensure
            raise ConfigError("không đủ bản ghi để tạo các sổ", hint="hãy báo lỗi này cho nhóm phát triển")
    books: list[SampleBook] = []
    runs: dict[str, list[list[int]]] = {}
    for office, n in sorted(taken.items()):
        seqs = lists[office]
        slack = len(seqs) - n * records_per_book
        offset = rng.randint(0, slack)
        runs[office] = [
            seqs[offset + i * records_per_book : offset + (i + 1) * records_per_book] for i in range(n)
        ]
    used: dict[str, int] = {}
    for office in order:
        i = used.get(office, 0)
        used[office] = i + 1
        records = [population._render(s) for s in runs[office][i]]
        books.append(SampleBook(office=office, book_type=book_type, era=era, records=records))
    return books
