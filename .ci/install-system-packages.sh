#!/usr/bin/env bash
# Installs the Debian 12 packages the test suites need. Run as root; safe to run again.
#
#   postfix, swaks, postgrey  test/support/postfix.ts runs a private Postfix instance (its own
#                             temp config, queue and port on 127.0.0.1); swaks sends the test
#                             mail; postgrey is the reference policy service in
#                             test/support/postfix-harness.test.ts.
#   sqlgrey, libdbd-sqlite3-perl
#                             the second peer greylister of the benchmark (bench/), on SQLite.
#   chromium, fonts-dejavu-core
#                             the renderer's end-to-end tests drive Debian's Chromium through
#                             playwright-core; the font keeps screenshots legible.
#   postgresql, libdbd-pg-perl
#                             the shared-greylist suites start a throw-away cluster of their own
#                             (test/support/pg-cluster.ts: initdb and pg_ctl as user postgres, in a
#                             temporary directory, on a free loopback port); sqlgrey on PostgreSQL
#                             is the benchmark's peer for the shared store.
#   systemd                   test/install.e2e.test.ts checks the unit, sysusers and tmpfiles
#                             files with systemd-analyze, systemd-sysusers and systemd-tmpfiles
#                             (inside a scratch root; no service is started).
#
# No system mail service is wanted: the harness never uses the system Postfix, postgrey or
# sqlgrey (nor ports 25, 10023, 2501), nor the system PostgreSQL cluster: it starts its own
# instances on free loopback ports.
# So a fresh install gets Postfix's "No configuration" (no /etc/postfix/main.cf, the system
# postfix service cannot start), and no service is started while the packages install.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

if [[ $(id -u) -ne 0 ]]; then
  echo "install-system-packages.sh: must run as root" >&2
  exit 1
fi

packages=(postfix swaks postgrey sqlgrey libdbd-sqlite3-perl postgresql libdbd-pg-perl chromium fonts-dejavu-core systemd)

# Preseed only a first install: never reconfigure a Postfix someone set up on purpose.
if ! dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q '^install ok installed'; then
  debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string localhost
EOF
fi

# Keep the maintainer scripts from starting postfix/postgrey/sqlgrey (exit 101 = "action
# forbidden" for invoke-rc.d). Only when the machine has no policy of its own; removed again.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

apt-get -o Acquire::Retries=3 update
apt-get -o Acquire::Retries=3 install -y --no-install-recommends "${packages[@]}"

# What the harness calls: fail here, with a clear message, rather than in the tests.
for tool in /usr/sbin/postfix /usr/sbin/postconf /usr/sbin/postgrey /usr/bin/swaks /usr/bin/chromium /usr/bin/systemd-analyze /usr/bin/systemd-sysusers /usr/bin/systemd-tmpfiles; do
  [[ -x $tool ]] || { echo "install-system-packages.sh: $tool missing after install" >&2; exit 1; }
done
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && getent passwd postgres >/dev/null || {
  echo "install-system-packages.sh: PostgreSQL's initdb or the user postgres missing after install" >&2
  exit 1
}
daemon_directory=$(/usr/sbin/postconf -dh daemon_directory 2>/dev/null)
[[ -x $daemon_directory/master ]] || { echo "install-system-packages.sh: no Postfix master in $daemon_directory" >&2; exit 1; }
getent passwd postfix >/dev/null && getent group postdrop >/dev/null && getent passwd postgrey >/dev/null || {
  echo "install-system-packages.sh: postfix/postdrop/postgrey accounts missing" >&2
  exit 1
}
echo "install-system-packages.sh: $(/usr/sbin/postconf -dh mail_version 2>/dev/null | sed 's/^/Postfix /'), swaks, postgrey, PostgreSQL, chromium and systemd's tools ready"
