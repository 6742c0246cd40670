"""SCORM 1.2 and SCORM 2004 (4th Edition) packages of a scenario (docs/integrations.md, "SCORM").

A package is a zip with ``imsmanifest.xml`` at its root and one SCO: ``index.html`` (the launch page) and
``sparring-scorm.js`` (its runtime; no inline script). The launch page finds the LMS's SCORM API (1.2:
``window.API``, 2004: ``API_1484_11``, searched up the parent and opener chain), initialises it, marks the
activity incomplete and offers a button that opens the scenario in Sparring in a new window
(``<base>/scorm/start?scenario=ID&difficulty=D&origin=<the launch page's origin>``). When the rep is scored,
Sparring's scorecard page posts ``{type: "sparring:scored", rep, score, passed, scenario}`` back to the launch page
(only to an origin in ``SPARRING_SCORM_ORIGINS``), which sets the score and the status, commits and finishes.

No XSD files are bundled: Moodle, SCORM Cloud and most LMSs import a package without them (they validate the
manifest against their own copies or not at all), and the ADL/IMS schema files carry their own licences that a
generated package should not have to restate.
"""

from __future__ import annotations

import html
import io
import re
import threading
import zipfile
from dataclasses import dataclass
from importlib import resources
from typing import Literal
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

ScormVersion = Literal["1.2", "2004"]
VERSIONS: tuple[ScormVersion, ...] = ("1.2", "2004")
DIFFICULTIES = ("easy", "medium", "hard")

LAUNCH = "index.html"
RUNTIME = "sparring-scorm.js"
MANIFEST = "imsmanifest.xml"

XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: SCORM 1.2: IMS Content Packaging 1.1.2 and the ADL SCORM 1.2 extensions
CP_12 = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP_12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
#: SCORM 2004 4th Edition: IMS Content Packaging 1.1.4 and the ADL CAM 1.3 extensions
CP_2004 = "http://www.imsglobal.org/xsd/imscp_v1p1"
ADLCP_2004 = "http://www.adlnet.org/xsd/adlcp_v1p3"

#: ElementTree's prefixes are process-wide: one manifest at a time, so ``adlcp:`` is always spelt so (some LMSs
#: match the literal prefix)
_PREFIXES = threading.Lock()

SCHEMA = "ADL SCORM"
SCHEMA_VERSION = {"1.2": "1.2", "2004": "2004 4th Edition"}


