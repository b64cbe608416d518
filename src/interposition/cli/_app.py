"""The command line: click commands over the subcommand modules, rich output.

Only this module imports click and rich (the ``cli`` extra). Every error a
user can cause ends as one line on stderr, ``interposition: error: ...``,
and exit status 2; ``audit`` exits 1 when it finds credentials.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from interposition._version import __version__
from interposition.cli._common import CliError, load_cassette
from interposition.errors import InterpositionError
from interposition.http._options import CassetteOptions

__all__ = ["cli", "run_command"]

F = TypeVar("F", bound=Callable[..., Any])

_RECORD_MODES = click.Choice(["none", "once", "new_episodes", "all"])


def _console(*, stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    # A pipe or a file gets no colours and a width that keeps URLs whole.
    return Console(
        file=stream,
        width=None if stream.isatty() else 200,
        no_color=not stream.isatty(),
        highlight=False,
    )


def _split(values: tuple[str, ...]) -> list[str]:
    return [
        part.strip() for value in values for part in value.split(",") if part.strip()
    ]


def cassette_options(function: F) -> F:
    """The ``use_cassette`` options, as ``serve`` and ``run`` take them."""
    decorators = [
        click.option(
            "--match-on",
            multiple=True,
            metavar="FIELDS",
            help="Fields to match on, comma-separated (default: method,url): "
            "method, url, uri, scheme, host, port, path, query, headers, "
            "raw_body, body, json_body, header:NAME.",
        ),
        click.option(
            "--no-redact",
            is_flag=True,
            help="Record credentials as they are (default: redacted).",
        ),
        click.option(
            "--filter-header",
            multiple=True,
            metavar="NAME",
            help="Another header to redact (repeatable).",
        ),
        click.option(
            "--filter-query-parameter",
            multiple=True,
            metavar="NAME",
            help="Another query parameter to redact (repeatable).",
        ),
        click.option(
            "--filter-post-data-parameter",
            multiple=True,
            metavar="NAME",
            help="Another body field to redact (repeatable).",
        ),
        click.option(
            "--ignore-host",
            multiple=True,
            metavar="HOST",
            help="A host whose requests go to the network untouched (repeatable).",
        ),
        click.option(
            "--ignore-localhost",
            is_flag=True,
            help="Let requests to localhost through untouched.",
        ),
        click.option(
            "--decode-compressed-response",
            is_flag=True,
            help="Store gzip/deflate bodies decoded.",
        ),
        click.option(
            "--cassette-format",
            type=click.Choice(["interposition", "vcrpy"]),
            default="interposition",
            show_default=True,
            help="The format of a new cassette.",
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def _options_from(record_mode: str, extra: dict[str, Any]) -> dict[str, Any]:
    """The ``use_cassette`` keyword arguments the command-line options mean."""
    options: dict[str, Any] = {"record_mode": record_mode}
    match_on = _split(extra.pop("match_on", ()))
    if match_on:
        options["match_on"] = match_on
    if extra.pop("allow_playback_repeats", False):
        options["allow_playback_repeats"] = True
    if extra.pop("no_redact", False):
        options["redact"] = False
    for name in (
        "filter_header",
        "filter_query_parameter",
        "filter_post_data_parameter",
        "ignore_host",
    ):
        values = list(extra.pop(name, ()))
        if values:
            key = {
                "filter_header": "filter_headers",
                "filter_query_parameter": "filter_query_parameters",
                "filter_post_data_parameter": "filter_post_data_parameters",
                "ignore_host": "ignore_hosts",
            }[name]
            options[key] = values
    if extra.pop("ignore_localhost", False):
        options["ignore_localhost"] = True
    if extra.pop("decode_compressed_response", False):
        options["decode_compressed_response"] = True
    cassette_format = extra.pop("cassette_format", "interposition")
    if cassette_format != "interposition":
        options["cassette_format"] = cassette_format
    adapters = _split(extra.pop("adapter", ()))
    if adapters:
        options["adapters"] = adapters
    return options


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="interposition")
def cli() -> None:
    r"""Look at, convert, audit, serve and record cassettes.

    \b
    Examples:
      interposition inspect tests/cassettes/users.yaml
      interposition convert old.yaml new.yaml          # vcrpy -> ours
      interposition audit tests/cassettes
      interposition serve tests/cassettes/users.yaml --port 8080
      interposition run --cassette c.yaml -- python app.py
    """


@cli.command()
@click.argument("cassette", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--method", help="Only this method.")
@click.option("--host", help="Only requests to this host.")
@click.option("--grep", metavar="REGEX", help="Only where URL or a body matches.")
def inspect(
    *,
    cassette: Path,
    as_json: bool,
    method: str | None,
    host: str | None,
    grep: str | None,
) -> None:
    r"""List the interactions of a cassette, in any format we read.

    One row per interaction: index, method, URL, status, response size and
    chunk count (protocol, action and target for non-HTTP ones).

    \b
    Example:
      interposition inspect tests/cassettes/users.yaml --method GET --grep users
    """
    import re

    from interposition.cli._inspect import rows

    loaded = load_cassette(cassette)
    try:
        found = rows(loaded, method=method, host=host, grep=grep)
    except re.error as error:
        msg = f"--grep {grep!r} is not a regular expression: {error}"
        raise CliError(msg) from None
    if as_json:
        document = {
            "cassette": str(cassette),
            "total": len(loaded.interactions),
            "interactions": [row.as_json() for row in found],
        }
        click.echo(json.dumps(document, indent=2))
        return
    from rich.table import Table

    table = Table()
    for name, justify in (
        ("#", "right"),
        ("method", "left"),
        ("URL", "left"),
        ("status", "right"),
        ("size", "right"),
        ("chunks", "right"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in found:
        url = row.url if row.protocol == "http" else f"{row.protocol}: {row.url}"
        table.add_row(
            str(row.index),
            row.method,
            url,
            "" if row.status is None else str(row.status),
            str(row.size),
            str(row.chunks),
        )
    console = _console()
    console.print(
        f"{cassette}: {len(found)} of {len(loaded.interactions)} interactions"
    )
    console.print(table)


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    metavar="FORMAT",
    help="json, yaml, jsonl, directory, vcrpy (vcrpy's YAML) or vcrpy-json "
    "(default: from TARGET's extension).",
)
@click.option("--no-redact", is_flag=True, help="Keep credentials as they are.")
@click.option("--force", is_flag=True, help="Replace targets that exist.")
def convert(
    source: Path, target: Path, fmt: str | None, no_redact: bool, force: bool
) -> None:
    r"""Convert a cassette, or a tree of them, into another format.

    Reads every format we read (ours: JSON, YAML, JSON Lines, directory;
    vcrpy's YAML and JSON); writes the format TARGET's extension names, or
    --format. Credentials are redacted on the way unless --no-redact. A
    SOURCE directory of cassettes is converted into TARGET, keeping its
    layout.

    \b
    Examples:
      interposition convert tests/cassettes/old.yaml tests/cassettes/new.json
      interposition convert users.json users.yaml --format vcrpy
      interposition convert vcr_cassettes/ cassettes/
    """
    from interposition.cli._convert import convert_file, convert_tree, is_tree

    if not source.exists():
        msg = f"no cassette at {source}: check the path"
        raise CliError(msg)
    redact = not no_redact
    if not is_tree(source):
        for line in convert_file(
            source, target, fmt=fmt, redact_credentials=redact, force=force
        ):
            click.echo(line, err=True)
        click.echo(f"converted {source} -> {target}", err=True)
        return
    from rich.progress import Progress

    from interposition.cli._convert import tree_targets

    total = len(tree_targets(source, target, fmt))
    err = _console(stderr=True)
    with Progress(console=err, transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("converting", total=total)
        result = convert_tree(
            source,
            target,
            fmt=fmt,
            redact_credentials=redact,
            force=force,
            progress=lambda _: bar.advance(task),
        )
    for line in result.warnings:
        click.echo(line, err=True)
    for path, reason in result.skipped:
        click.echo(f"skipped {path}: {reason}", err=True)
    for path, reason in result.failed:
        click.echo(f"failed {path}: {reason}", err=True)
    click.echo(
        f"converted {len(result.converted)}, skipped {len(result.skipped)}, "
        f"failed {len(result.failed)}",
        err=True,
    )
    if result.failed:
        raise click.exceptions.Exit(2)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def audit(paths: tuple[Path, ...], as_json: bool) -> None:
    r"""Scan cassettes (files or trees) for credentials left in them.

    Reports credential headers, cookies, API keys, token-like query and body
    fields, private keys, AWS keys, JWTs and high-entropy values in
    secret-like fields, as FILE: interaction N: WHERE: WHAT (value masked).
    Exits 1 when anything is found, 0 otherwise: usable as a pre-commit hook.

    \b
    Example:
      interposition audit tests/cassettes
    """
    from interposition.cli._audit import audit_paths

    report = audit_paths(paths)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
    else:
        for finding in report.findings:
            click.echo(str(finding))
        for path, reason in report.unreadable:
            click.echo(
                f"{path}: not read as a cassette, scanned as text ({reason})", err=True
            )
        if report.findings:
            click.echo(
                f"{len(report.findings)} credentials found in {report.scanned} "
                "cassettes: redact them (interposition convert rewrites a "
                "cassette redacted)",
                err=True,
            )
        else:
            click.echo(f"no credentials found in {report.scanned} cassettes", err=True)
    if report.findings:
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument("cassette", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port", default=0, show_default=True, help="Port to bind (0: a free one)."
)
@click.option(
    "--record-mode",
    type=_RECORD_MODES,
    help="none without --upstream (the default); with it, new_episodes by default.",
)
@click.option("--upstream", metavar="URL", help="Forward misses there and record them.")
@click.option("--max-body", default=10 * 1024 * 1024, show_default=True, help="Bytes.")
@click.option("--max-headers", default=100, show_default=True, help="Header lines.")
@click.option(
    "--max-header-bytes", default=64 * 1024, show_default=True, help="Head bytes."
)
@click.option(
    "--idle-timeout", default=30.0, show_default=True, help="Seconds, per connection."
)
@click.option(
    "--no-playback-repeats",
    is_flag=True,
    help="Once every recording of a request was played, answer a miss "
    "(default: replay the last one again).",
)
@cassette_options
def serve(
    *,
    cassette: Path,
    host: str,
    port: int,
    record_mode: str | None,
    upstream: str | None,
    max_body: int,
    max_headers: int,
    max_header_bytes: int,
    idle_timeout: float,
    no_playback_repeats: bool,
    **extra: Any,
) -> None:
    r"""Serve a cassette over HTTP/1.1, for clients in any language.

    Prints "Serving CASSETTE on http://HOST:PORT" once it accepts
    connections. Requests match as in use_cassette; recorded URLs are mapped
    onto this server (a cassette of https://api.example.com serves /v1/...),
    and with several hosts the Host header picks one. Identical requests
    replay their recordings in order, then the last one again. A miss answers 404
    with X-Interposition-Miss: 1 and a body naming the closest recording.
    Ctrl-C or SIGTERM stops it.

    \b
    Examples:
      interposition serve tests/cassettes/users.yaml --port 8080
      curl http://127.0.0.1:8080/users/1
      interposition serve new.yaml --upstream https://api.example.com
    """
    from interposition.cli._serve import Limits
    from interposition.cli._serve import serve as run_server

    if record_mode is None:
        record_mode = "new_episodes" if upstream else "none"
    elif record_mode != "none" and upstream is None:
        msg = f"--record-mode {record_mode} records: it needs --upstream URL"
        raise CliError(msg)
    arguments = _options_from(record_mode, extra)
    arguments["allow_playback_repeats"] = not no_playback_repeats
    options = CassetteOptions.from_kwargs(**arguments)
    limits = Limits(
        max_body=max_body,
        max_headers=max_headers,
        max_header_bytes=max_header_bytes,
        idle_timeout=idle_timeout,
    )
    run_server(
        cassette,
        options,
        host=host,
        port=port,
        upstream=upstream,
        limits=limits,
        out=lambda line: click.echo(line) or sys.stdout.flush(),  # type: ignore[func-returns-value]
    )


@cli.command(context_settings={"ignore_unknown_options": False})
@click.option(
    "--cassette",
    default="cassette.yaml",
    show_default=True,
    type=click.Path(path_type=Path),
    help="The cassette (its extension chooses the format).",
)
@click.option("--record-mode", type=_RECORD_MODES, default="once", show_default=True)
@click.option(
    "--adapter",
    multiple=True,
    metavar="NAME",
    help="Only these adapters, comma-separated (default: every installed one).",
)
@click.option(
    "--allow-playback-repeats",
    is_flag=True,
    help="Replay the last recording again once all were played.",
)
@cassette_options
@click.argument("command", nargs=-1, required=True)
def run(
    cassette: Path, record_mode: str, command: tuple[str, ...], **extra: Any
) -> None:
    r"""Run a Python program with a cassette active for all its HTTP traffic.

    The cassette is active from the program's first line (Python starts it
    from a sitecustomize module put on PYTHONPATH), for every client we
    intercept, without changing the program. Exits with the program's exit
    status. Put -- before the command.

    \b
    Example:
      interposition run --cassette c.yaml -- python app.py   # records
      interposition run --cassette c.yaml -- python app.py   # replays offline
    """
    from interposition.cli._run import run_program

    status = run_program(command, cassette, _options_from(record_mode, extra))
    raise click.exceptions.Exit(status)


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def run_command(argv: list[str]) -> int:
    """Run the command line ``argv``; return the exit status (never raise)."""
    error = functools.partial(click.echo, err=True)
    if not argv:
        argv = ["--help"]
    try:
        result = cli.main(args=argv, prog_name="interposition", standalone_mode=False)
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except click.UsageError as usage:
        where = usage.ctx.command_path if usage.ctx is not None else "interposition"
        error(
            f"interposition: error: {_one_line(usage.format_message())} "
            f"(see '{where} --help')"
        )
        return 2
    except click.ClickException as failure:
        error(f"interposition: error: {_one_line(failure.format_message())}")
        return 2
    except (click.Abort, KeyboardInterrupt):
        error("interposition: interrupted")
        return 130
    except (InterpositionError, OSError) as failure:
        error(f"interposition: error: {_one_line(str(failure))}")
        return 2
    return result if isinstance(result, int) else 0
