#!/bin/sh
# Regenerates the vectors from their descriptions with protoc (not with Keep's own encoder, so the
# vectors check Keep against an independent implementation). The .hex files are committed and
# frozen: run this only to add a vector, and review the diff.
set -eu
cd "$(dirname "$0")"

frame() { # kind, payload file -> hex lines of the frame
    len=$(($(wc -c <"$2") + 1))
    printf '%08x%02x' "$len" "$1"
    xxd -p "$2" | tr -d '\n'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for text in *.txtpb; do
    name=${text%.txtpb}
    grep -v '^#' "$text" | protoc --proto_path=.. --encode=keep.v1.Envelope keep.proto >"$tmp/$name.bin"
    { echo "# CONTROL frame: $name.txtpb"; frame 1 "$tmp/$name.bin" | fold -w 64; echo; } >"$name.hex"
done

# CHUNK frames: header = id (SHA-256 of the plaintext), type, compression, reserved, plaintext length.
chunk() { # name, type, compression(0|1), plaintext file
    id=$(sha256sum "$4" | cut -c1-64)
    plain=$(wc -c <"$4")
    if [ "$3" = 1 ]; then zstd -q -19 --no-check -c "$4" >"$tmp/payload"; else cp "$4" "$tmp/payload"; fi
    {
        printf '%s%02x%02x0000%08x' "$id" "$2" "$3" "$plain" | xxd -r -p
        cat "$tmp/payload"
    } >"$tmp/$1.bin"
    { echo "# CHUNK frame: type $2, compression $3, plaintext $(wc -c <"$4") bytes"; frame 2 "$tmp/$1.bin" | fold -w 64; echo; } >"$1.hex"
}
printf 'keep test chunk\n' >"$tmp/plain1"
chunk chunk-data-none 0 0 "$tmp/plain1"
yes 'keep keeps what you keep' | head -n 40 >"$tmp/plain2"
chunk chunk-tree-zstd 1 1 "$tmp/plain2"
