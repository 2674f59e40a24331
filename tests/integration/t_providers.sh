#!/usr/bin/env bash
# tchat -p with a provider other than OpenAI, the mock standing in for it: the links of
# the explanation are the provider's (never OpenAI's status page or account pages), the
# key comes from the provider's variable (an OpenAI key never goes elsewhere), a profile's
# api_key_env and extra_headers are sent, Azure gets api-key and the api-version query, and
# a secret header is not taken from the command line.
source "$(dirname "$0")/lib.sh"

cat >"$T_DIR/scenarios.json" <<'JSON'
{"scenarios": {"402": {"status": 402, "error": {"message": "This request requires more credits, or fewer max_tokens.", "code": 402}}}}
JSON
start_mock --scenarios "$T_DIR/scenarios.json"
mock_origin() { echo "${MOCK_URL%/v1}"; }

# The mock's last logged request, as JSON: field $1 of it (Python expression on r).
last_request() {
    python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
r = rows[-1]
print(eval(sys.argv[2]))' "$MOCK_LOG" "$1"
}

# ---- the links are the provider's ----

export GROQ_API_KEY=gsk-test-abcdefghijkl1234
reset_log
run_tchat --base-url "$MOCK_URL" -o provider=groq -m mock-500 --max-retries 0 -p hi
if [[ $CODE == 6 ]] && grep -q 'https://groqstatus.com/' <<<"$ERR" &&
    ! grep -q 'status.openai.com' <<<"$ERR" && ! grep -q 'openai.com' <<<"$ERR"; then
    pass "groq on a failing local server: groqstatus.com, not status.openai.com"
else fail "groq on a failing local server: groqstatus.com, not status.openai.com" "exit $CODE"; fi

run_tchat --base-url "$MOCK_URL" -o provider=groq -m mock-500 --max-retries 0 --json-errors -p hi
if [[ $CODE == 6 ]] && python3 -c '
import json, sys
o = json.loads(sys.stdin.read().splitlines()[-1])
urls = [l["url"] for l in o["links"]]
assert "https://groqstatus.com/" in urls, urls
assert not any("openai.com" in u for u in urls), urls
assert o["provider"] == "groq", o
' <<<"$ERR"; then pass "groq in --json-errors: its status page and provider"
else fail "groq in --json-errors: its status page and provider" "bad JSON"; fi

# The key came from GROQ_API_KEY, as the provider's variable.
if [[ $(last_request 'r["auth"]') == 'Bearer gsk…1234' ]]; then pass "groq's key from GROQ_API_KEY"
else fail "groq's key from GROQ_API_KEY" "auth $(last_request 'r["auth"]')"; fi
unset GROQ_API_KEY

export OPENROUTER_API_KEY=sk-or-v1-test-abcdefghij5678
run_tchat --base-url "$MOCK_URL" -o provider=openrouter -m mock-402 -p hi
if [[ $CODE == 5 ]] && grep -q 'openrouter.ai' <<<"$ERR" && ! grep -q 'platform.openai.com' <<<"$ERR" &&
    ! grep -q 'status.openai.com' <<<"$ERR"; then
    pass "openrouter on a 402: openrouter.ai, none of platform.openai.com"
else fail "openrouter on a 402: openrouter.ai, none of platform.openai.com" "exit $CODE"; fi

run_tchat --base-url "$MOCK_URL" -o provider=openrouter -m mock-402 --json-errors -p hi
if python3 -c '
import json, sys
o = json.loads(sys.stdin.read().splitlines()[-1])
urls = [l["url"] for l in o["links"]]
assert urls and all("openrouter.ai" in u for u in urls), urls
' <<<"$ERR"; then pass "openrouter on a 402 in --json-errors: its links only"
else fail "openrouter on a 402 in --json-errors: its links only" "bad JSON"; fi
unset OPENROUTER_API_KEY

# A local server (auto on loopback): no OpenAI status page, no OpenAI account pages.
run_tchat --base-url "$MOCK_URL" -m mock-429-quota -p hi
if [[ $CODE == 5 ]] && ! grep -q 'status.openai.com' <<<"$ERR" &&
    ! grep -q 'platform.openai.com/account' <<<"$ERR"; then
    pass "a local server: no OpenAI status or account links"
else fail "a local server: no OpenAI status or account links" "exit $CODE"; fi

# An explicit status_url still wins.
export GROQ_API_KEY=gsk-test-abcdefghijkl1234
run_tchat --base-url "$MOCK_URL" -o provider=groq -o status_url=https://status.example.com/ \
    -m mock-500 --max-retries 0 -p hi
if grep -q 'https://status.example.com/' <<<"$ERR" && ! grep -q 'groqstatus' <<<"$ERR"; then
    pass "status_url wins over the preset"
else fail "status_url wins over the preset" "exit $CODE"; fi
unset GROQ_API_KEY

# ---- which key is read ----

export OPENAI_API_KEY=sk-openai-test-abcdefgh9999
reset_log
run_tchat --base-url "$MOCK_URL" -o provider=groq -m mock-ok -p hi
if [[ $CODE == 3 && $(mock_requests) == 0 ]] && grep -q 'GROQ_API_KEY' <<<"$ERR"; then
    pass "an OpenAI key is never sent to another provider"
else fail "an OpenAI key is never sent to another provider" "exit $CODE, $(mock_requests) requests"; fi

