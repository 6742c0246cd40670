"""The composition root: one ``Sparring(settings)`` per application builds what the adapters use, once.

The CLI (``sparring.cli.context``), the web app (``create_app(settings)``) and the job worker each build one from
the settings they were given, and hand its parts to the services; no engine or service reads the environment or
picks a default database by itself (docs/architecture.md, "The composition root").

What it builds, each on first use and then kept (a command that needs no engine never loads one):
- ``database``: the configured database (SQLite file or PostgreSQL), migrated; the integration events its
  sessions publish are fanned out to the webhook endpoints (and, for launched reps, to the LTI score passback)
  after each commit, on ``jobs``;
- ``content``: the installation's content (built-ins and installation-wide imports);
- ``persona`` and ``scorer``: the engines named by ``settings.persona_engine`` / ``settings.scorer`` among the
  ``sparring.persona_engines`` / ``sparring.scorers`` entry points (a factory that takes ``settings`` gets this
  application's settings), wrapped by the LLM engines when a provider is
  configured (``sparring.engines``);
- ``formats``: the transcript formats of the ``sparring.importers`` entry points;
- ``tasks`` and ``jobs``: the task registry (``sparring.tasks``) and the job queue for the configured backend;
- ``integrations``: the ``sparring.integrations`` entry points, by name;
- ``plugins``: the entry-point registry itself (CLI command groups and web routers are read from it by the CLI and
  the web app) and the problems of plugins that could not be loaded.
"""

from __future__ import annotations

import inspect
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sparring.conversation.importers import Formats, TranscriptFormat
from sparring.kernel.plugins import PluginError, PluginProblem, Plugins
from sparring.settings import Settings

if TYPE_CHECKING:
    from sparring.jobs.queue import JobQueue
    from sparring.jobs.registry import TaskRegistry
    from sparring.persona.base import PersonaEngine
    from sparring.scoring.base import Scorer
    from sparring.services.accounts import Accounts
    from sparring.services.content import ContentService
    from sparring.services.practice import PracticeService
    from sparring.services.reply_voice import ReplyVoice
    from sparring.services.voice import VoiceService
    from sparring.store.db import Database

PERSONA_ENGINES = "sparring.persona_engines"
SCORERS = "sparring.scorers"
IMPORTERS = "sparring.importers"
INTEGRATIONS = "sparring.integrations"
CLI_COMMANDS = "sparring.cli"
WEB_ROUTERS = "sparring.web"


