"""Build step of the factgate Python package: compiles the gRPC stubs from the repository's proto/.

Nothing generated is committed. `build_py` runs grpcio-tools' protoc (a build requirement in
pyproject.toml) on factgate/v1/guard.proto and writes guard_pb2.py, guard_pb2.pyi and
guard_pb2_grpc.py into the built package (into src/ for an editable install). The .proto is read
from proto/ next to this file when present (an sdist carries a copy, see `sdist` below), else
from the repository's proto/ two levels up (installing from a checkout: pip install
./clients/python).
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
PROTO = Path("factgate") / "v1" / "guard.proto"
SEARCH = (HERE / "proto", HERE.parent.parent / "proto")


def proto_root() -> Path:
    for root in SEARCH:
        if (root / PROTO).is_file():
            return root
    raise SystemExit(
        f"factgate: {PROTO} not found under {' or '.join(str(r) for r in SEARCH)}; build the "
        "package from a factgate checkout (pip install ./clients/python) or from its sdist"
    )


def compile_stubs(out_dir: Path) -> None:
    import grpc_tools
    from grpc_tools import protoc

    root = proto_root()
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        "grpc_tools.protoc",
        f"-I{root}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        str(root / PROTO),
    ]
    if protoc.main(args) != 0:
        raise SystemExit(f"factgate: protoc failed on {root / PROTO}")
    for name in ("guard_pb2.py", "guard_pb2_grpc.py"):
        if not (out_dir / "factgate" / "v1" / name).is_file():
            raise SystemExit(f"factgate: protoc did not write factgate/v1/{name}")


class BuildPyWithStubs(build_py):
    def run(self):
        super().run()
        target = HERE / "src" if getattr(self, "editable_mode", False) else Path(self.build_lib)
        compile_stubs(target)

    def get_outputs(self, include_bytecode=True):
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            v1 = Path(self.build_lib) / "factgate" / "v1"
            outputs += [str(v1 / n) for n in ("guard_pb2.py", "guard_pb2.pyi", "guard_pb2_grpc.py")]
        return outputs


class SdistWithProto(sdist):
    """Puts a copy of the .proto in the sdist, so that it builds away from the repository."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        dst = Path(base_dir) / "proto" / PROTO
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(proto_root() / PROTO, dst)


setup(cmdclass={"build_py": BuildPyWithStubs, "sdist": SdistWithProto})
