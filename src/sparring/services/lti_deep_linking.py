"""LTI Deep Linking 2.0 (docs/lti.md, "Adding an activity"): an instructor's ``LtiDeepLinkingRequest`` launch
opens a page where they pick a scenario (with its difficulty) or a program; Sparring answers the platform with a
signed ``LtiDeepLinkingResponse`` holding one ``ltiResourceLink`` to the launch URL whose custom parameters name
the choice (``sparring_scenario`` + ``sparring_difficulty``, or ``sparring_program``), and for a scenario a line
item of ``scoreMaximum`` 100 so that the platform makes a grade column for it.

A request is answered once, within ``ANSWER_WITHIN``, by the person who launched it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from sparring.inputs import is_db_id
from sparring.integrations import lti
from sparring.services.access import Viewer
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.services.lti_launch import CUSTOM_DIFFICULTY, CUSTOM_PROGRAM, CUSTOM_SCENARIO
from sparring.services.lti_registrations import current_key
from sparring.store.db import Database
from sparring.store.lti_models import LtiLaunchRow, LtiRegistrationRow
from sparring.store.models import utcnow
from sparring.store.sealing import UnsealError

log = logging.getLogger(__name__)

ANSWER_WITHIN = timedelta(hours=1)
DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class DeepLinkRequest:
    launch_id: int
    registration: str
    return_url: str


def _pending(s: Session, viewer: Viewer, launch_id: int) -> tuple[LtiLaunchRow, LtiRegistrationRow]:
    row = s.get(LtiLaunchRow, launch_id) if is_db_id(launch_id) else None
    reg = s.get(LtiRegistrationRow, row.registration_id) if row is not None else None
    if row is None or reg is None or row.user_id != viewer.id or not row.detail:
        raise NotFound(f"no deep-linking request {launch_id} of yours")
    if row.detail.get("answered"):
        raise Conflict("this activity was already added; start again from the course to add another")
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=utcnow().tzinfo)
    if utcnow() - created > ANSWER_WITHIN:
        raise Conflict("this request is more than an hour old; start again from the course")
    return row, reg


def pending_request(s: Session, viewer: Viewer, launch_id: int) -> DeepLinkRequest:
    row, reg = _pending(s, viewer, launch_id)
    assert row.detail is not None
    return DeepLinkRequest(row.id, reg.name, str(row.detail["return_url"]))


@dataclass(frozen=True)
class DeepLinkAnswer:
    return_url: str
    jwt: str


def answer(database: Database, viewer: Viewer, launch_id: int, *, kind: str, target: str, title: str,
           difficulty: str, launch_url: str) -> DeepLinkAnswer:
    """Sign the response for the chosen ``kind`` (``scenario`` | ``program``) and mark the request answered. The
    caller has checked that ``target`` is one the viewer may choose and passes its ``title``."""
    if kind not in ("scenario", "program"):
        raise InvalidInput("choice: pick a scenario or a program")
    if kind == "scenario" and difficulty not in DIFFICULTIES:
        raise InvalidInput(f"difficulty: one of {', '.join(DIFFICULTIES)}")
    with database.session() as s:
        row, reg = _pending(s, viewer, launch_id)
        assert row.detail is not None
        if kind == "scenario":
            item = lti.ContentItem(title=title, url=launch_url, text="Practise in Sparring",
                                   custom={CUSTOM_SCENARIO: target, CUSTOM_DIFFICULTY: difficulty})
        else:
            item = lti.ContentItem(title=title, url=launch_url, text="A Sparring program", score_maximum=None,
                                   custom={CUSTOM_PROGRAM: target})
        data = row.detail.get("data")
        try:
            key = current_key(s, reg.org_id)
        except UnsealError as exc:  # the instructor cannot fix this; the message says who can, the log says how
            log.error("deep linking answer for launch %s: %s", launch_id, exc)
            raise Conflict("the tool's signing key cannot be read on this server (the installation key changed); "
                           "ask your Sparring administrator to rotate the LTI key, then try again") from None
        token = lti.deep_linking_response(key, client_id=reg.client_id,
                                          platform_issuer=reg.issuer, deployment_id=row.deployment_id,
                                          data=data if isinstance(data, str) else None, items=[item])
        row.detail = {**row.detail, "answered": True, "choice": f"{kind}:{target}"}
        return DeepLinkAnswer(str(row.detail["return_url"]), token)