def _takes_settings(factory: Any) -> bool:
    """Whether a plugin factory accepts ``settings=`` (a parameter of that name, or ``**kwargs``)."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin without a signature: call it without arguments
        return False
    return "settings" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


class Sparring:
    """Everything one application (a CLI invocation, a web app, a worker) uses, built from ``settings`` once."""

    def __init__(self, settings: Settings, plugins: Plugins | None = None):
        self.settings = settings
        self.plugins = plugins if plugins is not None else Plugins()

    # ---- storage and content ----------------------------------------------------------------------------
    @cached_property
    def database_url(self) -> str:
        return self.settings.resolved_database_url

    @cached_property
    def database(self) -> Database:
        from sparring.store.db import get_database

        database = get_database(self.database_url, self.settings.sqlite_synchronous)
        self._fan_out_events(database)
        return database

    def _fan_out_events(self, database: Database) -> None:
        """After each commit that published integration events (``sparring.integrations.events``), queue their
        deliveries to the organisation's webhook endpoints on this application's job queue (built then, not now)."""
        from sparring.integrations.events import after_commit
        from sparring.services import lti_grades
        from sparring.services.webhooks import WebhookConfig, fan_out

        config = WebhookConfig.from_settings(self.settings)
        def queue_deliveries(event_ids: list[str]) -> None:
            try:
                fan_out(self.jobs, config, event_ids)
            finally:  # LTI score passback (docs/lti.md, "Grades"): its own rows and jobs, whatever webhooks did
                if lti_grades.TASK in self.tasks:
                    lti_grades.fan_out(self.jobs, event_ids)

        after_commit(database, queue_deliveries)

    @cached_property
    def content(self) -> ContentService:
        from sparring.services.content import ContentService

        return ContentService.installation(self.database)

    # ---- engines -------------------------------------------------------------------------------------------
    def _engine(self, group: str, name: str, what: str) -> Any:
        """Build the plugin ``name`` of ``group``. Its factory is called with no arguments, or, when it takes a
        ``settings`` parameter, with this application's settings (``settings.plugin_options(name)`` gives the
        plugin its ``[plugins.<name>]`` table of the config file): a plugin engine is configured like the
        built-ins, never by reading the environment itself."""
        factory = self.plugins.get(group, name, what)
        if not callable(factory):
            raise PluginError(f"{what} {name!r} ({group}) is not callable: {factory!r}")
        try:
            return factory(settings=self.settings) if _takes_settings(factory) else factory()
        except Exception as exc:
            raise PluginError(f"{what} {name!r} ({group}) failed to start: {type(exc).__name__}: {exc}") from exc

    @cached_property
    def persona(self) -> PersonaEngine:
        from sparring.engines import persona_engine

        base = self._engine(PERSONA_ENGINES, self.settings.persona_engine, "persona engine")
        return persona_engine(self.settings, base)

    @cached_property
    def scorer(self) -> Scorer:
        from sparring.engines import scorer

        base = self._engine(SCORERS, self.settings.scorer, "scorer")
        return scorer(self.settings, base)

    # ---- plugins -------------------------------------------------------------------------------------------
    @cached_property
    def formats(self) -> Formats:
        return Formats(self.plugins.instances(IMPORTERS, TranscriptFormat))

    @cached_property
    def integrations(self) -> dict[str, Any]:
        built: dict[str, Any] = {}
        for name in self.plugins.group(INTEGRATIONS):
            try:
                built[name] = self._engine(INTEGRATIONS, name, "integration")
            except PluginError as exc:
                self.plugins._problem(PluginProblem(INTEGRATIONS, name, "", None, str(exc)))
        return built

    @property
    def problems(self) -> list[PluginProblem]:
        """Plugins that could not be loaded so far (each also logged as a warning)."""
        return list(self.plugins.problems)

    # ---- jobs ----------------------------------------------------------------------------------------------
    @cached_property
    def tasks(self) -> TaskRegistry:
        from sparring.jobs.registry import TaskRegistry, load_task_plugins, split_modules

        registry = load_task_plugins(TaskRegistry(), split_modules(self.settings.jobs_task_modules))
        registry.app = self  # each task gets this application as ctx.app
        return registry

    @cached_property
    def jobs(self) -> JobQueue:
        from sparring.jobs.setup import build_queue

        return build_queue(self.settings, self.database, self.tasks)

    # ---- services ------------------------------------------------------------------------------------------
    def practice(self) -> PracticeService:
        """The practice service over this application's database, content and engines."""
        from sparring.services.practice import PracticeService

        # the engines load when a turn is played or a rep scored, not when the service is built
        return PracticeService(self.database, persona=lambda: self.persona, scorer=lambda: self.scorer,
                               content=self.content)

    def voice(self) -> VoiceService:
        """Spoken practice turns (docs/voice.md): recordings heard offline, their delivery, the turns they became."""
        from sparring.services.voice import VoiceService

        return VoiceService(self.database, self.settings.data_dir, keep_audio=self.settings.voice_keep_audio)

    @cached_property
    def reply_voice(self) -> ReplyVoice:
        """The counterpart's replies spoken by the server (docs/voice.md, "A server voice"): one per application, as
        it keeps its piper processes running."""
        from sparring.services.reply_voice import ReplyVoice

        return ReplyVoice(self.database, self.settings.data_dir, enabled=self.settings.tts == "piper",
                          voices={str(k): v for k, v in self.settings.tts_voices.items()},
                          command=self.settings.tts_command)

    def accounts(self) -> Accounts:
        from sparring.services.accounts import Accounts

        return Accounts(self.database)
