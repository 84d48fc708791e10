"""``drugscenes serve``: the agencies' web app (:mod:`drugscenes.web`).

Django and the web app are imported inside the command, so that importing the CLI
stays light.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import typer

from drugscenes.cli.app import app, err, safe


@app.command("serve")
def serve(
    workspace: str | None = typer.Argument(
        None,
        metavar="WORKSPACE_OR_URL",
        help="A postgresql:// URL, or a .gpkg file (copied into a local PostGIS server).",
    ),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    instance: Path = typer.Option(
        Path(".drugscenes-web"),
        help="Folder for the secret key and a local PostGIS server (not in git).",
    ),
    demo: bool = typer.Option(
        False, "--demo", help="Serve the demo county with one demo account per role."
    ),
    threads: int = typer.Option(8, min=1, max=64, help="Worker threads."),
) -> None:
    """Start the web app (waitress) on a workspace; --demo for the demo county."""
    from drugscenes.web import server

    if port < 1 or port > 65535:
        raise typer.BadParameter("--port must be 1-65535")
    loopback = server.is_loopback(host)
    _url, users = server.prepare(
        workspace,
        instance=instance,
        demo=demo,
        loopback=loopback,
        say=lambda m: err.print(safe(m), soft_wrap=True),
    )
    if not loopback:
        err.print(
            "[yellow]warning:[/] listening beyond this machine: put a TLS proxy in front "
            "(session cookies are Secure) and set DRUGSCENES_WEB_ALLOWED_HOSTS"
        )
    if users:
        err.print("Demo accounts (new passwords at every start, shown only here):")
        for u in users:
            err.print(
                f"  {safe(u.username):<24} {safe(u.password):<18} {u.role:<15} "
                f"{safe(u.organisation)}",
                soft_wrap=True,
            )
    err.print(f"drugscenes web app on http://{safe(host)}:{port}/  (Ctrl-C stops it)")
    # A local PostGIS server this command started (--demo, or a .gpkg) stops with the app,
    # on Ctrl-C and on SIGTERM alike; its data stay in the instance folder for next time.
    local = demo or not server.is_url(workspace or "")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve(host, port, threads)
    except KeyboardInterrupt:
        pass
    finally:
        if local and server.stop_local_server(instance):
            err.print("stopped the local PostGIS server (its data stay for the next start)")
