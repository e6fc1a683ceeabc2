"""Command line: ``python -m data_access COMMAND``. Every command migrates to head first."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m data_access", description="网格警务 data tools")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate", help="upgrade the database schema to head")
    sp = sub.add_parser("import", help="import an interchange folder (all-or-nothing)")
    sp.add_argument("dir")
    sp = sub.add_parser("export", help="export the database as an interchange folder")
    sp.add_argument("dir")
    sp.add_argument("--with-id-numbers", action="store_true",
                    help="include resident ID numbers (admin only; audited)")
    sp.add_argument("--user", default="cli", help="username recorded in the audit log")
    sp = sub.add_parser("demo", help="generate the demo city")
    sp.add_argument("--scale", choices=["S", "M", "L"], default="M")
    sp.add_argument("--seed", type=int, default=7)
    sp.add_argument("--as-of", dest="as_of", default=None, help="YYYY-MM-DD (default today)")
    sp.add_argument("--if-empty", action="store_true", help="do nothing when data already exists")
    sub.add_parser("rebuild-rollups", help="recompute rollups from raw records")
    sub.add_parser("verify-audit", help="check the audit log hash chain")
    sp = sub.add_parser("backup", help="write a consistent copy of the database into DIR (pg_dump / SQLite backup)")
    sp.add_argument("dir")
    sp = sub.add_parser("restore", help="replace the database's contents with the backup in DIR")
    sp.add_argument("dir")
    sp.add_argument("--force", action="store_true", help="restore even if the backup was taken under another key")
    args = p.parse_args(argv)

    from data_access.core.db import migrate

    migrate()
    if args.cmd == "migrate":
        return 0
    if args.cmd == "import":
        from data_access.interchange.files import cli_import

        return cli_import(args.dir)
    if args.cmd == "export":
        from data_access.interchange.files import cli_export

        return cli_export(args.dir, with_id_numbers=args.with_id_numbers, user=args.user)
    if args.cmd == "demo":
        from data_access.demo.city import cli_demo

        return cli_demo(scale=args.scale, seed=args.seed, as_of=args.as_of, if_empty=args.if_empty)
    if args.cmd == "backup":
        from data_access.core.backup import cli_backup

        return cli_backup(args.dir)
    if args.cmd == "restore":
        from data_access.core.backup import cli_restore

        return cli_restore(args.dir, force=args.force)
    if args.cmd == "rebuild-rollups":
        from data_access.analytics import rollups
        from data_access.core.db import session_scope

        with session_scope() as s:
            rollups.rebuild(s)
        print("rollups rebuilt")
        return 0
    if args.cmd == "verify-audit":
        from data_access.core import audit
        from data_access.core.db import session_scope

        with session_scope() as s:
            r = audit.verify(s)
        if r.ok:
            print(f"audit chain OK ({r.rows} rows)")
            return 0
        print(f"audit chain BROKEN at row id {r.bad_id}: {r.reason}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
