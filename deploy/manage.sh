#!/bin/sh
# manage.py as the services run it: as the newsroom user, with the settings
# from /etc/newsroom/env. Run it as root (or with sudo):
#
#   /srv/newsroom/app/deploy/manage.sh migrate --noinput
#   /srv/newsroom/app/deploy/manage.sh createsuperuser
#
# NEWSROOM_USER, NEWSROOM_ENV and NEWSROOM_APP change the user, the file and
# the checkout (by default the one this script is in).
set -eu
user=${NEWSROOM_USER:-newsroom}
env_file=${NEWSROOM_ENV:-/etc/newsroom/env}
app=${NEWSROOM_APP:-$(cd "$(dirname "$0")/.." && pwd)}
if [ "$(id -un)" != "$user" ]; then
    exec runuser -u "$user" -- "$0" "$@"
fi
case $env_file in /*) ;; *) env_file=./$env_file ;; esac  # "." searches PATH
set -a
. "$env_file"
set +a
cd "$app"
exec "$app/.venv/bin/python" manage.py "$@"
