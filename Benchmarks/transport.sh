#!/usr/bin/env bash
# Throughput of Keep's transport over loopback: CHUNK frames through plain TCP + Keep framing and through the
# real KeepTransport pipeline (TLSHandler + FrameDecoder/FrameEncoder + NIOAsyncChannel), beside the raw
# AES-GCM speed of the same OpenSSL (`openssl speed`). See Benchmarks/README.md.
#
#   Benchmarks/transport.sh                 # 1 GiB in 1 MiB frames, receiver in a second process
#   BYTES=256MiB TOPOLOGY=threads Benchmarks/transport.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bytes=${BYTES:-1GiB}
frame_size=${FRAME_SIZE:-1MiB}
topology=${TOPOLOGY:-processes}
scratch=.build-release

echo "building keep-transport-bench (release, --scratch-path $scratch)..." >&2
swift build -c release --scratch-path "$scratch" --product keep-transport-bench >&2
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/keep-transport-bench"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A throwaway PKI (CA, controller 127.0.0.1, agent "bench"), made in-process by the bench on first use.
"$bin" run --pki "$work/pki" --bytes "$bytes" --frame-size "$frame_size" --topology "$topology" --tsv >"$work/bench.tsv"

# `openssl speed` prints "<cipher> <n>k" for 1000s of bytes per second on one core; keep the last figure.
speed() {
    openssl speed -evp "$1" -bytes 1048576 -seconds 3 2>/dev/null | tail -n 1 |
        awk '{ sub(/k$/, "", $NF); printf "%.0f", $NF / 1000 }'
}
aes256=$(speed aes-256-gcm)
aes128=$(speed aes-128-gcm)

case $topology in
    processes) where="sender and receiver in two processes (the receiver is a child of the sender)" ;;
    threads) where="sender and receiver in one process, each on its own event loop thread" ;;
esac
echo
echo "Keep transport over 127.0.0.1: $bytes in $frame_size CHUNK frames; $where."
echo "$(nproc) cores shared by both ends; MB = 10^6 bytes; CPU = user + system seconds of each end's process."
echo
printf '%-46s %8s %9s %11s %13s\n' "path" "MB/s" "seconds" "sender CPU" "receiver CPU"
printf '%-46s %8s %9s %11s %13s\n' "----" "----" "-------" "----------" "------------"
while IFS=$'\t' read -r transport rate seconds sender receiver; do
    case $transport in
        tcp) label="plain TCP + Keep framing" ;;
        tls) label="TLS 1.3 + Keep framing (KeepTransport)" ;;
        *) label=$transport ;;
    esac
    if [ "$topology" = threads ]; then receiver="(in sender)"; fi
    printf '%-46s %8s %9s %11s %13s\n' "$label" "$rate" "$seconds" "$sender" "$receiver"
done <"$work/bench.tsv"
printf '%-46s %8s %9s %11s %13s\n' "openssl speed -evp aes-256-gcm (1 MiB, 1 core)" "$aes256" "3" "3" "-"
printf '%-46s %8s %9s %11s %13s\n' "openssl speed -evp aes-128-gcm (1 MiB, 1 core)" "$aes128" "3" "3" "-"
