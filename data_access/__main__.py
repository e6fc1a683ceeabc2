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
    sp = sub.add_parser("verify-audit", help="check the audit log hash chain (and its head against an anchor)")
    sp.add_argument("--anchor", default=None, help="anchor file written by audit-anchor")
    sp = sub.add_parser("audit-anchor", help="print (or write) the audit chain's head, to keep outside the database")
    sp.add_argument("--out", default=None, help="write the anchor to this file instead of standard output")
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
        return _verify_audit(args.anchor)
    if args.cmd == "audit-anchor":
        from pathlib import Path

        from data_access.core import audit
        from data_access.core.db import session_scope

        with session_scope() as s:
            try:
                a = audit.anchor(s)
            except ValueError as e:
                print(str(e), file=sys.stderr)
                return 1
        if args.out:
            Path(args.out).write_text(a.to_json() + "\n", encoding="utf-8")
            print(f"audit anchor written to {args.out}: {a.rows} rows, head row id {a.last_id}")
        else:
            print(a.to_json())
        return 0
    return 2


def _verify_audit(anchor_path: str | None) -> int:
    from pathlib import Path

    from data_access.core import audit
    from data_access.core.db import session_scope

    anchor = None
    if anchor_path:
        try:
            anchor = audit.Anchor.from_json(Path(anchor_path).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError) as e:
            print(f"cannot read the audit anchor {anchor_path}: {e}", file=sys.stderr)
            return 2
    with session_scope() as s:
        r = audit.verify(s, anchor)
    if not r.ok:
        print(f"audit chain BROKEN at row id {r.bad_id}: {r.reason}", file=sys.stderr)
        return 1
    print(f"audit chain OK ({r.rows} rows)")
    if r.unkeyed:
        print(f"  {r.unkeyed} rows from before migration 0007 carry unkeyed sha256 hashes; the keyed rows "
              "after them vouch for them")
    if anchor is not None:
        print(f"  head matches the anchor of {anchor.at} (row id {anchor.last_id}, {anchor.rows} rows)")
    else:
        print("  (no --anchor given: rows deleted at the end of the log would not show; see README)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
