#!/usr/bin/env bash
# Prepares the delivery pipeline's synth build (lib/stacks/delivery-pipeline-stack.ts) for `npm test`.
#
# The tests expect what the project's own machines have before a session starts:
# - PostgreSQL on 127.0.0.1:5432, user postgres, trust authentication;
# - MariaDB on 127.0.0.1:3306, user root, empty password;
# - the server packages' binaries (initdb, pg_ctl, mariadb-install-db, mariadbd), which the preflight
#   tests use to start throwaway servers of their own;
# - cfn-lint for Python 3 (test/cfn-lint.test.ts).
# CodeBuild's standard image (aws/codebuild/standard:7.0, Ubuntu, builds run as root) has none of
# them. The servers run in the build container itself and are gone when the build ends, so nothing
# here needs Docker or privileged mode.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
# The image lists third-party package sources too; one with a stale signature must not stop the build.
apt-get update -qq || echo "apt-get update reported errors; going on with the lists it fetched" >&2
# PostgreSQL 15, as on the project's machines: Ubuntu 22.04 ships 14, whose default grants on the public
# schema differ (a preflight test expects 15's). The PostgreSQL project's own apt repository has 15; its
# setup script comes with Ubuntu's postgresql-common.
apt-get install -y -qq --no-install-recommends postgresql-common
/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y
apt-get install -y -qq --no-install-recommends postgresql-15 mariadb-server

# PostgreSQL: trust TCP connections from this host (the build container, which nothing else reaches).
for hba in /etc/postgresql/*/main/pg_hba.conf; do
  sed -E -i 's/^(host[[:space:]]+all[[:space:]]+all[[:space:]]+(127\.0\.0\.1\/32|::1\/128)[[:space:]]+).*/\1trust/' "$hba"
done
service postgresql restart

# MariaDB: root over TCP with an empty password, as on the project's machines.
service mariadb restart
mariadb --user=root -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('')"

# The cfn-lint version the project's machines run (its rule set decides what the test reports).
python3 -m pip install --quiet 'cfn-lint==1.51.0'

pg_isready --host=127.0.0.1 --port=5432
mariadb --host=127.0.0.1 --port=3306 --user=root -e 'SELECT 1' >/dev/null
