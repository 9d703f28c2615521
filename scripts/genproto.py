"""Generates the Python gRPC stubs and Envoy's descriptor set from proto/.

The descriptor set includes google/rpc/error_details.proto: without it Envoy
cannot turn rich gRPC errors into JSON (platform-notes §1.4).
"""
import argparse
import glob
import os
import shutil
import sys

import google.api
from grpc_tools import protoc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--descriptor", required=True)
    args = parser.parse_args()
    googleapis = os.path.dirname(os.path.dirname(google.api.__path__[0]))
    protos = sorted(glob.glob(os.path.join(ROOT, "proto/penumbra/v1/*.proto")))
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    os.makedirs(os.path.dirname(args.descriptor) or ".", exist_ok=True)
    includes = [f"-I{ROOT}/proto", f"-I{googleapis}",
                f"-I{os.path.join(os.path.dirname(protoc.__file__), '_proto')}"]
    # Stubs for our files only: google/* modules come from their wheels.
    rc = protoc.main(["protoc", *includes, f"--python_out={args.out}",
                      f"--grpc_python_out={args.out}", f"--pyi_out={args.out}", *protos])
    if rc == 0:
        rc = protoc.main(["protoc", *includes, "--include_imports", "--include_source_info",
                          f"--descriptor_set_out={args.descriptor}", *protos,
                          "google/rpc/status.proto", "google/rpc/error_details.proto"])
    if rc != 0:
        return rc
    # protoc only writes the stubs of our own files; make the tree importable.
    for pkg in ("penumbra", "penumbra/v1"):
        open(os.path.join(args.out, pkg, "__init__.py"), "a").close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
