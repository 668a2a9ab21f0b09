"""``sluice audit``: seal and verify the chain, and export it for regulators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from audit import service
from audit.export import ExportFormat, render
from audit.repository import AuditFilter
from ground.db import new_session, unit_of_work

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
console = Console()


@app.command("verify")
def verify() -> None:
    """Seal what is committed, recompute the hash chain and check the unsealed records; exit 1
    and name the first broken record if one is broken."""
    with unit_of_work() as session, console.status("Verifying the audit chain…"):
        report = service.verify(session)
    if report.ok:
        console.print(
            f"[green]OK[/green]: {report.records_checked:,} records, head {report.head_hash}, "
            f"{report.unsealed:,} unsealed"
        )
        return
    where = report.first_broken_seq or f"(unsealed) {report.first_broken_id}"
    console.print(f"[red]BROKEN[/red] at record {where}: {report.reason}")
    console.print(f"[red]链条断裂[/red]：{report.reason_zh}")
    raise typer.Exit(code=1)


@app.command("export")
def export(
    output: Annotated[Path, typer.Option(help="File to write")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl")] = (
        ExportFormat.jsonl
    ),
) -> None:
    """Seal what is committed, then write the whole log in chain order, hashes included."""
    with unit_of_work() as session:
        service.seal_all(session)
    with new_session() as session, output.open("w", encoding="utf-8") as out:
        for chunk in render(service.export(session, AuditFilter()), fmt):
            out.write(chunk)
    console.print(f"[green]Exported[/green] the audit log to {output}")
