#!/bin/sh
# Regenerates Sources/KeepProtocol/Generated/keep.pb.swift from Protocol/keep.proto.
#
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift 1.39.0, built with:
#   git clone https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   cd /tmp/swift-protobuf && git checkout 1.39.0 && swift build -c release --product protoc-gen-swift
# Set PROTOC_GEN_SWIFT to its path if it is not on PATH. Commit the result.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || echo /tmp/swift-protobuf/.build/release/protoc-gen-swift)}
if [ ! -x "$plugin" ]; then
    echo "protoc-gen-swift not found; build it (see the comment in $0) or set PROTOC_GEN_SWIFT" >&2
    exit 1
fi

out="$root/Sources/KeepProtocol/Generated"
mkdir -p "$out"
protoc \
    --plugin=protoc-gen-swift="$plugin" \
    --proto_path="$root/Protocol" \
    --swift_out="$out" \
    --swift_opt=Visibility=Public \
    --swift_opt=FileNaming=DropPath \
    "$root/Protocol/keep.proto"
echo "wrote $out/keep.pb.swift"
