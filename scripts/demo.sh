#!/usr/bin/env bash
# `make demo`: a two-server X-Road instance on loopback (roadside testbed: test CA with OCSP
# and TSA, configuration publisher, example services, two `roadside serve` on the embedded
# SQLite database), then REST and SOAP requests through it and one it refuses, with what
# happened. The instance keeps running for you to try with curl until Ctrl-C.
#
# DEMO_DIR   where the instance lives (default .demo; a new one each run)
# DEMO_BATCH=1  run the requests and stop (no waiting for Ctrl-C), for scripts
set -euo pipefail

bin=${1:-build/dev/src/cli/roadside}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
demo_dir=${DEMO_DIR:-.demo}
rm -rf "$demo_dir"
mkdir -p "$demo_dir"
demo_dir=$(cd "$demo_dir" && pwd)
inst="$demo_dir/instance"
log="$demo_dir/testbed.log"

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
field() { python3 -c "import json,sys; j=json.load(open('$inst/instance.json')); print(eval(sys.argv[1]))" "$1"; }

"$bin" testbed init --dir "$inst" --servers 2 >/dev/null
"$bin" testbed up --dir "$inst" >"$log" 2>&1 &
up=$!
stop() {
  kill -TERM "$up" 2>/dev/null || true
  wait "$up" 2>/dev/null || true
  echo
  echo "The instance stopped. Its files stay in $inst."
}
trap stop EXIT
trap 'exit 0' INT TERM

client=$(field "j['servers'][0]['client_http']")
for n in 0 1; do
  health=$(field "j['servers'][$n]['health_url']")
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$health/readyz")" = 200 ] && break
    kill -0 "$up" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$health/readyz")" != 200 ]; then
    echo "server $((n + 1)) did not become ready:"; curl -s "$health/readyz"; echo; exit 1
  fi
done

say "A two-server X-Road instance is up ($("$bin" version)), every server ready"
echo "  ss1 (DEV/COM/1001) client proxy  http://$client"
echo "  ss2 (DEV/COM/1002) server proxy  https://$(field "j['servers'][1]['address']"):$(field "j['servers'][1]['server_port']")  (mutual TLS)"
echo "  ss2 provides echo (REST) and getRandom (SOAP) for the CLIENT subsystems"

say "1. REST: an information system of DEV/COM/1001/CLIENT calls echo through ss1 and ss2"
cmd="curl -s -i -H 'X-Road-Client: DEV/COM/1001/CLIENT' 'http://$client/r1/DEV/COM/1002/SERVICE/echo/pets/42?colour=black'"
echo "  \$ $cmd"
eval "$cmd" | sed 's/^/    /'
echo

say "2. REST POST with a body"
curl -s -H 'X-Road-Client: DEV/COM/1001/CLIENT' -H 'Content-Type: application/json' --data '{"name":"Rex"}' \
  "http://$client/r1/DEV/COM/1002/SERVICE/echo/pets" | sed 's/^/    /'
echo

say "3. SOAP: getRandom v1, with the X-Road headers in the envelope"
cat >"$demo_dir/getRandom.xml" <<'SOAP'
<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">
  <SOAP-ENV:Header>
    <xrd:client id:objectType="SUBSYSTEM"><id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>1001</id:memberCode><id:subsystemCode>CLIENT</id:subsystemCode></xrd:client>
    <xrd:service id:objectType="SERVICE"><id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>1002</id:memberCode><id:subsystemCode>SERVICE</id:subsystemCode><id:serviceCode>getRandom</id:serviceCode><id:serviceVersion>v1</id:serviceVersion></xrd:service>
    <xrd:id>demo-1</xrd:id>
    <xrd:protocolVersion>4.0</xrd:protocolVersion>
  </SOAP-ENV:Header>
  <SOAP-ENV:Body><ns1:getRandom xmlns:ns1="http://test.x-road.global/producer"/></SOAP-ENV:Body>
</SOAP-ENV:Envelope>
SOAP
echo "  \$ curl -s -H 'Content-Type: text/xml' --data-binary @$demo_dir/getRandom.xml http://$client/"
curl -s -H 'Content-Type: text/xml; charset=utf-8' --data-binary @"$demo_dir/getRandom.xml" "http://$client/" | sed 's/^/    /'
echo
echo "    (requestHash is what ss2 computed over the request; ss1 checked it before answering)"

say "4. Refused: DEV/COM/1001/SERVICE has no access right to echo"
curl -s -i -H 'X-Road-Client: DEV/COM/1001/SERVICE' "http://$client/r1/DEV/COM/1002/SERVICE/echo/pets" | sed 's/^/    /'
echo

say "5. What the servers counted"
for n in 0 1; do
  health=$(field "j['servers'][$n]['health_url']")
  echo "  ss$((n + 1)): $(curl -s "$health/metrics" | grep -E '^roadside_(messages_total|signatures_total|signed_messages_total)' | tr '\n' ' ')"
done

say "6. The admin console of ss1"
# An API key of every role, made through ss1's control socket and kept in a file only its
# owner reads (a key is a secret: not printed).
console_key="$demo_dir/ss1-console-key"
(umask 077; ROADSIDE_CONFIG=$(field "j['servers'][0]['config']") "$bin" api-keys create \
  XROAD_SECURITY_OFFICER XROAD_REGISTRATION_OFFICER XROAD_SERVICE_ADMINISTRATOR XROAD_SYSTEM_ADMINISTRATOR \
  XROAD_SECURITYSERVER_OBSERVER | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])' >"$console_key")
console=$(field "j['servers'][0]['admin_url']")
status=$(curl -sk -o /dev/null -w '%{http_code}' "$console/")
echo "  $console/  (answers $status; the certificate is the instance's own: accept it in the browser)"
echo "  Log in with the API key in $console_key (every role): dashboard, clients and access"
echo "  rights, the message log (try query id demo-1), backups, the audit log, diagnostics."

if [ "${DEMO_BATCH:-0}" = 1 ]; then exit 0; fi

cat <<HELP

  Try it yourself (the instance keeps running):

    curl -i -H 'X-Road-Client: DEV/COM/1001/CLIENT' http://$client/r1/DEV/COM/1002/SERVICE/echo/hello
    curl -H 'X-Road-Client: DEV/COM/1001/CLIENT' http://$client/r1/DEV/COM/1002/SERVICE/listMethods
    curl -H 'Accept: application/json' http://$client/listClients

  Logs: $inst/servers/ss1/serve.log, $inst/servers/ss2/serve.log, $log
  Contract (ports, keys, services): $inst/instance.json
  Press Ctrl-C to stop.
HELP
wait "$up"
