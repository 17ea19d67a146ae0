#!/bin/sh
# Nightly backup of what cannot be rebuilt: the database, the citizens' photos and the settings
# (which hold the secret key). Run by citybot-backup.service; keeps 30 days.
set -eu
: "${CITYBOT_BACKUP_DSN:?set it in /etc/citybot/citybot.env}"
root=${CITYBOT_BACKUP_ROOT:-/var/backups/citybot}
var=${CITYBOT_VAR_DIR:-/srv/citybot/var}
target="$root/$(date -u +%Y%m%dT%H%MZ)"
umask 077
mkdir -p "$target"
pg_dump --format=custom --file="$target/citybot.dump" "$CITYBOT_BACKUP_DSN"
tar -C "$var" -czf "$target/attachments.tar.gz" attachments
cp /etc/citybot/citybot.env "$target/citybot.env"
find "$root" -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec rm -rf {} +
