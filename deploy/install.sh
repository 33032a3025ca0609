#!/bin/sh
# Installs a compiled bmpmon under systemd:
#   BINARY                 -> /usr/local/bin/bmpmon
#   deploy/bmpmon.service  -> /etc/systemd/system/bmpmon.service
#   deploy/bmpmon-consume.service -> /etc/systemd/system/bmpmon-consume.service (the store
#                             behind the bus; enable one of the two)
#   deploy/bmpmon.sysusers -> /etc/sysusers.d/bmpmon.conf (the bmpmon system user)
#   ENV_FILE               -> /etc/bmpmon/bmpmon.env, only if that file does not exist yet
# then creates the user and reloads systemd. It neither enables nor restarts the service.
#
# Usage: install.sh [--dry-run] [--env-file ENV_FILE] [BINARY]
#   BINARY     default: ./bmpmon (from `deno task compile`)
#   ENV_FILE   default: deploy/bmpmon.env beside this script
#   --dry-run  print what would be done, change nothing
#   DESTDIR=/some/root install.sh ...  installs under that root and skips systemd-sysusers
#              and systemctl (for packaging and tests)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dry_run=0
env_file=$here/bmpmon.env
binary=./bmpmon
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --env-file)
      [ $# -ge 2 ] || { echo "install.sh: --env-file needs a file" >&2; exit 2; }
      env_file=$2
      shift
      ;;
    -h | --help)
      sed -n '2,15s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    -*) echo "install.sh: unknown option $1" >&2; exit 2 ;;
    *) binary=$1 ;;
  esac
  shift
done
root=${DESTDIR:-}

for f in "$binary" "$env_file" "$here/bmpmon.service" "$here/bmpmon-consume.service" \
  "$here/bmpmon.sysusers"; do
  [ -f "$f" ] || { echo "install.sh: $f: no such file" >&2; exit 1; }
done

run() {
  echo "+ $*"
  [ "$dry_run" -eq 1 ] || "$@"
}

run install -D -m 0755 "$binary" "$root/usr/local/bin/bmpmon"
run install -D -m 0644 "$here/bmpmon.service" "$root/etc/systemd/system/bmpmon.service"
run install -D -m 0644 "$here/bmpmon-consume.service" \
  "$root/etc/systemd/system/bmpmon-consume.service"
run install -D -m 0644 "$here/bmpmon.sysusers" "$root/etc/sysusers.d/bmpmon.conf"
if [ -e "$root/etc/bmpmon/bmpmon.env" ]; then
  echo "  keeping $root/etc/bmpmon/bmpmon.env"
else
  # 0600 root: systemd reads it before starting bmpmon; it may hold a database password.
  run install -D -m 0600 "$env_file" "$root/etc/bmpmon/bmpmon.env"
fi
if [ -z "$root" ]; then
  run systemd-sysusers /etc/sysusers.d/bmpmon.conf
  run systemctl daemon-reload
fi
echo "next: edit /etc/bmpmon/bmpmon.env, then: systemctl enable --now bmpmon" \
  "(or bmpmon-consume behind a bus; upgrade: systemctl restart bmpmon)"
