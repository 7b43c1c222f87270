"""igfpage: IGF session pages (saved text, HTML, other layouts) → session.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rapporteur.errors import SessionError
from rapporteur.importers.igfpage import clean_name, new_session, parse_igf_page, parse_person
from rapporteur.core.session import load_session, parse_session

PAGES = Path(__file__).resolve().parent / "fixtures" / "igfpages"


def _people(d):
    return {p["name"]: p for p in d["speakers"]}


def test_seed_page_every_person_and_role():
    d, problems = parse_igf_page((PAGES / "ws73-saved-text.txt").read_text(encoding="utf-8"))
    assert d["title"] == "Interconnecting Global AI Governance Mechanisms"
    assert d["event"] == "IGF 2023"
    assert (d["format"], d["duration"]) == ("Round Table - 90 Min", "90 minutes")
    people = _people(d)
    assert set(people) == {"Bu Zhong", "Xingdong Fang", "Xianhong Hu", "Fatima Roumate", "Wenxiang Zhang", "Zhu Xiaobiao"}
    assert people["Bu Zhong"]["role"] == "moderator"
    assert people["Xingdong Fang"]["role"] == "online moderator"
    assert people["Xingdong Fang"]["affiliation"] == "Zhejiang University"  # after the 🔒
    assert people["Xianhong Hu"] == {
        "name": "Xianhong Hu", "role": "speaker", "affiliation": "UNESCO",
        "stakeholder_group": "Intergovernmental Organization", "region": "Western European and Others Group (WEOG)",
    }
    assert people["Fatima Roumate"]["region"] == "African Group"
    assert people["Wenxiang Zhang"]["role"] == "organiser"
    assert d["agenda"] == [{"title": "How can we do to achieve interconnection of global AI governance mechanisms?"}]
    assert d["description"].startswith("The impact of ChatGPT")
    # what had to be guessed or is missing is said
    assert any("Bu Zhong" in p and "moderator" in p for p in problems)
    assert any("Xingdong Fang" in p and "rapporteur" in p for p in problems)
    assert any("date" in p for p in problems)


def test_seed_page_new_session_writes_a_valid_file_with_all_roles(tmp_path):
    path = new_session(str(PAGES / "ws73-saved-text.txt"), tmp_path)
    assert path == tmp_path / "igf2023-ws73" / "session.yaml"
    session = load_session(path.parent)
    assert session.warnings == ()
    assert [p.name for p in session.speakers][:2] == ["Bu Zhong", "Xingdong Fang"]
    text = path.read_text(encoding="utf-8")
    assert "# on the page as: organiser 2, online moderator, rapporteur" in text
    assert "# on the page as: organiser 1, speaker 1, onsite moderator" in text
    assert "# Theme: Avoiding Internet Fragmentation" in text
    with pytest.raises(SessionError, match="already exists"):
        new_session(str(PAGES / "ws73-saved-text.txt"), tmp_path)


def test_html_page_with_role_headings(tmp_path):
    html = (PAGES / "of12-headings.html").read_text(encoding="utf-8")
    d, problems = parse_igf_page(html)
    assert (d["title"], d["event"], d["date"]) == ("Data Flows for Development", "IGF 2024", "2024-12-17")
    assert (d["format"], d["duration"]) == ("Panel - 60 Min", "60 minutes")
    people = _people(d)
    assert set(people) == {"Grace Muthoni", "Luis Fernando García-Pérez", "Marta Kowalczyk", "Samuel Otieno", "Aiko Yamamoto"}
    assert people["Samuel Otieno"]["role"] == "moderator"
    assert people["Aiko Yamamoto"]["role"] == "online moderator"
    assert people["Luis Fernando García-Pérez"]["affiliation"] == "Universidad de los Andes"
    assert people["Luis Fernando García-Pérez"]["region"] == "Latin American and Caribbean Group (GRULAC)"
    assert people["Marta Kowalczyk"]["stakeholder_group"] == "Private Sector"
    assert len(d["agenda"]) == 2 and d["description"].endswith("safely & fairly.")
    assert "Not A Person" not in str(d)  # script text is not page text
    assert any("Ministry of Digital Economy" in p for p in problems)  # an organisation, not a person
    path = new_session(str(PAGES / "of12-headings.html"), tmp_path)
    assert path.parent.name == "igf2024-of12" and load_session(path.parent).warnings == ()


def test_inline_roles_and_dash_parenthesis_layout(tmp_path):
    d, problems = parse_igf_page((PAGES / "ws201-inline.txt").read_text(encoding="utf-8"))
    people = _people(d)
    assert people["Rana Haddad"]["role"] == "moderator"
    assert people["Rana Haddad"]["affiliation"] == "Digital Rights Lebanon"
    assert people["Oleksandr Petrenko"]["region"] == "Eastern European Group"
    assert people["Maria José Fernandes"]["region"] == "Latin American and Caribbean Group (GRULAC)"
    assert people["Tomás Ibáñez"]["role"] == "online moderator"
    assert people["Li Wei"]["role"] == "rapporteur"
    assert d["format"] == "Break-out Group Discussions" and d["duration"] == "75 minutes"
    assert [a["title"][:6] for a in d["agenda"]] == ["How do", "Who sh"]
    assert any("organiser 1" in p for p in problems)
    parse_session(yaml.safe_load(yaml.safe_dump(d)), tmp_path / "igf2025-ws201")


def test_names_and_person_shapes():
    assert clean_name("Xingdong FANG") == "Xingdong Fang"
    assert clean_name("zhu xiaobiao") == "Zhu Xiaobiao"
    assert clean_name("H.E. Dr. Grace MUTHONI") == "Grace Muthoni"
    assert clean_name("Bertrand de La Chapelle") == "Bertrand de La Chapelle"
    p, _ = parse_person("Xianhong Hu, Intergovernmental Organization, Western European and Others Group (WEOG)")
    assert (p.stakeholder_group, p.region, p.affiliation) == ("Intergovernmental Organization", "Western European and Others Group (WEOG)", "")
    p, _ = parse_person("Jane Doe (ACME Corp)")
    assert (p.name, p.affiliation) == ("Jane Doe", "ACME Corp")
    assert parse_person("Civil Society, African Group")[0] is None
