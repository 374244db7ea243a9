"""``datacustoms serve``: the customs office as a service (HTTP API, web UI, worker)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from datacustoms.cli.common import handle_errors
from datacustoms.errors import UsageError

if TYPE_CHECKING:
    from datacustoms.service.ops import ServiceConfig

DEFAULT_DATA_DIR = Path("~/.local/share/datacustoms/service")


def register(app: typer.Typer) -> None:
    @app.command("serve")
    @handle_errors
    def serve_cmd(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8000, "--port", help="Port to listen on."),
        data_dir: Path = typer.Option(DEFAULT_DATA_DIR, "--data-dir", help="Folder for held files, reports and the default SQLite database."),
        database: str | None = typer.Option(None, "--database", help="Service database: a SQLite path or a SQLAlchemy URL such as postgresql+psycopg://user@host/db (default: service.db in --data-dir)."),
        ledger: str | None = typer.Option(None, "--ledger", help="Ledger location (default: $DATACUSTOMS_LEDGER or the user's ledger; with --demo, ledger.db in --data-dir)."),
        demo: bool = typer.Option(False, "--demo", help="Seed a demo organisation (recipient, source, policy, one user per role) and print its tokens once."),
        no_worker: bool = typer.Option(False, "--no-worker", help="Serve the API only; another process runs the worker (with --database on PostgreSQL)."),
        worker_only: bool = typer.Option(False, "--worker-only", help="Run only the worker, no HTTP server (several may share one PostgreSQL database)."),
        hold_hours: float = typer.Option(72.0, "--hold-hours", help="Hours a protected file waits for review and release before it is destroyed."),
        link_minutes: float = typer.Option(60.0, "--link-minutes", help="Minutes a one-time release link stays valid."),
        attack_budget: float = typer.Option(30.0, "--attack-budget", help="Seconds the reversal attack may spend per transfer's proof."),
        no_attack: bool = typer.Option(False, "--no-attack", help="Skip the reversal attack in the proof."),
        source_root: Path | None = typer.Option(None, "--source-root", help="Only accept source files and policy paths under this folder."),
        queue: str = typer.Option("database", "--queue", help="How jobs reach the workers: 'database' (workers poll the service database) or a Redis URL such as redis://127.0.0.1:6379/0 (needs the queue extra)."),
        queue_prefix: str | None = typer.Option(None, "--queue-prefix", help="Prefix of the Redis queue's keys, so several services can share one Redis server; needs --queue redis://… (default: datacustoms)."),
        engine: str = typer.Option("embedded", "--engine", help="Engine that reads each job's source and runs its inspection and protection: embedded or spark (needs the spark extra)."),
        spark_master: str = typer.Option("local[*]", "--spark-master", help="Spark master URL for --engine spark."),
        keep_alive: int = typer.Option(65, "--keep-alive", help="Seconds an idle HTTP keep-alive connection stays open; keep it above your clients' and proxy's idle timeouts."),
    ) -> None:
        """Serve the API (/api/v1, OpenAPI at /api/v1/openapi.json) and the web UI (/ui/), with a worker."""
        from datacustoms.service import INSTALL_HINT

        try:
            from datacustoms.service import require_extra

            require_extra()
        except Exception:
            print(f"error: datacustoms serve needs FastAPI and uvicorn — install them with {INSTALL_HINT}", file=sys.stderr)
            raise typer.Exit(2) from None
        if not 0 < port < 65536:
            raise UsageError(f"--port must be between 1 and 65535, not {port}", "e.g. --port 8000")
        if no_worker and worker_only:
            raise UsageError("--no-worker and --worker-only exclude each other", "give one of them")
        for name, value in (("--hold-hours", hold_hours), ("--link-minutes", link_minutes), ("--attack-budget", attack_budget),
                            ("--keep-alive", keep_alive)):
            if value <= 0:
                raise UsageError(f"{name} must be positive", f"e.g. {name} 30")
        from datacustoms.ledger.store import resolve_url
        from datacustoms.service.db import database_url
        from datacustoms.service.ops import ServiceConfig
        from datacustoms.service.queue import check_queue_prefix

        data_dir = data_dir.expanduser().resolve()
        if ledger is None and demo:
            ledger = str(data_dir / "ledger.db")
        config = ServiceConfig(data_dir=data_dir, database_url=database_url(database, data_dir),
                               ledger_url=resolve_url(ledger), hold_hours=hold_hours, link_minutes=link_minutes,
                               attack_budget=attack_budget, attack=not no_attack,
                               source_root=source_root.expanduser().resolve() if source_root else None,
                               queue_url=(queue_url := check_queue(queue)),
                               queue_name=check_queue_prefix(queue_prefix, queue_url),
                               engine=check_service_engine(engine), spark_master=spark_master)
        _serve(config, host, port, demo, no_worker, worker_only, keep_alive)


def check_queue(queue: str) -> str | None:
    """``--queue``: None for the database, or a Redis URL whose client library is installed."""
    from importlib.util import find_spec

    from datacustoms.errors import MissingDependency
    from datacustoms.service.queue import check_queue_url

    url = check_queue_url(queue)
    if url is not None and find_spec("redis") is None:
        raise MissingDependency("datacustoms serve --queue redis://…", "queue", "redis")
    return url


def check_service_engine(engine: str) -> str:
    """``--engine``: a known engine whose packages are installed (Spark itself starts with the first job)."""
    from importlib.util import find_spec

    from datacustoms.engines import check_engine
    from datacustoms.errors import MissingDependency

    name = check_engine(engine)
    if name == "spark" and find_spec("pyspark") is None:
        raise MissingDependency("datacustoms serve --engine spark", "spark", "pyspark")
    return name


def _serve(config: ServiceConfig, host: str, port: int, demo: bool, no_worker: bool, worker_only: bool,
           keep_alive: int) -> None:
    from datacustoms.service.server import demo_key, open_service, run_server, seed_demo

    data_dir = config.data_dir
    svc = open_service(config)
    try:
        if demo:
            seeded = seed_demo(svc)
            _print_demo(seeded, host, port)
        elif (data_dir / "demo-key.hex").exists():
            demo_key(data_dir)
        if worker_only:
            _run_worker(svc)
            return
        typer.echo(f"datacustoms serve: http://{host}:{port}/ui/ — API http://{host}:{port}/api/v1/openapi.json")
        run_server(svc, host=host, port=port, worker=not no_worker, keep_alive=keep_alive)
    finally:
        svc.close()


def _print_demo(seeded: dict[str, object], host: str, port: int) -> None:
    users = seeded.get("users") or []
    if not users:
        typer.echo("demo organisation already seeded; its tokens were printed when it was created")
        return
    typer.echo("demo organisation — these tokens are shown once (stored only as SHA-256):")
    for u in users:  # type: ignore[attr-defined]
        typer.echo(f"  {u['role']:<9} {u['name']:<7} {u['token']}")
    typer.echo(f"demo policy: {seeded['policy']}; sign in at http://{host}:{port}/ui/login")


def _run_worker(svc: object) -> None:
    import signal
    import threading

    from datacustoms.service.jobs import Worker

    worker = Worker(svc)  # type: ignore[arg-type]
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    typer.echo("datacustoms serve: worker running (Ctrl-C to stop)")
    worker.start()
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
