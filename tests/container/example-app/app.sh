#!/bin/bash
# Calls SERVICE_URL as X_ROAD_CLIENT every second and prints "app: STATUS BODY" (body cut).
while true; do
  out=$(curl -s -m 10 -w '\n%{http_code}' -H "X-Road-Client: $X_ROAD_CLIENT" "$SERVICE_URL" 2>&1)
  echo "app: ${out##*$'\n'} $(printf '%s' "${out%$'\n'*}" | head -c 200)"
  sleep 1
done
