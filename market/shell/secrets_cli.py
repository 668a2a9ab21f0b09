"""``sluice secrets``: the key that seals stored secrets — generate, inspect, rotate.

Rotation procedure (README, "Secrets at rest"): generate a key, make it SLUICE_SECRETS_KEY and
move the old one to SLUICE_SECRETS_RETIRED_KEYS on every node, restart them, run ``sluice
secrets rotate``, check ``sluice secrets status`` shows nothing under the retired key, then
drop it from SLUICE_SECRETS_RETIRED_KEYS.
"""

from __future__ import annotations

import typer
from rich.console import Console

from ground.config import get_settings
from ground.db import new_session, unit_of_work
from ground.secretbox import SecretsKeyError, generate_key, key_id
from listings import keys

app = typer.Typer(help="The key that seals secrets stored in the database.", no_args_is_help=True)
console = Console()


@app.command("generate-key")
def generate() -> None:
    """Print a new random key (32 bytes, URL-safe base64) for SLUICE_SECRETS_KEY."""
    typer.echo(generate_key())


@app.command("status")
def status() -> None:
    """How many dataset secrets are sealed under each key; exit 1 if any is under a key
    that is not configured, or not sealed at all."""
    keyring = get_settings().secrets_keyring
    retired = {key_id(key) for key in keyring.retired}
    with new_session() as session:
        usage = keys.key_usage(session)
    unusable = 0
    for kid, count in sorted(usage.items()):
        if kid == keyring.current_id:
            role = "[green]current[/green]"
        elif kid in retired:
            role = "[yellow]retired: run `sluice secrets rotate`[/yellow]"
        else:
            role = "[red]not configured: these datasets cannot be served[/red]"
            unusable += count
        console.print(f"{kid}  {count:>8,}  {role}")
    console.print(f"current key {keyring.current_id}; {sum(usage.values()):,} dataset secrets")
    if unusable:
        raise typer.Exit(code=1)


@app.command("rotate")
def rotate() -> None:
    """Re-seal every dataset's secret under SLUICE_SECRETS_KEY (the secrets, and so every
    pseudonym, stay the same). All or nothing: one secret that cannot be opened leaves every
    row as it was."""
    keyring = get_settings().secrets_keyring
    try:
        with unit_of_work() as session:
            report = keys.rotate(session, keyring)
    except SecretsKeyError as refusal:
        console.print(f"[red]Rotation stopped, nothing changed[/red]: {refusal.reason}")
        raise typer.Exit(code=1) from None
    console.print(
        f"[green]Rotated[/green]: {report.resealed:,} re-sealed under key "
        f"{report.current_key_id}, {report.already_current:,} already under it"
    )
