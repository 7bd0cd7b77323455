"""linkage/: comparison levels, blocking rules, constraints, settings and the incremental linker."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from linkage import (
    BlockingError,
    Linker,
    LinkSettings,
    NameFrequencies,
    NamePart,
    block_on,
    compare_birth_date,
    compare_name_part,
    mentions_from_record,
    pair_evidence,
    pair_violation,
    score_pair,
)
from linkage.blocking import DEFAULT_RULES, blocking_keys
from linkage.constraints import misread_years
from linkage.mention import Mention, ocr_fold, repair_date, tone_free
from normalize import PartialDate


def part(text: str) -> NamePart:
    return NamePart.of(text)


# ------------------------------------------------------------------------------------------- levels
@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Hòa", "Hoà", "exact"),  # old and new tone placement
        ("HÒA", "hòa", "exact"),
        ("Sỹ", "Sĩ", "exact"),  # loose key: final y after a consonant
        ("Lâm", "Lầm", "tone"),
        ("Phương", "Phượng", "tone"),
        ("Nguyen", "Nguyễn", "diacritics_lost"),
        ("Van", "Văn", "diacritics_lost"),
        ("Thắng", "Thẳng", "tone"),
        ("Nguyễn", "Ngyễn", "ocr"),  # a letter lost
        ("Phượng", "Phuợng", "vowel_mark"),  # a horn lost: both still marked, the tone kept
        ("Dần", "Dàn", "vowel_mark"),  # a circumflex lost
        ("Nam", "Nm", "different"),  # too short to call OCR damage
        ("Nam", "Lâm", "different"),
        ("Hùng", "Hưng", "different"),  # both marked: not a lost-diacritics copy
        ("", "Nam", "null"),
    ],
)
def test_name_part_levels(a: str, b: str, level: str) -> None:
    assert compare_name_part(part(a), part(b)) == level
    assert compare_name_part(part(b), part(a)) == level


def test_tone_free_keeps_vowel_marks() -> None:
    assert tone_free("hùng") == "hung"
    assert tone_free("hưng") == "hưng"
    assert tone_free("nguyễn") == "nguyên"


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (PartialDate(1987, 3, 5), PartialDate(1987, 3, 5), "exact"),
        (PartialDate(1987), PartialDate(1987, 3, 5), "year"),
        (PartialDate(1987, 3), PartialDate(1987, 3, 5), "year"),
        (PartialDate(1987, 3, 5), PartialDate(1987, 5, 3), "transposed"),
        (PartialDate(1987, 3, 5), PartialDate(1987, 3, 6), "one_digit"),
        (PartialDate(1987, 3, 5), PartialDate(1981, 3, 5), "one_digit"),
        (PartialDate(1985), PartialDate(1935), "year_one_digit"),  # 8 and 3 look alike by hand
        (PartialDate(1980), PartialDate(1988), "different"),  # 0 and 8 do not: namesakes
        (PartialDate(1987, 3, 5), PartialDate(1987, 3, 4), "different"),  # born a day apart
        (PartialDate(1944), PartialDate(1994, 5, 2), "year_one_digit"),  # a year against a misread date
        (PartialDate(1987, 3, 5), PartialDate(1990, 11, 20), "different"),
        (PartialDate(1970), PartialDate(1987, 3, 5), "different"),
        (None, PartialDate(1987), "null"),
    ],
)
def test_birth_date_levels(a: PartialDate | None, b: PartialDate | None, level: str) -> None:
    assert compare_birth_date(a, b) == level
    assert compare_birth_date(b, a) == level


def _mention(mid: str, name: str, **kw: Any) -> Mention:
    parts = name.split(" ")
    base = Mention(
        id=mid,
        record_id=mid,
        book_type="birth",
        role="child",
        name=name,
        family=part(parts[0]),
        middle=part(" ".join(parts[1:-1])),
        given=part(parts[-1]),
    )
    return replace(base, **kw)


def test_given_name_weighs_most_and_van_little() -> None:
    a = _mention("a", "Nguyễn Văn Nam")
    ev_given = score_pair(a, _mention("b", "Nguyễn Văn Lâm"))
    ev_middle = score_pair(a, _mention("c", "Nguyễn Đức Nam"))
    ev_family = score_pair(a, _mention("d", "Hoàng Văn Nam"))
    assert ev_given.total < ev_family.total
    assert ev_given.total < ev_middle.total
    assert ev_middle.weights["middle"] > -5 > ev_given.weights["given"]


def test_common_given_name_counts_less_than_rare() -> None:
    freqs = NameFrequencies()
    common = [_mention(f"h{i}", "Nông Văn Hùng") for i in range(150)]
    rare = [_mention(f"r{i}", f"Nông Văn Tuân{i}") for i in range(100)]
    freqs.add([*common, *rare, _mention("x", "Nông Văn Sình")])
    hung = score_pair(_mention("a", "Nông Văn Hùng"), _mention("b", "Nông Văn Hùng"), frequencies=freqs)
    sinh = score_pair(_mention("a", "Nông Văn Sình"), _mention("b", "Nông Văn Sình"), frequencies=freqs)
    assert sinh.weights["given"] > hung.weights["given"] + 5
    assert freqs.frequency("given", "hùng") == pytest.approx(150 / 251)


def test_lost_diacritics_are_weighed_by_how_common_the_bare_name_is() -> None:
    freqs = NameFrequencies()
    # "hung" bare stands for Hùng, Hưng, Hứng …: a diacritics-lost Hung says less than a bare Su (Sử)
    common = [_mention(f"h{i}", f"Nông Văn {name}") for i in range(50) for name in ("Hùng", "Hưng", "Hứng")]
    rare = [_mention(f"r{i}", f"Nông Văn Tuân{i}") for i in range(100)]
    freqs.add([*common, *rare, _mention("x", "Nông Văn Sử")])
    hung = score_pair(_mention("a", "Nông Văn Hung"), _mention("b", "Nông Văn Hưng"), frequencies=freqs)
    su = score_pair(_mention("a", "Nông Văn Su"), _mention("b", "Nông Văn Sử"), frequencies=freqs)
    assert hung.levels["given"] == su.levels["given"] == "diacritics_lost"
    assert su.weights["given"] > hung.weights["given"] + 5
    assert freqs.frequency("given", "hung", "ascii") == pytest.approx(150 / 251)
    # an exact copy still weighs more than a diacritics-lost one of the same name
    exact = score_pair(_mention("a", "Nông Văn Sử"), _mention("b", "Nông Văn Sử"), frequencies=freqs)
    assert exact.weights["given"] > su.weights["given"]


# ------------------------------------------------------------------------------------------- linker
BIRTH = {
    "registration.date": "10/04/1987",
    "child.full_name": "Nguyễn Văn Nam",
    "child.birth_date": "05/03/1987",
    "child.sex": "Nam",
    "child.ethnicity": "Tày",
    "mother.full_name": "Hoàng Thị Mai",
    "mother.birth_year": "1965",
    "father.full_name": "Nguyễn Văn Sình",
    "father.birth_year": "1962",
    "father.residence": "xóm Nà Kéo, xã Ngọc Côn, huyện Trùng Khánh, tỉnh Cao Bằng",
}


def _death(name: str, birth: str) -> dict[str, str]:
    return {
        "registration.date": "02/01/2020",
        "deceased.full_name": name,
        "deceased.birth_date": birth,
        "deceased.sex": "Nam",
        "deceased.ethnicity": "Tày",
        "deceased.death_date": "01/01/2020",
    }


def _link_two(second: dict[str, str]) -> list[str]:
    linker = Linker()
    index = linker.new_index()
    linker.link(mentions_from_record("birth", BIRTH, "b1"), index)
    decisions = linker.link(mentions_from_record("death", second, "d1"), index)
    return [d.action for d in decisions]


def test_diacritics_lost_same_birth_date_links() -> None:
    assert _link_two(_death("Nguyen Van Nam", "05/03/1987")) == ["auto"]


def test_different_given_name_same_birth_date_does_not_auto_link() -> None:
    linker = Linker()
    index = linker.new_index()
    linker.link(mentions_from_record("birth", BIRTH, "b1"), index)
    (decision,) = linker.link(
        mentions_from_record("death", _death("Nguyễn Văn Lâm", "05/03/1987"), "d1"), index
    )
    assert decision.action == "new"
    assert decision.suggestions  # sent to review, with the evidence
    assert decision.suggestions[0].evidence.levels["given"] == "different"


def test_one_birth_record_per_person() -> None:
    linker = Linker()
    index = linker.new_index()
    linker.link(mentions_from_record("birth", BIRTH, "b1"), index)
    again = linker.link(mentions_from_record("birth", BIRTH, "b2"), index)
    child = next(d for d in again if d.mention_id == "b2:child")
    assert child.action == "new"
    assert child.rejected and "one birth record" in str(child.rejected[0].evidence.violation)
    mother = next(d for d in again if d.mention_id == "b2:mother")
    assert mother.action == "auto"  # a mother may be on many birth records
    assert mother.evidence is not None and mother.evidence.weights["pair"] > 0


def test_mentions_from_record() -> None:
    mentions = {m.role: m for m in mentions_from_record("birth", BIRTH, "b1")}
    assert set(mentions) == {"child", "mother", "father"}
    child, mother, father = mentions["child"], mentions["mother"], mentions["father"]
    assert child.given.key == "nam" and child.middle.key == "văn" and child.family.ascii == "nguyen"
    assert child.birth_date == PartialDate(1987, 3, 5) and child.sex == "male"
    assert mother.sex == "female" and mother.birth_year == 1965
    assert mother.child_birth_date == PartialDate(1987, 3, 5)
    assert mother.spouse is not None and mother.spouse[1].key == "sình"
    assert father.residence == "01481"
    assert child.registration_date == dt.date(1987, 4, 10)
    with pytest.raises(ValueError, match="unknown book type"):
        mentions_from_record("births", BIRTH, "x")


# ------------------------------------------------------------------------------------------ blocking
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "at least one field"),
        (("family_ascii",), "38%"),
        (("family_ascii", "residence"), "add a given-name"),
        (("given",), "unknown blocking field"),
        (("given_ascii", "given_ascii"), "repeated"),
    ],
)
def test_blocking_rule_errors_say_how_to_fix(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(BlockingError, match=message):
        block_on(*args)


def test_blocking_rule_list_argument() -> None:
    with pytest.raises(BlockingError, match="separate arguments"):
        block_on(["given_ascii", "birth_year"])  # type: ignore[arg-type]


def test_blocking_keys() -> None:
    child = mentions_from_record("birth", BIRTH, "b1")[0]
    keys = blocking_keys(child, DEFAULT_RULES)
    assert "given_ascii+birth_year=nam|1987" in keys
    assert "birth_date+sex=1987-03-05|male" in keys
    assert block_on("given_ascii", "residence").key(child) is None  # no residence: not blocked by it


# ------------------------------------------------------------------------------------------ constraints
def _m(mid: str, role: str, book: str = "birth", **kw: Any) -> Mention:
    return replace(Mention(id=mid, record_id=mid, book_type=book, role=role), **kw)


def test_constraints() -> None:
    # years chosen so that no misread look-alike digit (see misread_years) explains the break
    assert "one record" in str(
        pair_violation(_m("r:a", "mother", record_id="r"), _m("r:b", "child", record_id="r"))
    )
    born = _m("c", "child", birth_date=PartialDate(2012, 1, 1))
    dead = _m("d", "deceased", "death", birth_date=PartialDate(2012, 1, 1), death_date=PartialDate(2002))
    assert "before" in str(pair_violation(born, dead))
    girl = _m("g", "child", birth_date=PartialDate(1990, 1, 1))
    mother_young = _m("m", "mother", child_birth_date=PartialDate(2002, 5, 1))
    assert "aged 12" in str(pair_violation(girl, mother_young))
    assert pair_violation(girl, _m("m2", "mother", child_birth_date=PartialDate(2015, 5, 1))) is None
    dead_father = _m("f0", "deceased", "death", death_date=PartialDate(2002, 1, 1))
    posthumous = _m("f1", "father", child_birth_date=PartialDate(2002, 9, 1))
    late = _m("f2", "father", child_birth_date=PartialDate(2004, 9, 1))
    assert pair_violation(dead_father, posthumous) is None  # within 300 days
    assert "after" in str(pair_violation(dead_father, late))
    assert "one death record" in str(pair_violation(dead, _m("d2", "deceased", "death")))


def test_a_misread_year_digit_is_no_violation() -> None:
    assert misread_years(1944) == {1944, 1994, 1949}
    assert misread_years(2002) == {2002}  # 2602 and 2062 are no years of these books
    # the child's own birth record read 1994 for 1944: she can still be the mother of a child of 1963
    child = _m("c", "child", birth_date=PartialDate(1994, 5, 22))
    mother = _m("m", "mother", birth_date=PartialDate(1944), child_birth_date=PartialDate(1963, 1, 1))
    assert pair_violation(child, mother) is None
    # a death year read 1975 for 1915 does not forbid the birth of 1918
    dead = _m("d", "deceased", "death", death_date=PartialDate(1975, 3, 22))
    assert pair_violation(dead, _m("f", "father", birth_date=PartialDate(1978))) is None
    assert "before" in str(pair_violation(dead, _m("f2", "father", birth_date=PartialDate(2012))))


def test_pair_evidence_marriage_before_birth() -> None:
    bride = _m(
        "b", "bride", "marriage", marriage_date=dt.date(1985, 1, 1), spouse=(part("Nông"), part("Sình"))
    )
    mother = _m("m", "mother", child_birth_date=PartialDate(1987, 1, 1), spouse=(part("Nông"), part("Sinh")))
    weight, notes = pair_evidence(bride, mother, bonus=6, penalty=6)
    assert weight == 7 and "parents married before the birth" in notes
    other = _m("o", "mother", child_birth_date=PartialDate(1987, 1, 1), spouse=(part("Nông"), part("Pao")))
    assert pair_evidence(bride, other, bonus=6, penalty=6)[0] == -6


# ------------------------------------------------------------------------------------------ settings
def test_settings_json_round_trip(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "settings.json"
    settings = LinkSettings(auto_threshold=20, blocking_rules=[["given_ascii", "birth_year"]])
    settings.save(path)
    assert LinkSettings.load(path) == settings
    with pytest.raises(ValidationError, match="38%"):
        LinkSettings(blocking_rules=[["family_ascii"]])
    with pytest.raises(ValidationError, match="lack the comparisons"):
        LinkSettings(levels={})


def test_corroborated() -> None:
    from linkage.comparisons import Evidence
    from linkage.linker import corroborated

    bare = Evidence("a", "b", levels={"birth_date": "year", "residence": "null"}, weights={"given": 8.0})
    assert not corroborated(bare)
    bare.weights["pair"] = 6.0
    assert corroborated(bare)
    assert corroborated(Evidence("a", "b", levels={"birth_date": "exact", "residence": "null"}))


def test_beyond_names() -> None:
    from linkage.comparisons import Evidence
    from linkage.linker import beyond_names

    names = {"given": "exact", "family": "exact", "birth_date": "null", "residence": "null"}
    bare = Evidence("a", "b", levels=dict(names), weights={"given": 8.0})
    assert not beyond_names(bare)
    assert beyond_names(Evidence("a", "b", levels=names | {"birth_date": "year"}))
    assert beyond_names(Evidence("a", "b", levels=names | {"residence": "exact"}))
    bare.weights["pair"] = 6.0
    assert beyond_names(bare)


def test_a_real_disagreement_vetoes_an_automatic_link_only_in_a_large_index() -> None:
    from linkage.comparisons import Evidence

    linker = Linker(LinkSettings(scale_persons=4096, veto_below=-3.0))
    differs = Evidence("a", "b", weights={"given": 10.0, "birth_date": -5.0})
    assert not linker._vetoed(differs, 1000)
    assert linker._vetoed(differs, 10_000)
    assert not linker._vetoed(Evidence("a", "b", weights={"given": 10.0, "middle": -1.8}), 10_000)
    assert not Linker(LinkSettings(veto_below=None))._vetoed(differs, 10**6)


# ------------------------------------------------------------------------------------------ roles
RECOGNITION = {
    "registration.date": "10/04/2005",
    "parent.full_name": "Nông Văn Sình",
    "parent.birth_date": "1962",
    "parent.relationship": "Cha",
    "parent.id_number": "080123456",
    "child.full_name": "Nông Thị Hoa",
    "child.birth_date": "05/03/2001",
    "child.sex": "Nữ",
}


def test_recognition_parent_has_sex_child_birth_and_id() -> None:
    parent, child = mentions_from_record("parent_recognition", RECOGNITION, "r1", office="01481")
    assert (parent.role, parent.sex, parent.id_number) == ("parent", "male", "cmnd:080123456")
    assert parent.child_birth_date == PartialDate(2001, 3, 5)
    assert child.child_birth_date is None and parent.office == "01481"
    too_young = replace(parent, id="p2", record_id="p2", birth_date=PartialDate(2000))
    assert "aged 1" in str(pair_violation(too_young, _m("c", "child", birth_date=PartialDate(2000))))


def test_other_books_name_subject_guardian_and_ward() -> None:
    fields = {"guardian.full_name": "Hoàng Văn Pao", "ward.full_name": "Hoàng Thị Mỷ"}
    roles = {m.role for m in mentions_from_record("other", fields, "o1")}
    assert roles == {"guardian", "ward"}


def test_marital_status_person_links_to_bride_by_id_number() -> None:
    marriage = {
        "registration.date": "01/02/2010",
        "bride.full_name": "Lý Thị Mai",
        "bride.birth_date": "1988",
        "bride.id_number": "085111222",
        "groom.full_name": "Hà Văn Tú",
        "groom.birth_date": "1985",
    }
    status = {
        "registration.date": "01/02/2009",
        "person.full_name": "Ly Thi Mai",  # diacritics lost
        "person.birth_date": "1988",
        "person.id_number": "085 111 222",
    }
    linker = Linker()
    index = linker.new_index()
    linker.link(mentions_from_record("marriage", marriage, "m1"), index)
    (decision,) = linker.link(mentions_from_record("marital_status", status, "s1"), index)
    assert decision.action == "auto" and decision.evidence is not None
    assert decision.evidence.levels["id_number"] == "exact"


def test_office_places_a_person_without_residence() -> None:
    from linkage.comparisons import compare_residence

    a = _m("a", "child", office="01481")
    assert compare_residence(a, _m("b", "mother", office="01481")) == "office"
    assert compare_residence(a, _m("c", "mother", residence="01482")) == "elsewhere"
    assert compare_residence(a, _m("d", "mother", office="048")) == "null"  # a district office places nobody
    assert compare_residence(_m("e", "x", residence="1"), _m("f", "y", residence="1", office="2")) == "exact"


# ------------------------------------------------------------------------------------------ merges
def test_mention_matching_two_persons_suggests_a_merge() -> None:
    mai: dict[str, Any] = {
        "family": part("Nông"),
        "middle": part("Thị"),
        "given": part("Sình"),
        "sex": "female",
    }
    a = _m("a", "mother", **mai, birth_date=PartialDate(1965), residence="01481")
    b = _m("b", "bride", "marriage", **mai, birth_date=PartialDate(1965, 3, 5), residence="01481")
    linker = Linker()
    index = linker.new_index()
    index.add(a, "L0000001")
    index.add(b, "L0000002")
    c = _m("c", "deceased", "death", **mai, birth_date=PartialDate(1965, 3, 5), residence="01481")
    (decision,) = linker.link([c], index)
    assert decision.needs_review and decision.merges
    merge = decision.merges[0]
    assert set(merge.person_ids) == {"L0000001", "L0000002"} and merge.mention_id == "c"
    assert all(ev.total >= linker.settings.auto_threshold for ev in merge.evidence)
    assert index.merge_suggestions == [merge] and merge.as_dict()["score"] == round(merge.score, 3)
    # linked to the bride (the full birth date), with the mother as the other half of the merge
    assert decision.action == "auto" and decision.person_id == "L0000002"
    assert index.new_person_id() == "L0000003"  # ids loaded from outside are never reused


def test_no_merge_when_the_two_persons_cannot_be_one() -> None:
    mai: dict[str, Any] = {
        "family": part("Nông"),
        "middle": part("Thị"),
        "given": part("Sình"),
        "sex": "female",
    }
    births = [
        _m(f"b{k}", "child", **mai, birth_date=PartialDate(1965, 3, 5), residence="01481") for k in (1, 2)
    ]
    linker = Linker()
    index = linker.new_index()
    index.add_many(births, ["L0000001", "L0000002"])  # two birth records: two persons by law
    c = _m("c", "deceased", "death", **mai, birth_date=PartialDate(1965, 3, 5), residence="01481")
    (decision,) = linker.link([c], index)
    assert not decision.merges and decision.needs_review


def test_add_many_counts_frequencies_and_rejects_duplicates() -> None:
    linker = Linker()
    index = linker.new_index()
    mentions = mentions_from_record("birth", BIRTH, "b1")
    index.add_many(mentions, ["P1", "P2", "P3"])
    assert index.frequencies.totals["given"] == 3 and len(index) == 3
    assert index.person_of["b1:mother"] == "P2"
    with pytest.raises(ValueError, match="already linked"):
        index.add(mentions[0], "P9")
    (again,) = linker.link(mentions_from_record("death", _death("Nguyễn Văn Nam", "05/03/1987"), "d1"), index)
    assert again.action == "auto" and again.person_id == "P1"


# ------------------------------------------------------------------------------------------ OCR damage
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("79/02/1950", PartialDate(1950, 2, 19)),  # 1 read as 7 in the day
        ("22/16/1950", PartialDate(1950, 10, 22)),  # 0 read as 6 in the month
        ("06/12/7950", PartialDate(1950, 12, 6)),  # 1 read as 7 in the year
        ("24/1011929", PartialDate(1929, 10, 24)),  # a slash read as 1
        ("14l07/1939", PartialDate(1939, 7, 14)),  # a slash read as l
        ("7929", PartialDate(1929)),
        ("hôm qua", None),
    ],
)
def test_damaged_dates_are_read_for_linking(text: str, expected: PartialDate | None) -> None:
    assert repair_date(text) == expected


def test_a_merged_syllable_moves_the_name_parts() -> None:
    merged = _mention("a", "Triệu Thịnái", birth_date=PartialDate(1910))
    clean = _mention("b", "Triệu Thị Nái", birth_date=PartialDate(1910))
    evidence = score_pair(merged, clean)
    assert evidence.levels["given"] == "syllables" and evidence.levels["middle"] == "syllables"
    assert evidence.levels["family"] == "exact"
    assert "syllables" not in score_pair(clean, _mention("c", "Triệu Thị Nga")).levels.values()
    assert any(r.fields == ("name_folded",) for r in DEFAULT_RULES)
    assert blocking_keys(merged, DEFAULT_RULES)[-1] == blocking_keys(clean, DEFAULT_RULES)[-1]


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Nam", "Narn", "ocr"),  # m read as rn: too short for the similarity
        ("Đạt", "Clạt", "ocr"),  # đ read as cl
        ("Nhân", "Nhâu", "ocr"),  # n read as u
        ("Hùng", "Hưng", "different"),  # two marked names, two names
        ("Nam", "Lâm", "different"),
    ],
)
def test_letters_ocr_confuses_are_an_ocr_slip(a: str, b: str, level: str) -> None:
    assert compare_name_part(part(a), part(b)) == level
    assert ocr_fold(part(a).ascii) == ocr_fold(part(b).ascii) or level == "different"


def test_spouse_with_a_merged_syllable_still_matches() -> None:
    def mother(mid: str, father: str) -> Mention:
        return mentions_from_record(
            "birth",
            {"mother.full_name": "Đàm Thị Lừu", "father.full_name": father, "mother.birth_year": "1929"},
            mid,
        )[0]

    weight, notes = pair_evidence(
        mother("r1", "Hoàng Vănnhân"), mother("r2", "Hoàng Văn Nhân"), bonus=6.0, penalty=6.0
    )
    assert weight >= 6.0 and "spouse matches" in notes[0]
    weight, _ = pair_evidence(
        mother("r1", "Hoàng Văn Nhân"), mother("r3", "Nông Văn Lai"), bonus=6, penalty=6
    )
    assert weight == -6.0


def test_thresholds_rise_with_the_doublings_of_the_persons() -> None:
    settings = LinkSettings(
        auto_threshold=12.0,
        suggest_threshold=8.0,
        scale_persons=4096,
        bits_per_doubling=2.0,
        suggest_bits_per_doubling=2.75,
    )
    assert settings.thresholds(10) == (12.0, 8.0)
    assert settings.thresholds(4096 * 8) == pytest.approx((18.0, 16.25))
    same = LinkSettings(bits_per_doubling=1.0, suggest_bits_per_doubling=None, scale_persons=4096)
    assert same.thresholds(4096 * 8) == pytest.approx((same.auto_threshold + 3, same.suggest_threshold + 3))
    flat = LinkSettings(bits_per_doubling=0.0, suggest_bits_per_doubling=0.0)
    assert flat.thresholds(10**6) == (flat.auto_threshold, flat.suggest_threshold)
    knee = settings.model_copy(update={"knee_persons": 4096 * 8, "late_bits_per_doubling": 1.0})
    assert knee.thresholds(4096 * 8) == pytest.approx((18.0, 16.25))  # the steep rise up to the knee
    assert knee.thresholds(4096 * 32) == pytest.approx((20.0, 18.25))  # then one bit per doubling


def test_bare_names_are_weighed_by_the_frequency_of_their_bare_spelling() -> None:
    freqs = NameFrequencies()
    freqs.add([_mention(f"b{i}", "Bế Văn Sình") for i in range(300)] + [_mention("x", "Be Van Tao")])
    bare = score_pair(_mention("a", "Be Van Tao"), _mention("b", "Be Van Tao"), frequencies=freqs)
    marked = score_pair(_mention("a", "Bế Văn Tao"), _mention("b", "Bế Văn Tao"), frequencies=freqs)
    # "Be" stands for every Bế: an exact match of the bare spelling says as little as "Bế" does
    assert bare.levels["family"] == "exact"
    assert bare.weights["family"] == pytest.approx(marked.weights["family"], abs=0.05)


def test_evidence_carries_the_thresholds_in_force() -> None:
    linker = Linker(LinkSettings(scale_persons=1))  # every person past the first raises the thresholds
    index = linker.new_index()
    linker.link(mentions_from_record("birth", BIRTH, "b1"), index)
    (decision,) = linker.link(
        mentions_from_record("death", _death("Nguyen Van Nam", "05/03/1987"), "d1"), index
    )
    assert decision.evidence is not None and decision.evidence.thresholds is not None
    auto, suggest = decision.evidence.thresholds
    assert (auto, suggest) == linker.settings.thresholds(3)  # the birth's child, mother and father
    assert auto > linker.settings.auto_threshold


def _birth(rid: str, mother: str, father: str, child: str, born: str) -> list[Mention]:
    fields = {
        "registration.date": "10/04/1993",
        "child.full_name": child,
        "child.birth_date": born,
        "mother.full_name": mother,
        "mother.birth_year": "1960",
        "father.full_name": father,
        "father.birth_year": "1958",
    }
    return mentions_from_record("birth", fields, rid)


def test_parents_of_siblings_link_as_a_pair_through_ocr_damage() -> None:
    linker = Linker()
    index = linker.new_index()
    first = linker.link(_birth("b1", "Đàm Thị Lừu", "Hoàng Văn Nhân", "Hoàng Văn Nam", "05/03/1987"), index)
    # the sibling's record: both parents' names read with a merged syllable
    second = linker.link(_birth("b2", "Đàm Thịlừu", "Hoàng Vănnhân", "Hoàng Thị Mai", "07/08/1990"), index)
    for role in ("mother", "father"):
        before = next(d for d in first if d.mention_id == f"b1:{role}")
        after = next(d for d in second if d.mention_id == f"b2:{role}")
        assert after.action == "auto" and after.person_id == before.person_id
        assert after.evidence is not None and after.evidence.weights["pair"] > 0
        assert any("spouse matches" in note for note in after.evidence.notes)
    # a namesake mother beside another husband: the spouse speaks against the link
    third = linker.link(_birth("b3", "Đàm Thị Lừu", "Nông Văn Sình", "Nông Văn Páo", "01/02/1992"), index)
    mother = next(d for d in third if d.mention_id == "b3:mother")
    evidence = mother.evidence or mother.suggestions[0].evidence
    assert evidence.weights["pair"] < 0 and any("spouse differs" in note for note in evidence.notes)
