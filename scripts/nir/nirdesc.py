"""What `nir.read` makes of a NIR file, as plain JSON-ready values; shared by describe.py, same_graph.py and
check_weights.py (run them with the interpreter scripts/nir/python-env.sh prints).

A parameter is described by its kind:
- "array": a NumPy array or scalar (what h5py returns for a numeric dataset): dtype, shape, and either the values
  (nested lists; NaN and infinities as the strings "nan", "inf", "-inf") or, above `max_values` elements, a
  summary: sum and sum of squares (math.fsum over the float64 values, so independent of order), min, max, and the
  SHA-256 of the raw bytes (C order, little-endian, in the array's own dtype);
- "string": a str (e.g. Conv padding "same");
- "none": None (e.g. a Conv's missing input_shape);
- "python": a Python int, float, bool, tuple or list (nir's in-memory normal form for some fields), with the
  value as NumPy sees it.
"""
import dataclasses
import hashlib
import math

import nir
import numpy as np

MAX_VALUES = 64


def read(path, type_check=True):
    return nir.read(path, type_check=type_check)


def version(path):
    import h5py

    with h5py.File(path, "r") as f:
        if "version" not in f:
            return None
        value = f["version"][()]
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def json_number(x):
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
    return x


def json_values(values):
    if isinstance(values, list):
        return [json_values(v) for v in values]
    if isinstance(values, bytes):
        return values.decode("utf8", errors="replace")
    return json_number(values)


def raw_bytes(array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array)
    if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and np.little_endian is False):
        array = array.astype(array.dtype.newbyteorder("<"))
    return array.tobytes()


def describe_array(array: np.ndarray, max_values=MAX_VALUES):
    out = {"kind": "array", "dtype": str(array.dtype), "shape": list(array.shape)}
    if array.dtype.kind in "fiub" and array.size > max_values:
        flat = array.astype(np.float64).ravel()
        out["summary"] = {
            "size": int(array.size),
            "sum": json_number(math.fsum(flat)),
            "sum_of_squares": json_number(math.fsum(flat * flat)),
            "min": json_number(float(flat.min())) if flat.size else None,
            "max": json_number(float(flat.max())) if flat.size else None,
            "sha256": hashlib.sha256(raw_bytes(array)).hexdigest(),
        }
    else:
        out["values"] = json_values(array.tolist())
    return out


def kind_of(value):
    if value is None:
        return "none"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (np.ndarray, np.generic)):
        return "array"
    if isinstance(value, (bool, int, float, tuple, list)):
        return "python"
    return "other"


def describe_value(value, max_values=MAX_VALUES):
    if value is None:
        return {"kind": "none"}
    if isinstance(value, str):
        return {"kind": "string", "value": value}
    if isinstance(value, (np.ndarray, np.generic)):
        return describe_array(np.asarray(value), max_values)
    if isinstance(value, (bool, int, float, tuple, list)):
        out = describe_array(np.asarray(value), max_values)
        out["kind"] = "python"
        out["python_type"] = type(value).__name__
        return out
    return {"kind": "other", "python_type": type(value).__name__, "repr": repr(value)}


def describe_type(types):
    """A node's input_type / output_type: {port: shape or null}."""
    if types is None:
        return None
    return {k: (None if v is None else [int(x) for x in np.asarray(v).reshape(-1)]) for k, v in types.items()}


def parameters(node):
    """The fields nir.write would store for the node (its to_dict), without type, nodes, edges and metadata."""
    if isinstance(node, nir.NIRGraph):
        return {}
    fields = node.to_dict()
    for key in ("type", "metadata"):
        fields.pop(key, None)
    return fields


def file_fields(path):
    """{node path: set of dataset names in its HDF5 group}, nested graphs' nodes as 'outer/inner'."""
    import h5py

    found = {}

    def visit(group, prefix):
        for name, item in group["nodes"].items():
            found[prefix + name] = set(item.keys())
            if "nodes" in item:
                visit(item, prefix + name + "/")

    with h5py.File(path, "r") as f:
        visit(f["node"], "")
    return found


def describe_node(name, node, max_values=MAX_VALUES, in_file=None, path=None):
    """in_file: file_fields(); marks nodes nir.read added and fields it filled in."""
    path = name if path is None else path
    out = {"name": name, "type": type(node).__name__}
    stored = None if in_file is None else in_file.get(path)
    if in_file is not None and stored is None:
        out["added_by_nir_read"] = True
    if isinstance(node, nir.NIRGraph):
        out.update(describe_graph(node, max_values, in_file, path + "/"))
    else:
        out["parameters"] = {}
        for key, value in sorted(parameters(node).items()):
            out["parameters"][key] = describe_value(value, max_values)
            if stored is not None and key not in stored:
                out["parameters"][key]["filled_by_nir_read"] = True
        out["input_type"] = describe_type(node.input_type)
        out["output_type"] = describe_type(node.output_type)
    if node.metadata:
        out["metadata"] = {k: describe_value(v, max_values) for k, v in sorted(node.metadata.items())}
    return out


def describe_graph(graph, max_values=MAX_VALUES, in_file=None, prefix=""):
    return {
        "nodes": [describe_node(k, graph.nodes[k], max_values, in_file, prefix + k) for k in sorted(graph.nodes)],
        "edges": sorted([list(e) for e in graph.edges]),
        "input_type": describe_type(graph.input_type),
        "output_type": describe_type(graph.output_type),
    }


def walk(graph, prefix=""):
    """(path, node) for every node, nested graphs' nodes as 'outer/inner', in name order."""
    for name in sorted(graph.nodes):
        node = graph.nodes[name]
        path = prefix + name
        yield path, node
        if isinstance(node, nir.NIRGraph):
            yield from walk(node, path + "/")


def find(graph, path):
    node = graph
    for part in path.split("/"):
        if not isinstance(node, nir.NIRGraph) or part not in node.nodes:
            return None
        node = node.nodes[part]
    return node


def field_names(cls):
    return [f.name for f in dataclasses.fields(cls)]


def dumps(value, indent=0, width=116):
    """JSON with objects one key a line and arrays on one line when they fit (else one element a line)."""
    import json

    inline = json.dumps(value, ensure_ascii=False, allow_nan=False)
    pad, inner = " " * indent, " " * (indent + 1)
    fits = len(inline) + indent <= width
    if isinstance(value, dict):
        if not value or (fits and not any(isinstance(v, (dict, list)) and v and isinstance(v, dict) for v in
                                          value.values())):
            return inline
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {dumps(v, indent + 1, width)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and not fits and not any(isinstance(v, (dict, list)) for v in value):
        lines, line = [], inner
        for i, v in enumerate(value):
            item = json.dumps(v, ensure_ascii=False, allow_nan=False) + ("," if i < len(value) - 1 else "")
            if line.strip() and len(line) + 1 + len(item) > width:
                lines.append(line.rstrip())
                line = inner
            line += item + " "
        lines.append(line.rstrip())
        return "[\n" + "\n".join(lines) + "\n" + pad + "]"
    if isinstance(value, list) and value and (not fits or any(isinstance(v, dict) for v in value)):
        items = [inner + dumps(v, indent + 1, width) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return inline
