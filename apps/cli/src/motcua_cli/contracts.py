"""`motcua contracts`: the topic's published contract, printed or written. `asyncapi` is the
AsyncAPI 3.0 document (every event type, its key and headers, who sends and receives it);
`schemas` the JSON Schema of each event type and of the whole topic."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(commands) -> None:
    parser = commands.add_parser("contracts", help="print or write the topic's AsyncAPI "
                                                   "document and JSON Schemas")
    parser.add_argument("what", choices=("asyncapi", "schemas"))
    parser.add_argument("--write", type=Path, default=None, metavar="DIR",
                        help="write into DIR (asyncapi.json, or one <Type>.json per event "
                             "type) instead of printing")


def run(args: argparse.Namespace) -> int:
    from motcua_contracts import asyncapi, schemas

    if args.what == "asyncapi":
        files = {"asyncapi.json": asyncapi.render(asyncapi.document())}
    else:
        files = {name: schemas.render(schema) for name, schema in schemas.schemas().items()}
    if args.write is None:
        if args.what == "asyncapi":
            sys.stdout.write(files["asyncapi.json"])
        else:  # one JSON document: file name -> schema
            print(json.dumps({name: json.loads(text) for name, text in files.items()},
                             indent=2, ensure_ascii=False))
        return 0
    args.write.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.write / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} file(s) to {args.write}")
    return 0
