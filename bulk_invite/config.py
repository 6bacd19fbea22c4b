"""Settings from a TOML file, the environment and flags, merged: flags > env > file > defaults."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .secret import ENV_VAR, Secret, load_api_key
from .settings import RetryPolicy, Settings, Timeouts

CONFIG_NAME = "bulk-invite.toml"
BASE_URL_ENV = "QUALIPHY_BASE_URL"

# Every key each table may hold, so a typo is an error rather than a silently ignored setting.
_SECTIONS: dict[str, frozenset[str]] = {
    "api": frozenset({"base_url", "key_file"}),
    "send": frozenset(
        {
            "rate",
            "concurrency",
            "connect_timeout",
            "read_timeout",
            "max_attempts",
            "max_retry_after",
            "breaker_threshold",
            "dedup_window",
            "journal",
            "lock_wait",
        }
    ),
    "defaults": frozenset(
        {
            "exams",
            "tele_state",
            "webhook_url",
            "redirect_approve",
            "redirect_reject",
            "redirect_na",
            "redirect_missed",
            "state",
        }
    ),
}
_FREE_TABLES = ("columns", "catalog")


@dataclass(frozen=True)
class FileConfig:
    """What a config file says, flattened to option names, and where it came from."""

    path: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    columns: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    catalog: Mapping[int, int] = field(default_factory=dict)


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise UsageError(f"The {what} {path} does not exist.") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"The {what} {path} cannot be read: {exc}.") from None


def load_config(path: Path | None, cwd: Path | None = None) -> FileConfig:
    """Read ``path``, else ``bulk-invite.toml`` in ``cwd`` if there is one, else nothing."""
    if path is None:
        candidate = (cwd or Path.cwd()) / CONFIG_NAME
        if not candidate.is_file():
            return FileConfig()
        path = candidate
    data = _read_toml(path, "config file")
    for name in sorted(set(data) - set(_SECTIONS) - set(_FREE_TABLES)):
        home = next((f"[{t}]" for t, keys in _SECTIONS.items() if name in keys), None)
        where = f"; put it under {home}" if home else ""
        kind = "section" if isinstance(data[name], dict) else "setting"
        raise UsageError(f"{path}: unknown {kind} {name!r}{where}.")
    values: dict[str, Any] = {}
    for section, allowed in _SECTIONS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise UsageError(f"{path}: [{section}] must be a table.")
        for key in sorted(set(table) - allowed):
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"{path}: unknown setting {key!r} in [{section}]{hint}.")
        if section != "defaults":
            values.update({k: _typed(v, k, f"{path}: [{section}] {k}") for k, v in table.items()})
    defaults_table = dict(data.get("defaults", {}))
    exams = defaults_table.pop("exams", None)
    if exams is not None:
        values["exams"] = _exam_list(exams, f"{path}: [defaults] exams")
    # Relative paths mean the config file's own folder, wherever the job is started from.
    if "key_file" in values:
        values["api_key_file"] = path.parent / Path(os.path.expanduser(values.pop("key_file")))
    if "journal" in values:
        values["journal"] = path.parent / Path(os.path.expanduser(values["journal"]))
    return FileConfig(
        path=path,
        values=values,
        columns=_string_table(data.get("columns", {}), f"{path}: [columns]"),
        defaults={k: str(v) for k, v in defaults_table.items()},
        catalog=parse_catalog_table(data.get("catalog", {}), f"{path}: [catalog]"),
    )


_NUMBERS = {
    "rate",
    "connect_timeout",
    "read_timeout",
    "max_retry_after",
    "dedup_window",
    "lock_wait",
}
_WHOLE = {"concurrency", "max_attempts", "breaker_threshold"}


def _typed(value: Any, key: str, where: str) -> Any:
    """A config value checked for its kind: numbers, whole numbers, or text."""
    if key == "concurrency" and value == "auto":
        return None
    if isinstance(value, bool):
        ok = False
    elif key in _NUMBERS:
        ok = isinstance(value, int | float) and value >= 0
    elif key in _WHOLE:
        ok = isinstance(value, int) and value >= 1
    else:
        ok = isinstance(value, str) and value.strip() != ""
    if not ok:
        kind = (
            "a number of 0 or more" if key in _NUMBERS
            else "a whole number of 1 or more" + (' (or "auto")' if key == "concurrency" else "")
            if key in _WHOLE else "text"
        )  # fmt: skip
        raise UsageError(f"{where} must be {kind}, not {value!r}.")
    return value


def _exam_list(value: Any, where: str) -> tuple[int, ...]:
    items = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
    try:
        exams = tuple(int(str(i).strip()) for i in items if str(i).strip())
    except ValueError:
        raise UsageError(f"{where} must list exam IDs, e.g. [1822, 2228].") from None
    if any(e <= 0 for e in exams):
        raise UsageError(f"{where} must list positive exam IDs.")
    return exams


def _string_table(table: Any, where: str) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise UsageError(
            f'{where} must map column headers to field names, e.g. "Cell" = "phone_number".'
        )
    return {str(k): v for k, v in table.items()}


def parse_catalog_table(table: Any, where: str) -> dict[int, int]:
    """``{"1822": 1, "2769": "rx"}`` → exam ID → rx_type (1 = GFE, 2 = Rx)."""
    if not isinstance(table, dict):
        raise UsageError(f"{where} must map exam IDs to 1 (GFE) or 2 (Rx).")
    words = {"1": 1, "gfe": 1, "2": 2, "rx": 2}
    catalog: dict[int, int] = {}
    for key, value in table.items():
        rx = words.get(str(value).strip().lower())
        if not str(key).strip().isdigit() or rx is None:
            raise UsageError(
                f"{where}: {key} = {value!r} should be an exam ID = 1 (GFE) or 2 (Rx)."
            )
        catalog[int(key)] = rx
    return catalog


def load_mapping(path: Path) -> dict[str, str]:
    """A column mapping file: ``"Header" = "field"`` pairs, at top level or under [columns]."""
    data = _read_toml(path, "mapping file")
    table = data.get("columns", data)
    return _string_table(table, f"{path}")


def parse_map_options(items: tuple[str, ...]) -> dict[str, str]:
    """``--map "Cell #=phone_number"`` options → header → field."""
    mapping: dict[str, str] = {}
    for item in items:
        header, sep, target = item.rpartition("=")
        if not sep or not header.strip() or not target.strip():
            raise UsageError(
                f'--map takes "Column=field", e.g. --map "Cell #=phone_number", not {item!r}.'
            )
        mapping[header.strip()] = target.strip()
    return mapping


def merged(
    flags: Mapping[str, Any],
    config: FileConfig,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Option values by precedence: given flags, then environment, then file, then defaults."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = dict(config.values)
    if env.get(BASE_URL_ENV):
        values["base_url"] = env[BASE_URL_ENV]
    values.update(flags)
    return values


def build_settings(
    flags: Mapping[str, Any],
    config: FileConfig,
    *,
    needs_key: bool,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """One immutable ``Settings`` from flags, environment and a config file."""
    env = os.environ if environ is None else environ
    v = merged(flags, config, env)
    columns = {**config.columns, **v.get("column_map", {})}
    key: Secret | None = None
    if needs_key:
        key_file = flags.get("api_key_file")
        if key_file is None and not env.get(ENV_VAR, "").strip():
            key_file = config.values.get("api_key_file")
        key = load_api_key(key_file, env)
    retry_defaults = RetryPolicy()
    timeout_defaults = Timeouts()
    return Settings(
        output=v.get("output"),
        sheet=v.get("sheet"),
        exams=tuple(v.get("exams") or ()),
        encoding=v.get("encoding"),
        date_order=v.get("date_order", "mdy"),
        column_map=columns,
        carry=tuple(v.get("carry") or ()),
        required_headers=tuple(v.get("required_headers") or ()),
        defaults=config.defaults,
        catalog=config.catalog or None,
        base_url=v.get("base_url", Settings().base_url),
        api_key=key,
        rate=float(v.get("rate", 5.0)),
        concurrency=v.get("concurrency"),
        timeouts=Timeouts(
            connect=float(v.get("connect_timeout", timeout_defaults.connect)),
            read=float(v.get("read_timeout", timeout_defaults.read)),
        ),
        retry=RetryPolicy(
            max_attempts=max(1, int(v.get("max_attempts", retry_defaults.max_attempts))),
            max_retry_after=float(v.get("max_retry_after", retry_defaults.max_retry_after)),
            breaker_threshold=int(v.get("breaker_threshold", retry_defaults.breaker_threshold)),
        ),
        # A sandbox run never takes the configured (real) journal, only one named on its flags.
        journal=flags.get("journal") if v.get("sandbox") else v.get("journal"),
        dedup_window_days=float(v.get("dedup_window", 30.0)),
        force=bool(v.get("force", False)),
        resend_unknown=bool(v.get("resend_unknown", False)),
        retry_ambiguous=bool(v.get("retry_ambiguous", False)),
        dry_run=bool(v.get("dry_run", False)),
        sandbox=bool(v.get("sandbox", False)),
        lock_wait=float(v.get("lock_wait", 0.0)),
    )
