"""The true text of every field of a registered event, in the style of its era."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Final

from samples import vn_text
from samples.population.base import (
    _ABBR,
    _CITY_DATE,
    _LAW_2016,
    NU,
    STATUS_DIVORCED,
    STATUS_SINGLE,
    Person,
    SampleRecord,
    _choice_weighted,
    _cumulative,
    _d,
    _Event,
    _join_name,
)
from sohoa.fields import FIELDS_BY_BOOK_TYPE

if TYPE_CHECKING:
    from samples.population.world import Population

# =========================================================================== rendering
_ETHNICITY_OLD: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    # written form of a group by registration period: ((form, weight), ...)
    "Mông": (("Mèo", 0.7), ("H'Mông", 0.3)),
    "Tày": (("Thổ", 0.4), ("Tày", 0.6)),
}


class _Renderer:
    """Writes the true text of every field of an event, in the style of its era."""

    def __init__(self, pop: Population) -> None:
        self.pop = pop
        self.P = pop.persons
        self.geo = pop._geo
        self.rng = random.Random(0)
        self.day = dt.date.min
        self.style, self.old_tones, self.hamlet_share, self.form = "full", False, 0.0, True

    def render(self, ev: _Event) -> SampleRecord:
        self.rng = random.Random((self.pop.seed * 1_000_003 + ev.seq) * 31 + ev.reg.toordinal())
        self.day = ev.reg
        rng, era = self.rng, ev.era
        form = self.pop.eras.at(ev.reg).start >= _LAW_2016
        if form:
            self.style, self.old_tones, self.hamlet_share = "full", False, 0.6
        else:
            y = ev.reg.year
            weights = (40, 35, 25) if y < 1999 else (55, 30, 15) if y < 2006 else (70, 25, 5)
            self.style = _choice_weighted(rng, ("full", "abbr", "short"), _cumulative(weights))
            self.old_tones = rng.random() < (0.6 if y < 1999 else 0.45 if y < 2006 else 0.25)
            self.hamlet_share = 0.2 if y < 2006 else 0.3
        self.form = form
        f = dict.fromkeys(FIELDS_BY_BOOK_TYPE[ev.book_type], "")
        f["registration.date"] = vn_text.format_date(ev.reg)
        getattr(self, f"_{ev.book_type}")(f, ev)
        if not form:
            for k, v in f.items():
                if v and k.endswith(_TONED):
                    f[k] = vn_text.old_tone_style(v) if self.old_tones else vn_text.new_tone_style(v)
        return SampleRecord(
            book_type=ev.book_type,
            era=era,
            office=ev.office,
            registration_date=ev.reg,
            fields=f,
            persons=dict(sorted(ev.roles.items())),
        )

    # ------------------------------------------------------------------ values
    def name(self, pid: str) -> str:
        return self.P[pid].name_on(self.day)

    def date(self, pid: str) -> str:
        p = self.P[pid]
        return vn_text.format_date(p.birth_date) if p.birth_date_known else str(p.birth_date.year)

    def ethnicity(self, pid: str) -> str:
        group = self.P[pid].ethnicity_on(self.day)
        y = self.day.year
        if group == "Mông":
            if y < 1980:
                return _choice_weighted(self.rng, ("Mèo", "H'Mông"), (0.7, 1.0))
            if y < 2006:
                return "H'Mông" if self.rng.random() < 0.6 else "Mông"
            if y < 2016:
                return "H'Mông" if self.rng.random() < 0.2 else "Mông"
            return "Mông"
        if group == "Tày" and y < 1980 and self.rng.random() < 0.4:
            return "Thổ"
        return group

    def place(self, key: str, *, hamlet: str = "") -> str:
        return self.geo.text(key, self.style, self.day, hamlet)

    def residence(self, pid: str) -> str:
        key, hamlet = self.P[pid].residence_on(self.day)
        show = hamlet if (hamlet and self.rng.random() < self.hamlet_share) else ""
        return self.place(key, hamlet=show)

    def facility(self, kind: str, key: str) -> str:
        if not kind or not key[:1].isdigit():
            return self.place(key)
        c = self.geo.communes[key]
        style = self.style
        province = f"tỉnh {self.geo.province_name}" if style == "full" else self.geo.province_name
        district_kind = c.district_kind
        if district_kind == "thành phố" and self.day < _CITY_DATE:
            district_kind = "thị xã"
        dk = district_kind if style == "full" else _ABBR.get(district_kind, district_kind)
        if kind == "station":
            ck = c.kind if style == "full" else _ABBR.get(c.kind, c.kind)
            return f"Trạm y tế {ck} {c.name}, {dk} {c.district_name}, {province}"
        if kind == "district":
            if vn_text.tone_key(c.district_name) == vn_text.tone_key(self.geo.province_name):
                return f"Bệnh viện đa khoa {province}"
            label = "Trung tâm Y tế" if self.day.year >= 2018 else "Bệnh viện đa khoa"
            return f"{label} {dk} {c.district_name}, {province}"
        return f"Bệnh viện đa khoa {province}"

    def nationality(self, pid: str) -> str:
        return self.P[pid].nationality

    # ------------------------------------------------------------------ book types
    def _birth(self, f: dict[str, str], ev: _Event) -> None:
        child = self.P[ev.roles["child"]]
        f["registration.timeliness"] = ev.info["timeliness"]
        f["child.full_name"] = self.name(child.id)
        f["child.birth_date"] = vn_text.format_date(child.birth_date)
        f["child.birth_date_words"] = vn_text.date_to_words(child.birth_date)
        f["child.sex"] = child.sex
        f["child.ethnicity"] = self.ethnicity(child.id)
        f["child.nationality"] = child.nationality
        f["child.birth_place"] = self.facility(child.birth_facility, child.birth_place)
        f["child.home_town"] = self.place(child.home_town)
        f["child.id_number"] = child.id_number_on(self.day) if self.form else ""
        for role in ("mother", "father"):
            pid = ev.roles.get(role)
            if not pid:
                continue
            f[f"{role}.full_name"] = self.name(pid)
            f[f"{role}.birth_year"] = str(self.P[pid].birth_date.year)
            f[f"{role}.ethnicity"] = self.ethnicity(pid)
            f[f"{role}.nationality"] = self.nationality(pid)
            f[f"{role}.residence"] = self.residence(pid)
        self.declarant(f, ev)
        f["note"] = ev.info.get("note", "") or self.later_changes(child)

    def later_changes(self, child: Person) -> str:
        """Margin note on a birth record: a later change of family name or ethnicity."""
        notes = []
        for when, family, middle, given in child.name_changes:
            if family != child.family_name and when > self.day:
                notes.append(f"Thay đổi họ từ {child.full_name} thành {_join_name(family, middle, given)}")
                break
        for when, group in child.ethnicity_changes:
            if when > self.day:
                notes.append(f"Xác định lại dân tộc từ {child.ethnicity} thành {group}")
                break
        if not notes or self.rng.random() < 0.3:
            return ""
        return "; ".join(notes)

    def declarant(self, f: dict[str, str], ev: _Event) -> None:
        pid = ev.roles.get("declarant")
        if pid:
            f["declarant.full_name"] = self.name(pid)
            f["declarant.relationship"] = ev.info.get("declarant_relationship", "")

    def _marriage(self, f: dict[str, str], ev: _Event) -> None:
        u = self.pop.unions[ev.info["union"]]
        f["registration.kind"] = ev.info["kind"]
        before = _d(u.start.toordinal() - 1) if (ev.reg - u.start).days <= 180 else ev.reg
        for role in ("bride", "groom"):
            p = self.P[ev.roles[role]]
            f[f"{role}.full_name"] = self.name(p.id)
            f[f"{role}.birth_date"] = self.date(p.id)
            f[f"{role}.ethnicity"] = self.ethnicity(p.id)
            f[f"{role}.nationality"] = p.nationality
            key, hamlet = p.residence_on(before if ev.info["kind"] == "first" else ev.reg)
            show = hamlet if (hamlet and self.rng.random() < self.hamlet_share) else ""
            f[f"{role}.residence"] = self.place(key, hamlet=show)
            f[f"{role}.id_number"] = p.id_number_on(self.day)
        f["note"] = ev.info["note"]

    def _parent_recognition(self, f: dict[str, str], ev: _Event) -> None:
        f["registration.kind"] = ev.info["kind"]
        parent, child = self.P[ev.roles["parent"]], self.P[ev.roles["child"]]
        f["parent.full_name"] = self.name(parent.id)
        f["parent.birth_date"] = self.date(parent.id)
        f["parent.ethnicity"] = self.ethnicity(parent.id)
        f["parent.nationality"] = parent.nationality
        f["parent.residence"] = self.residence(parent.id)
        f["parent.id_number"] = parent.id_number_on(self.day)
        f["parent.relationship"] = ev.info["parent_relationship"]
        f["child.full_name"] = self.name(child.id)
        f["child.birth_date"] = self.date(child.id)
        f["child.sex"] = child.sex
        f["child.ethnicity"] = self.ethnicity(child.id)
        f["child.nationality"] = child.nationality
        f["child.residence"] = self.residence(child.id)
        self.declarant(f, ev)
        f["note"] = ev.info["note"]

    def _marital_status(self, f: dict[str, str], ev: _Event) -> None:
        p = self.P[ev.roles["person"]]
        f["registration.kind"] = ev.info["kind"]
        f["person.full_name"] = self.name(p.id)
        f["person.birth_date"] = self.date(p.id)
        f["person.sex"] = p.sex
        f["person.ethnicity"] = self.ethnicity(p.id)
        f["person.nationality"] = p.nationality
        f["person.residence"] = self.residence(p.id)
        f["person.id_number"] = p.id_number_on(self.day)
        status = ev.info["status"]
        if status == "single":
            text = STATUS_SINGLE
        elif status == "divorced":
            text = STATUS_DIVORCED
        else:
            spouse = self.P[ev.info["spouse"]]
            word = "vợ" if spouse.sex == NU else "chồng"
            if status == "married":
                text = f"Đang có {word} là {self.name(spouse.id)}"
            else:
                year = spouse.death_date.year if spouse.death_date else self.day.year
                text = f"Có {word} là {self.name(spouse.id)} (đã chết năm {year})"
        f["person.marital_status"] = text
        f["person.purpose"] = ev.info["purpose"]
        applicant = ev.roles["applicant"]
        f["applicant.full_name"] = self.name(applicant)
        f["applicant.relationship"] = ev.info["applicant_relationship"]
        f["note"] = ev.info["note"]

    def _death(self, f: dict[str, str], ev: _Event) -> None:
        p = self.P[ev.roles["deceased"]]
        death = p.death_date or ev.reg
        f["registration.timeliness"] = ev.info["timeliness"]
        f["deceased.full_name"] = self.name(p.id)
        f["deceased.birth_date"] = self.date(p.id)
        f["deceased.sex"] = p.sex
        f["deceased.ethnicity"] = self.ethnicity(p.id)
        f["deceased.nationality"] = p.nationality
        f["deceased.id_number"] = p.id_number_on(min(death, ev.reg))
        f["deceased.death_date"] = vn_text.format_date(death)
        key, hamlet = p.residence_on(death)
        kind = ev.info["death_place"]
        if kind == "home":
            show = hamlet if (hamlet and self.rng.random() < self.hamlet_share) else ""
            f["deceased.death_place"] = self.place(key, hamlet=show)
        else:
            f["deceased.death_place"] = self.facility(kind, key)
        f["deceased.death_cause"] = p.death_cause
        self.declarant(f, ev)
        f["note"] = ev.info["note"]

    def _other(self, f: dict[str, str], ev: _Event) -> None:
        f["registration.kind"] = ev.info["kind"]
        subject = self.P[ev.roles["subject"]]
        f["subject.full_name"] = self.name(subject.id)
        f["subject.birth_date"] = self.date(subject.id)
        f["subject.sex"] = subject.sex
        f["subject.residence"] = self.residence(subject.id)
        guardian = ev.roles.get("guardian")
        if guardian:
            f["guardian.full_name"] = self.name(guardian)
            f["guardian.birth_date"] = self.date(guardian)
            f["guardian.residence"] = self.residence(guardian)
            f["guardian.relationship"] = ev.info["guardian_relationship"]
        f["note"] = ev.info["note"]


# fields whose text may hold an "oa"/"oe"/"uy" syllable whose tone mark old books place differently
_TONED: Final[tuple[str, ...]] = (
    ".full_name",
    ".residence",
    ".birth_place",
    ".home_town",
    ".death_place",
    ".marital_status",
    "note",
)
