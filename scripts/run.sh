#!/usr/bin/env bash
# Sets up, builds and starts Packline with the demo panel:
# packline-server on http://127.0.0.1:8080 serving the webapp, data in ./packline-data.
# Extra arguments go to the server (e.g. --port 9000 --data /tmp/pl).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
"$here/scripts/build.sh"
echo "Packline: open http://127.0.0.1:8080 (Ctrl-C stops the server)"
exec "$here/build/sync-server/packline-server" --webapp "$here/webapp/dist" --demo "$@"