reset_log
run_tchat --base-url "$MOCK_URL" -m mock-ok -p hi
if [[ $CODE == 0 && $(last_request 'r["auth"]') == None ]]; then
    pass "a local server gets no OpenAI key"
else fail "a local server gets no OpenAI key" "exit $CODE, auth $(last_request 'r["auth"]')"; fi
unset OPENAI_API_KEY

run_tchat -o provider=groq --key-status
if [[ $CODE == 3 ]] && grep -q 'set GROQ_API_KEY' <<<"$OUT"; then pass "--key-status names the provider's variable"
else fail "--key-status names the provider's variable" "exit $CODE"; fi

# ---- a profile's api_key_env and extra_headers ----

CONF=$T_DIR/providers.json
cat >"$CONF" <<JSON
{
  "profile": "router",
  "profiles": {
    "router": {
      "provider": "openrouter",
      "base_url": "$MOCK_URL",
      "api_key_env": "MY_ROUTER_KEY",
      "extra_headers": {"HTTP-Referer": "https://example.org/tchat", "X-Title": "tchat"}
    },
    "azure": {
      "provider": "azure",
      "base_url": "$(mock_origin)",
      "model": "mock-ok"
    },
    "azure-v1": {
      "provider": "azure",
      "base_url": "$(mock_origin)/openai/v1",
      "model": "mock-ok"
    }
  }
}
JSON
chmod 600 "$CONF"
export MY_ROUTER_KEY=sk-or-mine-abcdefgh4321 OPENROUTER_API_KEY=sk-or-other-zzzzzzzz0000
reset_log
run_tchat --config "$CONF" -m mock-ok -p hi
if [[ $CODE == 0 ]] && python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
assert r["auth"] == "Bearer sk-…4321", r["auth"]
h = r["headers"]
assert h["http-referer"] == "https://example.org/tchat" and h["x-title"] == "tchat", h
' "$MOCK_LOG"; then pass "api_key_env and extra_headers are sent"
else fail "api_key_env and extra_headers are sent" "exit $CODE"; fi
unset MY_ROUTER_KEY OPENROUTER_API_KEY

# ---- Azure ----

export AZURE_OPENAI_API_KEY=az-test-key-abcdefgh2468
reset_log
run_tchat --config "$CONF" --profile azure -p hi
if [[ $CODE == 0 && $OUT == 'You said: hi' ]] && python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
assert r["path"] == "/openai/deployments/mock-ok/chat/completions?api-version=2024-10-21", r["path"]
assert r["query"] == "api-version=2024-10-21", r["query"]
assert r["api_key"] == "az-…2468" and r["auth"] is None, r
' "$MOCK_LOG"; then pass "Azure: api-key, the deployment and the api-version query"
else fail "Azure: api-key, the deployment and the api-version query" "exit $CODE"; fi

reset_log
run_tchat --config "$CONF" --profile azure --api-version 2025-01-01-preview -p hi
if [[ $CODE == 0 && $(last_request 'r["query"]') == 'api-version=2025-01-01-preview' ]]; then
    pass "Azure: --api-version"
else fail "Azure: --api-version" "exit $CODE"; fi

reset_log
run_tchat --config "$CONF" --profile azure-v1 -p hi
if [[ $CODE == 0 ]] && python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
assert r["path"] == "/openai/v1/chat/completions", r["path"]
assert r["auth"] == "Bearer az-…2468" and r["api_key"] is None, r
' "$MOCK_LOG"; then pass "Azure /openai/v1: the plain OpenAI scheme"
else fail "Azure /openai/v1: the plain OpenAI scheme" "exit $CODE"; fi
unset AZURE_OPENAI_API_KEY

# ---- a secret header is not taken from the command line ----

for args in "-o extra_headers={\"Authorization\":\"Bearer sk-secret-123\"}" \
    "--extra-headers {\"X-Api-Key\":\"sk-secret-123\"}"; do
    reset_log
    # shellcheck disable=SC2086 # two words: the flag and its value
    run_tchat --base-url "$MOCK_URL" -m mock-ok ${args%% *} "${args#* }" -p hi
    if [[ $CODE == 2 && $(mock_requests) == 0 ]] && grep -q 'not taken from the command line' <<<"$ERR" &&
        ! grep -q 'sk-secret' <<<"$ERR"; then pass "secret header refused: ${args%% *}"
    else fail "secret header refused: ${args%% *}" "exit $CODE"; fi
done

reset_log
run_tchat --base-url "$MOCK_URL" -m mock-ok -o 'extra_headers={"X-Title": "cli"}' -p hi
if [[ $CODE == 0 && $(last_request 'r["headers"]["x-title"]') == cli ]]; then
    pass "a header that is no secret is taken from the command line"
else fail "a header that is no secret is taken from the command line" "exit $CODE"; fi

run_tchat --base-url "$MOCK_URL" -m mock-ok -o 'extra_headers={"X-Title": 1}' -p hi
if [[ $CODE == 2 ]] && grep -q -- '--extra-headers: header "X-Title": the value must be text' <<<"$ERR"; then
    pass "a bad header explained"
else fail "a bad header explained" "exit $CODE"; fi

run_tchat --base-url "$MOCK_URL" -o provider=acme -p hi
if [[ $CODE == 2 ]] && grep -q 'provider: must be one of: auto, openai' <<<"$ERR"; then
    pass "an unknown provider explained"
else fail "an unknown provider explained" "exit $CODE"; fi

finish
