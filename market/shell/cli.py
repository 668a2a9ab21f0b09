"""The ``sluice`` command: database migrations, the server, the demo and account set-up."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.console import Console

from accounts import service as accounts
from accounts.models import OrgKind, Role
from accounts.repository import AccountRepository
from anonymize.accuracy import CHECKSUM_KINDS, evaluate
from audit import cli as audit_cli
from ground.config import SettingsError, check_process_environment, get_settings
from ground.db import unit_of_work
from ground.ops.logs import configure_logging
from market.shell import demo as demo_module
from market.shell import migrations, secrets_cli
from market.shell.beat import EmbeddedBeat
from market.shell.wiring import wire

app = typer.Typer(help="Sluice, a data exchange.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(secrets_cli.app, name="secrets")
console = Console()


@app.callback()
def _load() -> None:
    try:
        check_process_environment()
        settings = get_settings()
    except (SettingsError, ValidationError) as refusal:
        console.print(f"[red]{refusal}[/red]")
        raise typer.Exit(code=2) from None
    configure_logging(settings)
    wire()


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Migrate the configured database up to REVISION (default: the latest)."""
    migrations.upgrade(revision=revision)
    console.print(f"[green]Database at {revision}[/green]: {_safe_url()}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument("-1", help="Target revision")) -> None:
    """Migrate the configured database down to REVISION (default: one step)."""
    migrations.downgrade(revision=revision)
    console.print(f"[yellow]Database downgraded to {revision}[/yellow]")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind"),
    port: int = typer.Option(8000, help="Port to listen on"),
) -> None:
    """Serve the API (run `sluice db upgrade` first). Without a broker (tasks in-process), the
    beat schedule runs in this process too, so quotas reset and entitlements expire."""
    import uvicorn

    beat = EmbeddedBeat() if get_settings().tasks_in_process else None
    if beat is not None:
        beat.start()
    try:
        # Logging is ours (ground.ops.logs): uvicorn's own configuration and its access log,
        # which prints query strings, are replaced by the app's request lines.
        uvicorn.run(
            "market.shell.app:create_app",
            factory=True,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
        )
    finally:
        if beat is not None:
            beat.stop()


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Interface to bind"),
    port: int = typer.Option(8000, help="Port to listen on"),
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Start the server"),
) -> None:
    """Migrate, seed demo organizations, users and datasets, list one, and serve."""
    settings = get_settings()
    migrations.upgrade()
    summary = demo_module.seed(settings, console=console)
    demo_module.print_welcome(summary, host=host, port=port, console=console)
    if serve_after:
        serve(host=host, port=port)


@app.command("create-user")
def create_user(
    email: str = typer.Option(..., help="Sign-in e-mail"),
    role: str = typer.Option(..., help="provider, buyer, compliance or admin"),
    organization: str = typer.Option(..., help="Organization name (created if missing)"),
    kind: str = typer.Option("enterprise", help="government, enterprise or platform"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create a user (and its organization) — how the first administrator is made."""
    with unit_of_work() as session:
        org = AccountRepository(session).organization_by_name(organization)
        if org is None:
            org = accounts.create_organization(session, name=organization, kind=OrgKind(kind))
        user = accounts.create_user(
            session, email=email, password=password, role=Role(role), organization_id=org.id
        )
    console.print(f"[green]Created[/green] {user.email} ({role}) in {organization}")


def _safe_url() -> str:
    from sqlalchemy import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


anonymize_app = typer.Typer(help="The desensitization engine.", no_args_is_help=True)
app.add_typer(anonymize_app, name="anonymize")


@anonymize_app.command("accuracy")
def anonymize_accuracy(
    per_kind: int = typer.Option(2000, min=10, help="Positive values generated per kind"),
    seed: int = typer.Option(0, help="Seed of the generated corpus"),
) -> None:
    """Precision and recall of every detector on a generated corpus with near misses."""
    from rich.table import Table

    scores = evaluate(per_kind, seed=seed)
    table = Table(title=f"Detector accuracy ({per_kind:,} positives per kind, seed {seed})")
    for heading in ("kind", "checksum", "TP", "FP", "FN", "precision", "recall"):
        table.add_column(heading, justify="left" if heading == "kind" else "right")
    for score in scores:
        table.add_row(
            score.kind.value,
            "yes" if score.kind in CHECKSUM_KINDS else "",
            f"{score.true_positives:,}",
            f"{score.false_positives:,}",
            f"{score.false_negatives:,}",
            f"{score.precision:.4f}",
            f"{score.recall:.4f}",
        )
    console.print(table)


if __name__ == "__main__":
    app()
