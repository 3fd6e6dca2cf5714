"""The record kinds, and the kind -> name maps of topics and streams the jobs are given.

The program names its topics and streams once (components/names.ts) and passes the names themselves as JSON
(`--topics`, `--streams`, the jobs' `topics` and `streams` parameters): no job rebuilds a name from a prefix.
"""
from __future__ import annotations

import json

#: The three records of a post, in the order every table and report lists them.
KINDS = ("pin", "geo", "user")


def parse_names(text: str, what: str) -> dict[str, str]:
    """A JSON object naming each kind once ({"pin": ..., "geo": ..., "user": ...}), or ValueError saying why."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{what} must be JSON mapping pin, geo and user to names, got {text!r} ({err.msg})") from None
    if not isinstance(value, dict) or sorted(value) != sorted(KINDS):
        raise ValueError(f"{what} must map exactly pin, geo and user to names, got {text!r}")
    bad = [k for k in KINDS if not isinstance(value[k], str) or not value[k].strip()]
    if bad:
        raise ValueError(f"{what}.{bad[0]} must be a name, got {value[bad[0]]!r}")
    if len(set(value.values())) != len(KINDS):
        raise ValueError(f"{what} names one twice: {text!r}")
    return {k: value[k] for k in KINDS}
