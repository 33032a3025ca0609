#!/bin/sh
# Checks deploy/bmpmon.service and bmpmon-consume.service as install.sh installs them: installs into a temporary root
# (with the host's own systemd units, for the default dependencies such as sysinit.target)
# and runs `systemd-analyze verify --root` there, which also checks that ExecStart's binary
# exists and is executable at /usr/local/bin/bmpmon inside that root. Any message fails:
# systemd only warns about settings it ignores.
#
# Usage: verify.sh [BINARY]   (default: a placeholder executable, when nothing is compiled)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
command -v systemd-analyze >/dev/null 2>&1 || { echo "verify.sh: systemd-analyze not found" >&2; exit 3; }
units=
for d in /usr/lib/systemd/system /lib/systemd/system; do
  if [ -d "$d" ]; then units=$d; break; fi
done
[ -n "$units" ] || { echo "verify.sh: no systemd unit directory" >&2; exit 3; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
binary=${1:-}
if [ -z "$binary" ]; then
  binary=$tmp/bmpmon
  printf '#!/bin/sh\nexit 1\n' >"$binary"
fi
mkdir -p "$tmp/root/usr/lib/systemd"
cp -R "$units" "$tmp/root/usr/lib/systemd/system"
DESTDIR=$tmp/root sh "$here/install.sh" "$binary" >/dev/null
for unit in bmpmon.service bmpmon-consume.service; do
  out=$(systemd-analyze verify --root="$tmp/root" "/etc/systemd/system/$unit" 2>&1) || {
    printf '%s\n' "$out" >&2
    exit 1
  }
  if [ -n "$out" ]; then
    printf '%s\n' "$out" >&2
    exit 1
  fi
  echo "$unit: verified"
done
