"""SCORM packages (docs/integrations.md, "SCORM") validated structurally: the zip's layout, the manifest's
namespaces, schema and schemaversion, SCO type, identifiers and file references, and a launch page that loads only
files of the package and points at the Sparring address only."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import pytest

from sparring.integrations import scorm

BASE = "https://sparring.example.com/app"
EXPECTED = {
    "1.2": (scorm.CP_12, scorm.ADLCP_12, "scormtype", "1.2"),
    "2004": (scorm.CP_2004, scorm.ADLCP_2004, "scormType", "2004 4th Edition"),
}


def _package(version: scorm.ScormVersion, title: str = "Price <objection> & \"friends\"") -> zipfile.ZipFile:
    spec = scorm.PackageSpec("sales-price-objection", title, "hard", version, BASE + "/")
    return zipfile.ZipFile(io.BytesIO(scorm.build_package(spec)))


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.inline_scripts = 0
        self.inline_handlers: list[str] = []
        self.body: dict[str, str | None] = {}
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.inline_handlers += [k for k in a if k.startswith("on")]
        if tag == "body":
            self.body = a
        if tag == "script":
            self._in_script = True
            if a.get("src"):
                self.refs.append(str(a["src"]))
        for key in ("href", "src", "action"):
            if tag != "script" and a.get(key):
                self.refs.append(str(a[key]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


@pytest.mark.parametrize("version", scorm.VERSIONS)
def test_manifest_is_a_valid_package_of_one_sco(version: scorm.ScormVersion) -> None:
    cp, adlcp, type_attr, schemaversion = EXPECTED[version]
    zf = _package(version)
    names = zf.namelist()
    assert "imsmanifest.xml" in names and len(names) == len(set(names))
    assert all("/" not in n for n in names)  # everything at the root, the manifest included
    assert zf.testzip() is None
    raw = zf.read("imsmanifest.xml")
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert f'adlcp:{type_attr}="sco"'.encode() in raw  # the conventional prefix: some LMSs match it literally
    root = ET.fromstring(raw)  # well-formed
    assert root.tag == f"{{{cp}}}manifest"
    assert root.findtext(f"{{{cp}}}metadata/{{{cp}}}schema") == "ADL SCORM"
    assert root.findtext(f"{{{cp}}}metadata/{{{cp}}}schemaversion") == schemaversion
    locations = root.get(f"{{{scorm.XSI}}}schemaLocation", "").split()
    assert cp in locations and adlcp in locations
    # identifiers are unique and every reference resolves
    ids = [el.get("identifier") for el in root.iter() if el.get("identifier") is not None]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[A-Za-z_][\w.-]*", str(i)) for i in ids)
    orgs = root.find(f"{{{cp}}}organizations")
    assert orgs is not None and orgs.get("default") in ids
    resources = root.findall(f"{{{cp}}}resources/{{{cp}}}resource")
    assert len(resources) == 1
    res = resources[0]
    items = list(root.iter(f"{{{cp}}}item"))
    assert [i.get("identifierref") for i in items] == [res.get("identifier")]
    assert res.get(f"{{{adlcp}}}{type_attr}") == "sco" and res.get("type") == "webcontent"
    other = "scormType" if type_attr == "scormtype" else "scormtype"
    assert res.get(f"{{{adlcp}}}{other}") is None  # the other version's spelling would be ignored by an LMS
    files = [f.get("href") for f in res.findall(f"{{{cp}}}file")]
    assert res.get("href") in files
    assert set(files) == set(names) - {"imsmanifest.xml"}
    assert not [n for n in names if n.endswith(".xsd")]  # not bundled (see the module's docstring)
    title = root.findtext(f"{{{cp}}}organizations/{{{cp}}}organization/{{{cp}}}title")
    assert title == 'Price <objection> & "friends"'


@pytest.mark.parametrize("version", scorm.VERSIONS)
def test_launch_page_loads_only_package_files_and_names_sparring(version: scorm.ScormVersion) -> None:
    zf = _package(version)
    page = zf.read("index.html").decode("utf-8")
    parsed = _Refs()
    parsed.feed(page)
    assert parsed.inline_scripts == 0 and parsed.inline_handlers == []  # the LMS's CSP may forbid them
    assert parsed.refs == ["sparring-scorm.js"]
    assert all(ref in zf.namelist() for ref in parsed.refs)
    assert parsed.body["data-sparring-base"] == BASE
    assert parsed.body["data-scenario"] == "sales-price-objection"
    assert parsed.body["data-difficulty"] == "hard" and parsed.body["data-scorm-version"] == version
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page + zf.read("sparring-scorm.js").decode("utf-8")))
    assert urls == {BASE}, urls  # no outside address other than Sparring's own
    assert "&lt;objection&gt;" in page  # the title is escaped
    script = zf.read("sparring-scorm.js").decode("utf-8")
    api = "API_1484_11" if version == "2004" else "LMSInitialize"
    assert api in script and "sparring:scored" in script and "/scorm/start" in script


@pytest.mark.parametrize(("field", "spec"), [
    ("version", scorm.PackageSpec("s1", "T", "medium", "3", BASE)),  # type: ignore[arg-type]
    ("difficulty", scorm.PackageSpec("s1", "T", "extreme", "1.2", BASE)),
    ("scenario", scorm.PackageSpec("../etc", "T", "medium", "1.2", BASE)),
    ("base-url", scorm.PackageSpec("s1", "T", "medium", "1.2", "javascript:alert(1)")),
    ("base-url", scorm.PackageSpec("s1", "T", "medium", "1.2", "https://x.test/?a=1")),
])
def test_bad_inputs_name_the_field(field: str, spec: scorm.PackageSpec) -> None:
    with pytest.raises(scorm.ScormError) as info:
        scorm.build_package(spec)
    assert info.value.field == field and str(info.value).startswith(f"{field}: ")


def test_origins_setting() -> None:
    assert scorm.parse_origins(None) == frozenset()
    assert scorm.parse_origins(" https://LMS.example.com/ , http://127.0.0.1:8081") == {
        "https://lms.example.com", "http://127.0.0.1:8081"}
    with pytest.raises(scorm.ScormError, match=r"SPARRING_SCORM_ORIGINS: 'https://lms.example.com/moodle'"):
        scorm.parse_origins("https://lms.example.com/moodle")
    with pytest.raises(scorm.ScormError, match="SPARRING_SCORM_ORIGINS"):
        scorm.parse_origins("lms.example.com")