class ScormError(ValueError):
    """A package cannot be built; ``field`` names the bad input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PackageSpec:
    """What a package launches: a scenario at a difficulty, on the Sparring installation at ``base_url``."""

    scenario_id: str
    title: str
    difficulty: str
    version: ScormVersion
    base_url: str


def normalise_base(url: str) -> str:
    """The Sparring address a package opens, without a trailing slash. ScormError("base-url") unless it is an
    absolute http(s) URL without query or fragment."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ScormError("base-url", f"must be an absolute http:// or https:// address, not {url!r}")
    if parts.query or parts.fragment:
        raise ScormError("base-url", "must not have a query or a fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an address, lower-cased (how browsers compare origins)."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_spec(spec: PackageSpec) -> PackageSpec:
    if spec.version not in VERSIONS:
        raise ScormError("version", f"must be one of {', '.join(VERSIONS)}, not {spec.version!r}")
    if spec.difficulty not in DIFFICULTIES:
        raise ScormError("difficulty", f"must be one of {', '.join(DIFFICULTIES)}, not {spec.difficulty!r}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}", spec.scenario_id):
        raise ScormError("scenario", f"not a scenario id: {spec.scenario_id!r}")
    return PackageSpec(spec.scenario_id, spec.title.strip() or spec.scenario_id, spec.difficulty, spec.version,
                       normalise_base(spec.base_url))


def _identifier(text: str) -> str:
    """An XML NCName-safe identifier (manifest identifiers are xs:ID)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text)


def manifest(spec: PackageSpec) -> bytes:
    """``imsmanifest.xml`` for the package: one organisation, one item, one SCO resource."""
    spec = check_spec(spec)
    v12 = spec.version == "1.2"
    cp, adlcp = (CP_12, ADLCP_12) if v12 else (CP_2004, ADLCP_2004)
    base = _identifier(f"sparring-{spec.scenario_id}-{spec.difficulty}")
    locations = (f"{CP_12} imscp_rootv1p1p2.xsd {ADLCP_12} adlcp_rootv1p2.xsd" if v12
                 else f"{CP_2004} imscp_v1p1.xsd {ADLCP_2004} adlcp_v1p3.xsd")
    root = ET.Element(f"{{{cp}}}manifest", {"identifier": base, "version": "1",
                                             f"{{{XSI}}}schemaLocation": locations})
    meta = ET.SubElement(root, f"{{{cp}}}metadata")
    ET.SubElement(meta, f"{{{cp}}}schema").text = SCHEMA
    ET.SubElement(meta, f"{{{cp}}}schemaversion").text = SCHEMA_VERSION[spec.version]
    orgs = ET.SubElement(root, f"{{{cp}}}organizations", {"default": f"{base}-org"})
    org = ET.SubElement(orgs, f"{{{cp}}}organization", {"identifier": f"{base}-org"})
    ET.SubElement(org, f"{{{cp}}}title").text = spec.title
    item = ET.SubElement(org, f"{{{cp}}}item", {"identifier": f"{base}-item", "identifierref": f"{base}-sco",
                                                "isvisible": "true"})
    ET.SubElement(item, f"{{{cp}}}title").text = f"{spec.title} ({spec.difficulty})"
    resources_el = ET.SubElement(root, f"{{{cp}}}resources")
    scorm_type = f"{{{adlcp}}}scormtype" if v12 else f"{{{adlcp}}}scormType"
    res = ET.SubElement(resources_el, f"{{{cp}}}resource", {"identifier": f"{base}-sco", "type": "webcontent",
                                                            scorm_type: "sco", "href": LAUNCH})
    for name in (LAUNCH, RUNTIME):
        ET.SubElement(res, f"{{{cp}}}file", {"href": name})
    ET.indent(root)
    with _PREFIXES:
        ET.register_namespace("", cp)
        ET.register_namespace("adlcp", adlcp)
        ET.register_namespace("xsi", XSI)
        body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def launch_page(spec: PackageSpec) -> str:
    """``index.html``: the settings in data attributes (read by the runtime), no inline script or style."""
    spec = check_spec(spec)
    e = html.escape
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(spec.title)} · Sparring</title>
</head>
<body data-sparring-base="{e(spec.base_url)}" data-scenario="{e(spec.scenario_id)}"
      data-difficulty="{e(spec.difficulty)}" data-scorm-version="{e(spec.version)}">
<main>
<h1>{e(spec.title)}</h1>
<p>A practice conversation in Sparring ({e(spec.difficulty)}). It opens in a new window; sign in there if asked.
When the rep is scored, your score comes back to this course.</p>
<p><button type="button" id="sparring-open">Open the scenario in Sparring</button></p>
<p id="sparring-status" role="status" aria-live="polite">Connecting to the course…</p>
</main>
<script src="{RUNTIME}"></script>
</body>
</html>
"""


def runtime_script() -> bytes:
    """``sparring-scorm.js``: the SCORM runtime adapter (shipped as package data beside this module)."""
    return resources.files("sparring.integrations").joinpath("scorm_runtime.js").read_bytes()


def package_files(spec: PackageSpec) -> dict[str, bytes]:
    """Every file of the package by its path in the zip."""
    spec = check_spec(spec)
    return {MANIFEST: manifest(spec), LAUNCH: launch_page(spec).encode("utf-8"), RUNTIME: runtime_script()}


def build_package(spec: PackageSpec) -> bytes:
    """The package as zip bytes (a few kilobytes: built in memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in package_files(spec).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def parse_origins(value: str | None) -> frozenset[str]:
    """``SPARRING_SCORM_ORIGINS``: comma-separated origins (``https://lms.example.com``) allowed to receive scores.
    ScormError("SPARRING_SCORM_ORIGINS") for an entry that is not an http(s) origin."""
    found: set[str] = set()
    for raw in (value or "").split(","):
        entry = raw.strip().rstrip("/")
        if not entry:
            continue
        parts = urlsplit(entry)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
            raise ScormError("SPARRING_SCORM_ORIGINS", f"{entry!r} is not an origin like https://lms.example.com")
        found.add(origin_of(entry))
    return frozenset(found)
