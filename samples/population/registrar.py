"""One commune's life events turned into registered records (on time, late, re-registered, or never)."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from samples import vn_text
from samples.population.base import (
    _CAMPAIGN,
    _FAR,
    _HIGHLAND,
    _LAW_2016,
    _YEAR,
    NAM,
    NOTE_REREGISTRATION,
    NU,
    PURPOSE_FOREIGN,
    PURPOSE_MARRIAGE,
    PURPOSES_OTHER,
    VIETNAM,
    Person,
    Union,
    _add_years,
    _between,
    _birthday,
    _d,
    _join_name,
    _poisson,
    _ri,
)

if TYPE_CHECKING:
    from samples.population.commune import _CommuneSim


# =========================================================================== registrations
class _Registrar:
    """Turns one commune's life events into registered records."""

    def __init__(self, sim: _CommuneSim) -> None:
        self.sim = sim
        self.pop = sim.pop
        self.persons = sim.pop.persons
        self.rng = random.Random(f"sohoa.registrar:{sim.pop.seed}:{sim.code}:{sim.rng.random()!r}")
        self.code = sim.code
        self.district = sim.district
        self.start = sim.start
        self.end = sim.end
        self.end_ordinal = sim.end.toordinal()
        self.rates = sim.rates
        self.combined: dict[str, dt.date] = {}

    def add(
        self, book_type: str, reg: dt.date, roles: dict[str, str], info: dict[str, Any], office: str = ""
    ) -> bool:
        return self.pop._add_event(book_type, reg, office or self.code, self.code, roles, info) is not None

    def window(self, p: Person, first: int, from_age: float, to_age: float) -> tuple[int, int]:
        """Ordinal days [lo, hi) when ``p`` is alive, between two ages and inside the simulation."""
        born = p.birth_date.toordinal()
        death = p.death_date.toordinal() if p.death_date is not None else _FAR
        return max(first, born + round(from_age * _YEAR)), min(
            self.end_ordinal, born + round(to_age * _YEAR), death
        )

    def resident_on(self, p: Person, day: dt.date) -> bool:
        return p.residence_on(day)[0] == self.code and p.alive_on(day)

    def run(self) -> None:
        self.marriages()
        self.births()
        self.recognitions()
        self.deaths()
        self.divorce_notes()
        self.guardianships()
        self.name_changes()
        self.ethnicity_changes()
        self.certificates()

    # ------------------------------------------------------------------ relations
    def relation(self, who: Person, of: Person) -> str:
        """What ``who`` is to ``of`` ("Cha", "Bà nội", "Anh ruột", "Vợ", "Con trai" …), "" if unrelated."""
        P = self.persons
        if who.id == of.id:
            return "Bản thân"
        if who.id == of.father_id:
            return "Cha"
        if who.id == of.mother_id:
            return "Mẹ"
        for idx in of.unions:
            u = self.pop.unions[idx]
            if who.id in (u.husband, u.wife):
                return "Vợ" if who.sex == NU else "Chồng"
        if of.id in (who.father_id, who.mother_id):
            return "Con trai" if who.sex == NAM else "Con gái"
        for parent_id, side in ((of.father_id, "nội"), (of.mother_id, "ngoại")):
            if parent_id and who.id in (P[parent_id].father_id, P[parent_id].mother_id):
                return f"{'Ông' if who.sex == NAM else 'Bà'} {side}"
        if (of.father_id and of.father_id == who.father_id) or (
            of.mother_id and of.mother_id == who.mother_id
        ):
            if who.birth_date < of.birth_date:
                return "Anh ruột" if who.sex == NAM else "Chị ruột"
            return "Em ruột"
        for child_id in of.children:
            c = P[child_id]
            if who.id in c.children:
                return "Cháu nội" if c.sex == NAM else "Cháu ngoại"
        for parent_id, side in ((of.father_id, "father"), (of.mother_id, "mother")):
            if not parent_id:
                continue
            parent = P[parent_id]
            if (parent.father_id and parent.father_id == who.father_id) or (
                parent.mother_id and parent.mother_id == who.mother_id
            ):
                older = who.birth_date < parent.birth_date
                if side == "father":
                    if who.sex == NAM:
                        return "Bác ruột" if older else "Chú ruột"
                    return "Bác ruột" if older else "Cô ruột"
                return "Cậu ruột" if who.sex == NAM else ("Bác ruột" if older else "Dì ruột")
        return ""

    def kin(self, p: Person) -> list[Person]:
        """Relatives of ``p`` (spouses, children, parents, siblings, grandparents, grandchildren, uncles)."""
        P = self.persons
        ids: list[str] = []
        for idx in p.unions:
            u = self.pop.unions[idx]
            ids.append(u.wife if u.husband == p.id else u.husband)
        ids += p.children
        parents = [x for x in (p.father_id, p.mother_id) if x]
        ids += parents
        for parent_id in parents:
            parent = P[parent_id]
            ids += [c for c in parent.children if c != p.id]
            grand = [x for x in (parent.father_id, parent.mother_id) if x]
            ids += grand
            for g in grand:
                ids += [c for c in P[g].children if c != parent_id]
        for c in p.children:
            ids += P[c].children
        seen: set[str] = set()
        out = []
        for x in ids:
            if x not in seen:
                seen.add(x)
                out.append(P[x])
        return out

    def hamlet_head(self, day: dt.date) -> Person | None:
        rng = self.rng
        members = self.sim.members
        for _ in range(40):
            p = self.persons[members[rng.randrange(len(members))]]
            if p.sex == NAM and self.resident_on(p, day) and 30 <= p.age_on(day) <= 70:
                return p
        return None

    # ------------------------------------------------------------------ marriages
    def marriages(self) -> None:
        rng = self.rng
        for idx in self.sim.union_ids:
            u = self.pop.unions[idx]
            if u.registered is None:
                continue
            if u.end is not None and u.registered >= u.end:
                u.registered = None  # the couple split (or one died) before registering
                continue
            if u.foreign:
                self.foreign_marriage_note(u)
                continue
            if u.office != self.code:
                continue
            husband, wife = self.persons[u.husband], self.persons[u.wife]
            reg, info = u.registered, {"kind": "first", "note": "", "union": idx}
            if not (self.resident_on(husband, reg) or self.resident_on(wife, reg) or reg <= u.start):
                u.office = ""  # both live elsewhere by then: registered there
                continue
            if reg < dt.date(2006, 1, 1) and rng.random() < self.rates.lost_book:
                later = _between(rng, max(dt.date(2006, 1, 1), reg), self.end)
                if u.active_on(later) and self.resident_on(husband, later) and self.resident_on(wife, later):
                    reg, info = later, {"kind": "re_registration", "note": NOTE_REREGISTRATION, "union": idx}
            self.add("marriage", reg, {"bride": wife.id, "groom": husband.id}, info)

    def foreign_marriage_note(self, u: Union) -> None:
        rng = self.rng
        wife = self.persons[u.wife]
        reg = _d(u.start.toordinal() + _ri(rng, 60, 5 * 365))
        if reg < _LAW_2016 or not self.resident_on(wife, reg) or not u.active_on(reg):
            return
        note = (
            f"Ghi chú việc kết hôn đã đăng ký tại cơ quan có thẩm quyền của Trung Quốc ngày "
            f"{vn_text.format_date(u.start)}"
        )
        info = {"kind": "note", "note": note, "union": u.index}
        self.add("marriage", reg, {"bride": wife.id, "groom": u.husband}, info, office=self.district)

    # ------------------------------------------------------------------ births
    def births(self) -> None:
        rng = self.rng
        for pid in self.sim.born_here:
            child = self.persons[pid]
            reg, timeliness = self.birth_registration(child)
            if reg is None:
                continue
            note = ""
            if reg < dt.date(2006, 1, 1) and rng.random() < self.rates.lost_book:
                later = _between(rng, max(dt.date(2006, 1, 1), _add_years(reg, 1)), self.end)
                if self.resident_on(child, later):
                    reg, timeliness, note = later, "re_registration", NOTE_REREGISTRATION
            self.sim.birth_reg[pid] = reg
            if self.combined_recognition(child, reg):
                self.combined[pid] = reg
            if child.birth_date >= _LAW_2016 and (reg >= dt.date(2020, 7, 1) or rng.random() < 0.6):
                child.cccd_from = min(reg, child.cccd_from or reg)
            declarant = self.birth_declarant(child, reg)
            roles = {"child": pid, "mother": child.mother_id or ""}
            if child.father_on_birth_record and child.father_id:
                roles["father"] = child.father_id
            info: dict[str, Any] = {"timeliness": timeliness, "note": note}
            if declarant is not None:
                roles["declarant"] = declarant.id
                info["declarant_relationship"] = self.relation(declarant, child)
            self.add("birth", reg, {k: v for k, v in roles.items() if v}, info)

    def combined_recognition(self, child: Person, reg: dt.date) -> bool:
        """Birth and recognition by the father registered together (from 2006, mostly 2016+)."""
        if child.father_on_birth_record or not child.father_id or reg < dt.date(2006, 1, 1):
            return False
        father = self.persons[child.father_id]
        if father.nationality != VIETNAM or not father.alive_on(reg):
            return False
        share = (
            self.rates.combined_recognition
            * self.sim.b("parent_recognition")
            * (1.0 if reg >= _LAW_2016 else 0.6)
        )
        if self.rng.random() >= min(0.8, share):
            return False
        child.father_on_birth_record = True
        return True

    def birth_registration(self, child: Person) -> tuple[dt.date | None, str]:
        rng = self.rng
        birth = child.birth_date
        y = birth.year
        timely = 0.55 if y < 1966 else 0.7 if y < 1986 else 0.8 if y < 1999 else 0.88 if y < 2006 else 0.93
        if y >= 2016:
            timely = 0.97
        if child.ethnicity in _HIGHLAND:
            timely -= 0.15 if y < 2006 else 0.05
        if birth >= self.start and rng.random() < timely:
            deadline = self.pop.eras.at(birth).birth_deadline
            if rng.random() < 0.9:
                reg = _d(birth.toordinal() + _ri(rng, 1, deadline))
            else:
                reg = _d(birth.toordinal() + deadline + 1 + int(rng.expovariate(1 / 120)))
            reg = min(reg, _d(birth.toordinal() + 3 * 365))
        else:
            if rng.random() > 0.7:
                return None, ""
            u = rng.random()
            if birth < _CAMPAIGN[0] and u < 0.2:
                reg = _between(rng, max(_CAMPAIGN[0], birth), _CAMPAIGN[1])
            elif u < 0.8:
                reg = _add_years(birth, rng.uniform(5.5, 6.8))
            else:
                reg = _add_years(birth, rng.uniform(14, 25))
            if not self.resident_on(child, reg):
                return None, ""
        if reg > self.end or reg < self.start:
            return None, ""
        deadline = self.pop.eras.at(reg).birth_deadline
        return reg, ("on_time" if (reg - birth).days <= deadline else "late")

    def birth_declarant(self, child: Person, reg: dt.date) -> Person | None:
        rng, P = self.rng, self.persons
        if child.age_on(reg) >= 16:
            return child
        options: list[Person] = []
        father = P[child.father_id] if child.father_id and child.father_on_birth_record else None
        mother = P[child.mother_id] if child.mother_id else None
        u = rng.random()
        if father is not None and father.alive_on(reg) and u < 0.55:
            return father
        if mother is not None and mother.alive_on(reg) and u < 0.88:
            return mother
        for parent in (father, mother):
            if parent is None:
                continue
            options += [P[g] for g in (parent.father_id, parent.mother_id) if g and P[g].alive_on(reg)]
        if options:
            return rng.choice(options)
        for parent in (father, mother):
            if parent is not None and parent.alive_on(reg):
                return parent
        return self.hamlet_head(reg)

    # ------------------------------------------------------------------ recognitions
    def recognitions(self) -> None:
        rng, P = self.rng, self.persons
        boost = self.sim.b("parent_recognition")
        for pid in self.sim.born_here:
            child = P[pid]
            if not child.father_id or pid not in self.sim.birth_reg:
                continue
            father = P[child.father_id]
            if father.nationality != VIETNAM:
                continue
            b_reg = self.sim.birth_reg[pid]
            if pid in self.combined:
                self.recognition(child, father, b_reg, "parent_recognizes_child")
                continue
            if child.father_on_birth_record:
                continue
            if rng.random() >= min(0.95, self.rates.recognition * boost):
                continue
            parents_union = self.union_of(father, P[child.mother_id]) if child.mother_id else None
            if parents_union is not None and parents_union.registered is not None:
                reg = _d(max(b_reg, parents_union.registered).toordinal() + _ri(rng, 0, 90))
            else:
                reg = _add_years(b_reg, rng.expovariate(1 / 3.0))
            if reg > self.end:
                continue
            if father.alive_on(reg) and self.resident_on(child, reg) and child.age_on(reg) < 30:
                self.recognition(child, father, reg, "parent_recognizes_child")
            elif child.age_on(reg) >= 18 and self.resident_on(child, reg):
                self.recognition(child, father, reg, "child_recognizes_parent")

    def union_of(self, a: Person, b: Person) -> Union | None:
        for idx in a.unions:
            u = self.pop.unions[idx]
            if b.id in (u.husband, u.wife):
                return u
        return None

    def recognition(self, child: Person, parent: Person, reg: dt.date, kind: str) -> None:
        rng = self.rng
        declarant = parent if kind == "parent_recognizes_child" else child
        office = self.district if rng.random() < 0.15 else self.code
        roles = {"parent": parent.id, "child": child.id, "declarant": declarant.id}
        info = {
            "kind": kind,
            "parent_relationship": "Cha" if parent.sex == NAM else "Mẹ",
            "declarant_relationship": self.relation(declarant, child),
            "note": "",
        }
        if not self.add("parent_recognition", reg, roles, info, office=office):
            return
        new_family = parent.family_name
        if child.family_name_on(reg) == new_family:
            return
        p = min(0.9, self.rates.family_name_change * self.sim.b("other"))
        if rng.random() < p:
            when = _d(reg.toordinal() + _ri(rng, 5, 180))
            if when <= self.end and self.resident_on(child, when):
                self.change_name(child, when, family=new_family)

    # ------------------------------------------------------------------ changes of name / ethnicity
    def change_name(
        self, p: Person, reg: dt.date, *, family: str | None = None, given: str | None = None
    ) -> None:
        before = p.name_on(reg)
        fam = family or p.family_name_on(reg)
        current = [x for x in p.name_changes if x[0] <= reg]
        middle = current[-1][2] if current else p.middle_name
        giv = given or (current[-1][3] if current else p.given_name)
        after = _join_name(fam, middle, giv)
        if after == before:
            return
        what = "họ" if family else "tên"
        note = f"Thay đổi {what} từ {before} thành {after}"
        office = self.code if p.age_on(reg) < 14 else self.district
        info = {"kind": "change_correction", "note": note}
        if self.add("other", reg, {"subject": p.id}, info, office=office):
            p.name_changes.append((_d(reg.toordinal() + 1), fam, middle, giv))
            p.name_changes.sort()

    def name_changes(self) -> None:
        rng, P = self.rng, self.persons
        rate = self.rates.given_name_change * self.sim.b("other") / _YEAR
        first = max(self.start, dt.date(1976, 1, 1)).toordinal()
        for pid in self.sim.members:
            p = P[pid]
            lo, hi = self.window(p, first, 1, 60)
            if hi <= lo or p.nationality != VIETNAM or _poisson(rng, rate * (hi - lo)) == 0:
                continue
            reg = _d(lo + int(rng.random() * (hi - lo)))
            if not self.resident_on(p, reg) or (p.name_changes and p.name_changes[-1][0] > reg):
                continue  # changes are registered in date order (keeps the name history simple)
            _middle, given = self.sim.given_for(p.sex, p.ethnicity, max(p.birth_date.year, 1995))
            self.change_name(p, reg, given=given)

    def ethnicity_changes(self) -> None:
        rng, P = self.rng, self.persons
        p_change = min(0.9, self.rates.ethnicity_change * self.sim.b("other"))
        for pid in self.sim.born_here:
            p = P[pid]
            if not (p.father_id and p.mother_id):
                continue
            f, m = P[p.father_id], P[p.mother_id]
            if f.ethnicity == m.ethnicity or f.nationality != VIETNAM or rng.random() >= p_change:
                continue
            new = m.ethnicity if p.ethnicity == f.ethnicity else f.ethnicity
            reg = _add_years(p.birth_date, rng.uniform(3, 30))
            if reg > self.end or reg < self.start or not self.resident_on(p, reg):
                continue
            note = f"Xác định lại dân tộc từ {p.ethnicity_on(reg)} thành {new}"
            if self.add(
                "other", reg, {"subject": pid}, {"kind": "ethnicity_change", "note": note}, self.district
            ):
                p.ethnicity_changes.append((_d(reg.toordinal() + 1), new))

    # ------------------------------------------------------------------ guardianship
    def guardianships(self) -> None:
        rng, P = self.rng, self.persons
        p_orphan = min(0.95, self.rates.guardianship * self.sim.b("other"))
        for pid in self.sim.born_here:
            child = P[pid]
            mother = P[child.mother_id] if child.mother_id else None
            father = P[child.father_id] if child.father_id and child.father_on_birth_record else None
            deaths = [x.death_date for x in (mother, father) if x is not None]
            if mother is None or any(d is None for d in deaths):
                continue
            orphaned = max(d for d in deaths if d is not None)
            adult = _birthday(child.birth_date, 18)
            if orphaned >= adult or rng.random() >= p_orphan:
                continue
            reg = _d(orphaned.toordinal() + _ri(rng, 15, 365))
            if reg >= adult:
                continue
            self.guardian_for(child, reg, adult_ward=False)
        rate = self.rates.adult_guardianship * self.sim.b("other") / _YEAR
        first = self.start.toordinal()
        for pid in self.sim.members:
            p = P[pid]
            lo, hi = self.window(p, first, 18.05, 75)
            if hi <= lo or _poisson(rng, rate * (hi - lo)) == 0:
                continue
            self.guardian_for(p, _d(lo + int(rng.random() * (hi - lo))), adult_ward=True)

    def guardian_for(self, ward: Person, reg: dt.date, *, adult_ward: bool) -> None:
        rng = self.rng
        if reg < self.start or reg > self.end or not self.resident_on(ward, reg):
            return
        parents = (
            () if adult_ward else (ward.father_id, ward.mother_id)
        )  # an orphan's guardian is not a parent
        candidates = [
            k
            for k in self.kin(ward)
            if k.alive_on(reg)
            and k.age_on(reg) >= 21
            and k.nationality == VIETNAM
            and k.id not in parents
            and self.relation(k, ward)
        ]
        if not candidates:
            return
        guardian = rng.choice(candidates)
        info = {
            "kind": "guardianship",
            "note": "",
            "guardian_relationship": self.relation(guardian, ward),
        }
        if not self.add("other", reg, {"subject": ward.id, "guardian": guardian.id}, info):
            return
        if adult_ward:
            return
        adult = _birthday(ward.birth_date, 18)
        end = _d(adult.toordinal() + _ri(rng, 0, 365))
        reason = "Người được giám hộ đã đủ 18 tuổi"
        if guardian.death_date is not None and guardian.death_date < adult:
            end, reason = _d(guardian.death_date.toordinal() + _ri(rng, 15, 200)), "Người giám hộ đã chết"
        if end <= self.end and rng.random() < 0.6 and self.resident_on(ward, end):
            info = {
                "kind": "end_guardianship",
                "note": reason,
                "guardian_relationship": info["guardian_relationship"],
            }
            self.add("other", end, {"subject": ward.id, "guardian": guardian.id}, info)

    # ------------------------------------------------------------------ divorces
    def divorce_notes(self) -> None:
        rng, geo = self.rng, self.sim.geo
        district = geo.communes[self.code]
        court = f"Tòa án nhân dân {district.district_kind} {district.district_name}"
        for idx, day in self.sim.divorces:
            u = self.pop.unions[idx]
            spouses = [self.persons[u.wife], self.persons[u.husband]]
            if rng.random() < 0.4:
                spouses.reverse()
            count = 2 if rng.random() < 0.25 else 1
            number = _ri(rng, 1, 120)
            kind = "QĐST-HNGĐ" if rng.random() < 0.6 else "HNGĐ-ST"
            paper = "Quyết định" if kind.startswith("QĐ") else "Bản án"
            note = f"Ly hôn theo {paper} số {number}/{day.year}/{kind} ngày {vn_text.format_date(day)} của {court}"
            for spouse in spouses[:count]:
                reg = _d(day.toordinal() + _ri(rng, 10, 365))
                if reg <= self.end and self.resident_on(spouse, reg):
                    self.add(
                        "other",
                        reg,
                        {"subject": spouse.id},
                        {"kind": "divorce_note", "note": note},
                        self.district,
                    )

    # ------------------------------------------------------------------ deaths
    def deaths(self) -> None:
        rng, P = self.rng, self.persons
        for pid in sorted(self.sim.resident_at_death, key=lambda x: int(x[1:])):
            p = P[pid]
            death = p.death_date
            if death is None or death < self.start or death > self.end:
                continue
            y = death.year
            share = 0.5 if y < 1976 else 0.65 if y < 1999 else 0.8 if y < 2006 else 0.88 if y < 2016 else 0.95
            if p.ethnicity in _HIGHLAND:
                share *= 0.85
            timeliness, note = "on_time", ""
            if rng.random() < share:
                deadline = self.pop.eras.at(death).death_deadline
                reg = _d(
                    death.toordinal() + (_ri(rng, 0, deadline) if rng.random() < 0.9 else _ri(rng, 16, 400))
                )
            elif rng.random() < self.rates.late_death_registration:
                if death < _CAMPAIGN[0] and rng.random() < 0.25:
                    reg = _between(rng, _CAMPAIGN[0], _CAMPAIGN[1])
                else:
                    reg = _add_years(death, rng.expovariate(1 / 6.0))
            else:
                continue
            if reg < dt.date(2006, 1, 1) and rng.random() < self.rates.lost_book / 2:
                reg, note = _between(rng, dt.date(2006, 1, 1), self.end), NOTE_REREGISTRATION
            if reg > self.end:
                continue
            declarant = self.death_declarant(p, reg)
            if declarant is None:
                continue
            if note:
                timeliness = "re_registration"
            else:
                timeliness = (
                    "on_time" if (reg - death).days <= self.pop.eras.at(reg).death_deadline else "late"
                )
            relationship = self.relation(declarant, p) or (
                "Trưởng xóm" if self.sim.commune.kind == "xã" else "Tổ trưởng tổ dân phố"
            )
            info = {
                "timeliness": timeliness,
                "note": note,
                "declarant_relationship": relationship,
                "death_place": self.death_place(p),
            }
            self.add("death", reg, {"deceased": pid, "declarant": declarant.id}, info)

    def death_place(self, p: Person) -> str:
        u = self.rng.random()
        year = p.death_date.year if p.death_date else 2000
        if year < 1990 or u < 0.7 or p.death_cause in ("Đuối nước", "Tai nạn lao động"):
            return "home"
        return "station" if u < 0.75 else "district" if u < 0.88 else "province"

    def death_declarant(self, p: Person, reg: dt.date) -> Person | None:
        rng = self.rng
        kin = [k for k in self.kin(p) if k.alive_on(reg) and k.age_on(reg) >= 16 and k.nationality == VIETNAM]
        local = [k for k in kin if self.resident_on(k, reg)]
        pool = local or kin
        if pool and rng.random() < 0.93:
            spouses = [k for k in pool if self.relation(k, p) in ("Vợ", "Chồng")]
            if spouses and rng.random() < 0.45:
                return spouses[0]
            return rng.choice(pool)
        return self.hamlet_head(reg)

    # ------------------------------------------------------------------ marital-status certificates
    def certificates(self) -> None:
        rng, P = self.rng, self.persons
        for pid, day, kind in self.sim.pending_certificates:
            p = P[pid]
            if day < self.start or not self.resident_on(p, day):
                continue
            purpose = PURPOSE_FOREIGN if kind == "foreign" else PURPOSE_MARRIAGE
            self.certificate(
                p, day, "foreign_marriage" if kind == "foreign" else "domestic_marriage", purpose
            )
        rate = self.rates.certificate * self.sim.b("marital_status") / _YEAR
        first = self.start.toordinal()
        for pid in self.sim.members:
            p = P[pid]
            if p.nationality != VIETNAM:
                continue
            lo, hi = self.window(p, first, 18.05, 70)
            if hi <= lo:
                continue
            for _ in range(_poisson(rng, rate * (hi - lo))):
                day = _d(lo + int(rng.random() * (hi - lo)))
                factor = 0.15 if day.year < 1990 else 0.35 if day.year < 1999 else 1.0
                if rng.random() >= factor or not self.resident_on(p, day):
                    continue
                if self.registered_spouse(p, day) is None and rng.random() < 0.35 and p.age_on(day) < 40:
                    self.certificate(p, day, "domestic_marriage", PURPOSE_MARRIAGE)
                else:
                    self.certificate(p, day, "other_purpose", rng.choice(PURPOSES_OTHER))

    def registered_spouse(self, p: Person, day: dt.date) -> Union | None:
        for idx in p.unions:
            u = self.pop.unions[idx]
            if u.registered_on(day) and not u.foreign:
                return u
        return None

    def certificate(self, p: Person, day: dt.date, kind: str, purpose: str) -> None:
        rng = self.rng
        info: dict[str, Any] = {"kind": kind, "purpose": purpose, "note": ""}
        current = self.registered_spouse(p, day)
        past = []
        for i in p.unions:
            u = self.pop.unions[i]
            if u.registered is not None and u.registered <= day and u.end is not None and u.end <= day:
                past.append(u)
        if current is not None:
            if kind != "other_purpose":
                return  # a married person cannot ask for a certificate to marry
            info["status"] = "married"
            info["spouse"] = current.wife if current.husband == p.id else current.husband
        elif past:
            last = max(past, key=lambda u: u.end or dt.date.min)
            info["spouse"] = last.wife if last.husband == p.id else last.husband
            info["status"] = "divorced" if last.end_reason == "divorce" else "widowed"
        else:
            info["status"] = "single"
        applicant = p
        if rng.random() < 0.12:
            parents = [
                self.persons[x] for x in (p.father_id, p.mother_id) if x and self.persons[x].alive_on(day)
            ]
            if parents:
                applicant = rng.choice(parents)
        info["applicant_relationship"] = self.relation(applicant, p)
        self.add("marital_status", day, {"person": p.id, "applicant": applicant.id}, info)
