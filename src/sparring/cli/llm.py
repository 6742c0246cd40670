"""``sparring doctor``: what LLM set-up is configured, whether each endpoint answers, what each task will use."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from sparring.cli.context import root
from sparring.llm.config import MODEL_ENV, TASKS, LLMConfig, TaskConfig, load_llm_config
from sparring.llm.usage import price_for

console = Console()

_DEFAULT_URL = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com/v1"}


def _endpoint_url(tc: TaskConfig) -> str:
    base = (tc.base_url or _DEFAULT_URL.get(tc.provider, "")).rstrip("/")
    if tc.provider == "anthropic" and tc.base_url and not base.endswith("/v1"):
        base += "/v1"
    return f"{base}/models"


def check_endpoint(tc: TaskConfig, timeout: float) -> dict[str, Any]:
    """GET the endpoint's model list with a short timeout. Never prints or returns the key."""
    import httpx

    url = _endpoint_url(tc)
    headers: dict[str, str] = {}
    if tc.provider == "anthropic":
        headers = {"x-api-key": tc.api_key or "", "anthropic-version": "2023-06-01"}
    elif tc.api_key:
        headers = {"Authorization": f"Bearer {tc.api_key}"}
    started = time.perf_counter()
    result: dict[str, Any] = {"url": url, "ok": False, "status": None, "latency_ms": None, "error": None,
                              "models": []}  # fmt: skip
    try:
        resp = httpx.get(url, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        result["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return result
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    result["status"] = resp.status_code
    result["ok"] = resp.status_code < 400
    if not result["ok"]:
        result["error"] = f"HTTP {resp.status_code}"
        return result
    try:
        ids = {m.get("id") or m.get("name") for m in resp.json().get("data", []) if isinstance(m, dict)}
    except (ValueError, AttributeError):
        ids = set()
    result["models"] = sorted(str(i) for i in ids if i)
    return result


def diagnose(cfg: LLMConfig, *, check: bool = True, timeout: float = 3.0) -> dict[str, Any]:
    tasks: dict[str, Any] = {}
    endpoints: list[dict[str, Any]] = []
    checked: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
    for task in TASKS:
        tc = cfg.task(task)
        problem = cfg.problem(task)
        price = price_for(tc.model, cfg.prices) if tc.enabled else None
        row: dict[str, Any] = {
            "engine": tc.engine_name if tc.enabled and not problem else "embedded",
            "provider": tc.provider,
            "model": tc.model,
            "base_url": tc.base_url,
            "api_key": "set" if tc.api_key else "not set",
            "local": tc.is_local if tc.provider != "none" else None,
            "temperature": tc.temperature,
            "timeout": tc.timeout,
            "max_retries": tc.max_retries,
            "output_mode": tc.output_mode,
            "price_per_million": {"input": price[0], "output": price[1]} if price else None,
            "problem": problem,
        }
        if tc.enabled and not problem and check:
            key = (tc.provider, tc.base_url, tc.api_key)
            if key not in checked:
                checked[key] = check_endpoint(tc, timeout)
                endpoints.append(dict(checked[key], provider=tc.provider))
            ep = checked[key]
            row["endpoint_ok"] = ep["ok"]
            if ep["ok"] and ep["models"] and tc.model not in ep["models"]:
                row["problem"] = f"the endpoint does not list model '{tc.model}'"
        tasks[task] = row
    ok = all(t["problem"] is None for t in tasks.values()) and all(e["ok"] for e in endpoints)
    return {
        "config_file": cfg.config_file,
        "local_only": cfg.local_only,
        "redact": cfg.redact,
        "redact_names": len(cfg.redact_names),
        "judge_samples": cfg.judge_samples,
        "tasks": tasks,
        "endpoints": endpoints,
        "ok": ok,
    }


def _doctor(
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
    timeout: float = typer.Option(3.0, "--timeout", min=0.1, max=60, help="seconds to wait for each endpoint"),
    no_check: bool = typer.Option(False, "--no-check", help="do not contact any endpoint"),
) -> None:
    """Show the LLM configuration, check each endpoint answers, and print what each task will use."""
    settings = root().settings
    report = diagnose(load_llm_config(settings), check=not no_check, timeout=timeout)
    if json_out:
        print(json.dumps(report, indent=2))
    else:
        console.print(f"config file: {report['config_file'] or '(none: SPARRING_CONFIG not set)'}")
        console.print(
            f"privacy: local endpoints only = {report['local_only']}, redaction = {report['redact']} "
            f"({report['redact_names']} listed names)"
        )
        table = Table(title="What each task uses")
        for col in ("task", "engine", "provider", "model", "endpoint", "note"):
            table.add_column(col)
        for task, row in report["tasks"].items():
            endpoint = row["base_url"] or ("(provider default)" if row["provider"] != "none" else "")
            note = row["problem"] or ("" if row["engine"] != "embedded" else f"no model set ({MODEL_ENV[task]})")
            if row["provider"] == "none":
                note = "no LLM configured"
            table.add_row(task, row["engine"], row["provider"], row["model"] or "", endpoint, note)
        console.print(table)
        for ep in report["endpoints"]:
            state = f"ok ({ep['latency_ms']} ms)" if ep["ok"] else f"FAILED ({ep['error']})"
            console.print(f"endpoint {ep['url']}: {state}")
    if not report["ok"]:
        problems = [f"{t}: {r['problem']}" for t, r in report["tasks"].items() if r["problem"]]
        problems += [f"{e['url']}: {e['error']}" for e in report["endpoints"] if not e["ok"]]
        print(f"sparring: doctor found problems: {'; '.join(problems)}", file=sys.stderr)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(_doctor)
