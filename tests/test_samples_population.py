"""The synthetic population (samples/population.py) and its text conventions (samples/vn_text.py).

Runs on the real configs (eras, offices). The shared population covers one commune of every district.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samples import population as sp
from samples import vn_text
from samples.population import NOTE_REREGISTRATION, Population, SampleRecord
from samples.population.base import _Eras
from sohoa import config
from sohoa.errors import ConfigError
from sohoa.fields import BOOK_TYPES, FIELDS_BY_BOOK_TYPE, ROLES_BY_BOOK_TYPE

ERAS = ("1976-1999", "1999-2005", "2006-2015", "2016+")
DATE_RE = re.compile(r"^\d{2}/\d{2}/\d{4}$")


# =========================================================================== vn_text
@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "không"),
        (1, "một"),
        (4, "bốn"),
        (5, "năm"),
        (10, "mười"),
        (11, "mười một"),
        (14, "mười bốn"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (25, "hai mươi lăm"),
        (31, "ba mươi mốt"),
        (100, "một trăm"),
        (101, "một trăm linh một"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (115, "một trăm mười lăm"),
        (1000, "một nghìn"),
        (1905, "một nghìn chín trăm linh năm"),
        (1955, "một nghìn chín trăm năm mươi lăm"),
        (1987, "một nghìn chín trăm tám mươi bảy"),
        (2000, "hai nghìn"),
        (2005, "hai nghìn không trăm linh năm"),
        (2010, "hai nghìn không trăm mười"),
        (2018, "hai nghìn không trăm mười tám"),
        (2021, "hai nghìn không trăm hai mươi mốt"),
        (2024, "hai nghìn không trăm hai mươi tư"),
        (1_234_567, "một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy"),
    ],
)
def test_number_to_words(number: int, words: str) -> None:
    assert vn_text.number_to_words(number) == words


def test_number_to_words_le_variant_and_errors() -> None:
    assert vn_text.number_to_words(2005, zero_tens="lẻ") == "hai nghìn không trăm lẻ năm"
    with pytest.raises(ValueError):
        vn_text.number_to_words(-1)


def test_date_to_words() -> None:
    assert (
        vn_text.date_to_words(dt.date(2018, 3, 15))
        == "Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám"
    )
    assert (
        vn_text.date_to_words(dt.date(2005, 4, 1))
        == "Ngày mồng một tháng tư năm hai nghìn không trăm linh năm"
    )
    assert vn_text.date_to_words(dt.date(1999, 12, 24)) == (
        "Ngày hai mươi tư tháng mười hai năm một nghìn chín trăm chín mươi chín"
    )
    assert vn_text.format_date(dt.date(2005, 4, 1)) == "01/04/2005"


@given(st.integers(min_value=1, max_value=9999))
def test_number_words_are_nfc_and_well_formed(n: int) -> None:
    words = vn_text.number_to_words(n)
    assert words == vn_text.nfc(words)
    assert "  " not in words and words == words.strip()
    assert "mười một" not in words or n % 100 == 11 or "mười một" in vn_text.number_to_words(n % 1000)
    assert not words.endswith("linh")


def test_tone_styles() -> None:
    assert vn_text.old_tone_style("Hòa An") == "Hoà An"
    assert vn_text.new_tone_style("Đàm Thuỷ") == "Đàm Thủy"
    assert vn_text.old_tone_style("Quý Thụy Hoàng") == "Quý Thuỵ Hoàng"
    assert vn_text.tone_key("Hoà") == vn_text.tone_key("Hòa")
    assert vn_text.tone_key("Hùng") != vn_text.tone_key("Hưng")
    assert vn_text.title_name("  nông   văn hùng ") == "Nông Văn Hùng"


@given(st.text(alphabet="aàáảãạoòóỏõọeèéẻẽẹuùúủũụyỳýỷỹỵhqtHT ", max_size=20))
def test_tone_style_round_trip(text: str) -> None:
    assert vn_text.new_tone_style(vn_text.old_tone_style(text)) == vn_text.new_tone_style(text)


# =========================================================================== the population
@pytest.fixture(scope="module")
def pop() -> Population:
    geo_districts = len(config.province().districts)
    return sp.simulate(7, communes=geo_districts, scale=0.25)


@pytest.fixture(scope="module")
def all_records(pop: Population) -> list[SampleRecord]:
    return [r for bt in BOOK_TYPES for era in ERAS for r in pop.records(bt, era)]


def _roles_with_names(record: SampleRecord) -> Iterator[str]:
    for role in ROLES_BY_BOOK_TYPE[record.book_type]:
        if f"{role}.full_name" in record.fields:
            yield role


def _date_text(person: sp.Person) -> str:
    if person.birth_date_known:
        return vn_text.format_date(person.birth_date)
    return str(person.birth_date.year)


def _parse(text: str) -> dt.date:
    d, m, y = (int(x) for x in text.split("/"))
    return dt.date(y, m, d)


def test_every_book_type_and_era_has_records(pop: Population) -> None:
    for bt in BOOK_TYPES:
        for era in ERAS:
            assert pop.records(bt, era), (bt, era)


def test_records_carry_every_field_of_their_book_type(all_records: list[SampleRecord]) -> None:
    for r in all_records:
        assert list(r.fields) == list(FIELDS_BY_BOOK_TYPE[r.book_type])
        assert all(isinstance(v, str) for v in r.fields.values())
        assert all(v == vn_text.nfc(v) for v in r.fields.values())
        assert (
            r.fields["registration.number"]
            == r.fields["registration.volume"]
            == r.fields["registration.page"]
            == ""
        )
        assert r.fields["registration.date"] == vn_text.format_date(r.registration_date)
        assert set(r.persons) <= set(ROLES_BY_BOOK_TYPE[r.book_type])


def test_persons_named_iff_name_written(pop: Population, all_records: list[SampleRecord]) -> None:
    for r in all_records:
        for role in _roles_with_names(r):
            written = r.fields[f"{role}.full_name"] != ""
            assert written == (role in r.persons), (r.book_type, role, r.fields, r.persons)
        for pid in r.persons.values():
            assert pid in pop.persons and re.fullmatch(r"P\d{7}", pid)


def test_registration_inside_era_and_after_event(all_records: list[SampleRecord]) -> None:
    for r in all_records:
        assert config.era_of(r.registration_date).id == r.era
        assert r.registration_date <= dt.date(2025, 6, 30)
        for key, value in r.fields.items():
            if key.endswith((".birth_date", ".death_date")) and DATE_RE.match(value):
                assert _parse(value) <= r.registration_date, (key, value, r.registration_date)
            elif key.endswith(".birth_date") and value:
                assert re.fullmatch(r"\d{4}", value), value


def test_records_sorted_and_offices_registering(pop: Population) -> None:
    geo = config.offices()
    levels = {o.code: o.level for o in geo}
    for bt in BOOK_TYPES:
        for era in ERAS:
            recs = pop.records(bt, era)
            dates = [r.registration_date for r in recs]
            assert dates == sorted(dates)
            for r in recs:
                level = levels[r.office]
                if bt in ("birth", "death", "marital_status"):
                    assert level == "commune"
                else:
                    assert level in ("commune", "district")


def test_same_person_same_name_and_birth_date(pop: Population, all_records: list[SampleRecord]) -> None:
    names: dict[str, set[str]] = defaultdict(set)
    for r in all_records:
        for role, pid in r.persons.items():
            person = pop.persons[pid]
            written = r.fields[f"{role}.full_name"]
            assert vn_text.tone_key(written) == person.name_on(r.registration_date), (written, pid)
            names[pid].add(vn_text.tone_key(written))
            birth_date = r.fields.get(f"{role}.birth_date", "")
            if birth_date:
                expected = vn_text.format_date(person.birth_date) if role == "child" else _date_text(person)
                assert birth_date == expected
            if r.fields.get(f"{role}.birth_year"):
                assert r.fields[f"{role}.birth_year"] == str(person.birth_date.year)
            if r.fields.get(f"{role}.sex"):
                assert r.fields[f"{role}.sex"] == person.sex
    changed = {
        r.persons["subject"] for r in all_records if r.fields.get("registration.kind") == "change_correction"
    }
    for pid, seen in names.items():
        if len(seen) > 1:
            assert pop.persons[pid].name_changes, pid
            assert pid in changed


def test_name_change_records_match_name_history(pop: Population, all_records: list[SampleRecord]) -> None:
    changes = [r for r in all_records if r.fields.get("registration.kind") == "change_correction"]
    assert changes
    for r in changes:
        person = pop.persons[r.persons["subject"]]
        before = person.name_on(r.registration_date)
        after = person.name_on(r.registration_date + dt.timedelta(days=1))
        assert before != after
        assert vn_text.tone_key(r.fields["note"]) in (
            f"Thay đổi họ từ {before} thành {after}",
            f"Thay đổi tên từ {before} thành {after}",
        )


def test_mother_named_as_at_her_marriage(pop: Population, all_records: list[SampleRecord]) -> None:
    brides: dict[str, list[SampleRecord]] = defaultdict(list)
    for r in all_records:
        if r.book_type == "marriage":
            brides[r.persons["bride"]].append(r)
    pairs = 0
    for r in all_records:
        if r.book_type != "birth":
            continue
        mother = r.persons["mother"]
        for m in brides.get(mother, []):
            if not pop.persons[mother].name_changes:
                assert vn_text.tone_key(r.fields["mother.full_name"]) == vn_text.tone_key(
                    m.fields["bride.full_name"]
                )
                pairs += 1
            # women keep their family name after marriage
            assert r.fields["mother.full_name"].split()[0] == pop.persons[mother].family_name_on(
                r.registration_date
            )
    assert pairs > 50


def test_death_birth_date_equals_birth_record(all_records: list[SampleRecord]) -> None:
    births = {r.persons["child"]: r.fields["child.birth_date"] for r in all_records if r.book_type == "birth"}
    pairs = 0
    for r in all_records:
        if r.book_type == "death" and r.persons["deceased"] in births:
            assert r.fields["deceased.birth_date"] == births[r.persons["deceased"]]
            assert _parse(r.fields["deceased.death_date"]) >= _parse(r.fields["deceased.birth_date"])
            pairs += 1
    assert pairs > 20


def test_birth_records(pop: Population, all_records: list[SampleRecord]) -> None:
    blank_fathers = 0
    for r in (x for x in all_records if x.book_type == "birth"):
        f = r.fields
        child = pop.persons[r.persons["child"]]
        assert f["child.birth_date_words"] == vn_text.date_to_words(child.birth_date)
        assert child.mother_id == r.persons["mother"]
        if "father" in r.persons:
            assert child.father_id == r.persons["father"]
        else:
            blank_fathers += 1
            assert all(f[k] == "" for k in f if k.startswith("father."))
        deadline = _Eras().at(r.registration_date).birth_deadline
        lag = (r.registration_date - child.birth_date).days
        timeliness = f["registration.timeliness"]
        assert timeliness in ("on_time", "late", "re_registration")
        if timeliness == "on_time":
            assert lag <= deadline
        elif timeliness == "late":
            assert lag > deadline
        else:
            assert f["note"] == NOTE_REREGISTRATION
        if r.era != "2016+":
            assert f["child.id_number"] == ""
    assert blank_fathers > 0


def test_timeliness_mostly_on_time(pop: Population) -> None:
    for bt in ("birth", "death"):
        for era in ("2006-2015", "2016+"):
            counts = Counter(r.fields["registration.timeliness"] for r in pop.records(bt, era))
            assert counts["on_time"] > counts["late"] + counts["re_registration"], (bt, era, counts)
            assert counts["late"] > 0


def test_other_fields(pop: Population, all_records: list[SampleRecord]) -> None:
    kinds: Counter[str] = Counter()
    for r in all_records:
        f = r.fields
        if r.book_type == "marriage":
            assert f["registration.kind"] in ("first", "re_registration", "note")
        elif r.book_type == "parent_recognition":
            assert f["registration.kind"] in ("parent_recognizes_child", "child_recognizes_parent")
            child, parent = pop.persons[r.persons["child"]], pop.persons[r.persons["parent"]]
            assert parent.id in (child.father_id, child.mother_id)
            assert f["parent.relationship"] in ("Cha", "Mẹ")
        elif r.book_type == "marital_status":
            assert f["registration.kind"] in ("domestic_marriage", "foreign_marriage", "other_purpose")
            assert f["person.purpose"].startswith("Để ")
            assert f["person.marital_status"]
        elif r.book_type == "death":
            assert f["deceased.death_cause"] and f["deceased.death_place"]
            assert f["declarant.relationship"]
        elif r.book_type == "other":
            kinds[f["registration.kind"]] += 1
            if f["registration.kind"] in ("guardianship", "end_guardianship"):
                assert f["guardian.full_name"] and f["guardian.relationship"]
                ward = pop.persons[r.persons["subject"]]
                if ward.age_on(r.registration_date) < 18 and f["registration.kind"] == "guardianship":
                    assert r.persons["guardian"] not in (ward.father_id, ward.mother_id)
            else:
                assert all(f[k] == "" for k in f if k.startswith("guardian."))
                assert f["note"]
        for key in ("ethnicity",):
            for role in ROLES_BY_BOOK_TYPE[r.book_type]:
                value = f.get(f"{role}.{key}", "")
                assert value in (
                    "",
                    "Tày",
                    "Thổ",
                    "Nùng",
                    "Mông",
                    "H'Mông",
                    "Mèo",
                    "Dao",
                    "Kinh",
                    "Sán Chay",
                    "Lô Lô",
                    "Hoa",
                )
            for role in ROLES_BY_BOOK_TYPE[r.book_type]:
                assert f.get(f"{role}.sex", "") in ("", "Nam", "Nữ")
                assert f.get(f"{role}.nationality", "") in ("", "Việt Nam", "Trung Quốc")
    assert {"guardianship", "change_correction", "ethnicity_change", "divorce_note"} <= set(kinds)


def test_places_are_written_from_the_offices(pop: Population) -> None:
    recs = pop.records("birth", "2016+")
    assert any(", tỉnh Cao Bằng" in r.fields["child.home_town"] for r in recs)
    old = pop.records("birth", "1976-1999")
    assert any(r.fields["mother.residence"].startswith("X. ") for r in old)
    assert any(
        ", Cao Bằng" in r.fields["mother.residence"] and "tỉnh" not in r.fields["mother.residence"]
        for r in old
    )


def _below_legal_age(person: sp.Person, day: dt.date) -> bool:
    rules = config.era_of(day).rules
    years = rules.marriage_min_age_male if person.sex == "Nam" else rules.marriage_min_age_female
    if rules.marriage_age_rule == "entered":
        years -= 1
    born = person.birth_date
    try:
        birthday = born.replace(year=born.year + years)
    except ValueError:  # 29 February
        birthday = born.replace(year=born.year + years, day=28)
    return day < birthday


def test_child_marriages_are_few_and_mostly_old(pop: Population) -> None:
    share: dict[str, float] = {}
    for era in ERAS:
        records = pop.records("marriage", era)
        young = sum(
            _below_legal_age(pop.persons[r.persons["bride"]], r.registration_date)
            or _below_legal_age(pop.persons[r.persons["groom"]], r.registration_date)
            for r in records
        )
        share[era] = young / len(records)
    assert 0 < share["1976-1999"] < 0.1
    assert max(share["2006-2015"], share["2016+"]) < share["1976-1999"]


def test_id_numbers(pop: Population, all_records: list[SampleRecord]) -> None:
    cccds, cmnds = Counter[str](), Counter[str]()
    for p in pop.persons.values():
        if p.nationality != "Việt Nam":
            assert re.fullmatch(r"E\d{8}", p.cccd)
            continue
        if p.birth_date.year < 1900:
            assert p.cccd == "" and p.cccd_from is None
            continue
        assert re.fullmatch(r"\d{12}", p.cccd), p.cccd
        century = p.birth_date.year // 100 - 19
        assert int(p.cccd[3]) == 2 * century + (0 if p.sex == "Nam" else 1)
        assert p.cccd[4:6] == f"{p.birth_date.year % 100:02d}"
        if p.birth_commune:
            assert p.cccd.startswith("004")
        cccds[p.cccd] += 1
        if p.cmnd:
            assert re.fullmatch(r"\d{9}", p.cmnd)
            cmnds[p.cmnd] += 1
    assert max(cccds.values()) == 1 and max(cmnds.values()) == 1
    for r in all_records:
        for role, pid in r.persons.items():
            value = r.fields.get(f"{role}.id_number", "")
            if value:
                assert value in (pop.persons[pid].cccd, pop.persons[pid].cmnd)
                if len(value) == 12:
                    assert r.registration_date >= dt.date(2016, 1, 1)


def test_ethnic_mix_roughly_as_documented(pop: Population) -> None:
    people = [p for p in pop.persons.values() if p.nationality == "Việt Nam"]
    shares = Counter(p.ethnicity for p in people)
    documented = sp.documented_ethnic_mix()
    assert abs(sum(documented.values()) - 1) < 1e-9
    for group, tolerance in (("Tày", 0.1), ("Nùng", 0.1), ("Mông", 0.07), ("Dao", 0.07), ("Kinh", 0.06)):
        assert abs(shares[group] / len(people) - documented[group]) < tolerance, (group, shares)


def test_family_names_roughly_as_documented(pop: Population) -> None:
    people = [p for p in pop.persons.values() if p.nationality == "Việt Nam"]
    counts = Counter(p.family_name for p in people)
    top2 = {name for name, _n in counts.most_common(2)}
    assert top2 == {"Hoàng", "Nông"}
    assert counts["Nguyễn"] / len(people) < 0.12  # far below the national 38%
    founders = [p for p in people if p.father_id is None and p.mother_id is None]
    by_group: dict[str, Counter[str]] = defaultdict(Counter)
    for p in founders:
        by_group[p.ethnicity][p.family_name] += 1
    for group, names in by_group.items():
        documented = sp.documented_family_names(group)
        assert set(names) <= set(documented), group
    tay = by_group["Tày"]
    assert abs(tay["Nông"] / sum(tay.values()) - sp.documented_family_names("Tày")["Nông"]) < 0.08


def test_names_are_title_case_nfc(pop: Population) -> None:
    for p in pop.persons.values():
        name = p.full_name
        assert name == vn_text.title_name(name)
        assert 2 <= len(name.split()) <= 5


# =========================================================================== books, growth, determinism
def test_draw_books_exact_sizes_and_offices(pop: Population) -> None:
    books = sp.draw_books(pop, 3, "birth", "2006-2015", 3, 40)
    assert len(books) == 3
    assert len({b.office for b in books}) == 3
    for b in books:
        assert len(b.records) == 40
        assert all(
            r.office == b.office and r.era == "2006-2015" and r.book_type == "birth" for r in b.records
        )
        dates = [r.registration_date for r in b.records]
        assert dates == sorted(dates)
        every = pop.records("birth", "2006-2015", b.office)
        start = every.index(b.records[0])
        assert every[start : start + 40] == b.records  # a contiguous run
    assert sp.draw_books(pop, 3, "birth", "2006-2015", 3, 40) == books


def test_draw_books_grows_the_population_when_short() -> None:
    small = sp.simulate(11, communes=1, scale=0.2)
    before = len(small.communes)
    books = sp.draw_books(small, 1, "parent_recognition", "1999-2005", 2, 120)
    assert len(books) == 2 and all(len(b.records) == 120 for b in books)
    assert len(small.communes) > before
    for b in books:
        for r in b.records:
            assert all(pid in small.persons for pid in r.persons.values())


def test_simulate_for_meets_needs() -> None:
    needs: dict[tuple[str, str], int | tuple[int, int]] = {
        ("death", "2016+"): (2, 30),
        ("other", "2006-2015"): 60,
        ("marriage", "1999-2005"): (1, 50),
    }
    pop = sp.simulate_for(5, needs, end_year=2025)
    runs = len(pop.communes)
    for (bt, era), value in needs.items():
        count, per_book = value if isinstance(value, tuple) else (1, value)
        books = sp.draw_books(pop, 9, bt, era, count, per_book)
        assert [len(b.records) for b in books] == [per_book] * count
    assert len(pop.communes) == runs  # no growth needed


def _digest(pop: Population) -> str:
    h = hashlib.sha256()
    for bt in BOOK_TYPES:
        for era in ERAS:
            for r in pop.records(bt, era):
                h.update(
                    json.dumps(
                        [r.office, str(r.registration_date), r.fields, r.persons], sort_keys=True
                    ).encode()
                )
    return h.hexdigest()


def test_same_seed_same_records_across_processes() -> None:
    here = _digest(sp.simulate(21, communes=2, scale=0.1))
    assert here == _digest(sp.simulate(21, communes=2, scale=0.1))
    code = (
        "import sys; sys.path.insert(0, '.');"
        "from tests.test_samples_population import _digest;"
        "from samples import population as sp;"
        "print(_digest(sp.simulate(21, communes=2, scale=0.1)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert out.stdout.strip() == here
    assert here != _digest(sp.simulate(22, communes=2, scale=0.1))


def test_unknown_book_type_or_era() -> None:
    small = sp.simulate(1, communes=1, scale=0.1)
    with pytest.raises(ConfigError):
        small.records("adoption", "2016+")
    with pytest.raises(ConfigError):
        small.records("birth", "1890-1900")
