#!/usr/bin/env python3
"""Prints, as JSON, what `nir.read` makes of a NIR file: its version string, every node (name, type, every
parameter with dtype, shape and values, or a summary with a SHA-256 for arrays above --max-values elements; the
input_type and output_type nir infers), nested graphs inside their node, and the edges sorted.

    py=$(scripts/nir/python-env.sh) && "$py" scripts/nir/describe.py FILE.nir [--max-values N] [--no-type-check]

Exit status 0; 1 when nir.read fails (then the JSON holds "error": {"type", "message"} instead of the graph).
Parameters are the fields nir would write back (`to_dict`): Input/Output `shape`, Flatten `input_type`, Conv
`input_shape`, `stride`, ...; `v_reset` and `w_in` as nir.read fills them in when a file lacks them. Nodes that
nir.read's type inference adds (an Input before a root that is not one, an Output after a leaf) are listed too,
marked "added_by_nir_read"; fields the file lacks and nir.read filled in are marked "filled_by_nir_read".
See nirdesc.py for the JSON of a parameter.
"""
import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import nirdesc  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=pathlib.Path)
    parser.add_argument("--max-values", type=int, default=nirdesc.MAX_VALUES,
                        help=f"print values of arrays up to this many elements, a summary above "
                             f"(default {nirdesc.MAX_VALUES})")
    parser.add_argument("--no-type-check", action="store_true", help="nir.read(..., type_check=False)")
    args = parser.parse_args()

    out = {"file": args.file.name}
    try:
        out["version"] = nirdesc.version(args.file)
        graph = nirdesc.read(args.file, type_check=not args.no_type_check)
        out["type"] = type(graph).__name__
        out.update(nirdesc.describe_graph(graph, args.max_values, nirdesc.file_fields(args.file)))
        if graph.metadata:
            out["metadata"] = {k: nirdesc.describe_value(v) for k, v in sorted(graph.metadata.items())}
        status = 0
    except Exception as error:  # noqa: BLE001 - reported, not raised
        message = str(error).splitlines()[0] if str(error) else ""
        out["error"] = {"type": type(error).__name__, "message": message.replace(str(args.file), args.file.name)}
        status = 1
    sys.stdout.write(nirdesc.dumps(out) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
