#!/usr/bin/env bash
# The shell completions the build generates (build/completions): they are what
# `tchat --completion SHELL` prints, every flag of --help and every option of the registry is
# in each, and bash (always), zsh and fish (when installed) complete flags and their values.
source "$(dirname "$0")/lib.sh"

comp=${TCHAT_COMPLETIONS:-$(dirname "$TCHAT_BIN")/completions}
bash_file=$comp/tchat zsh_file=$comp/_tchat fish_file=$comp/tchat.fish
# The tchat being completed is found on PATH, as in a shell.
bin=$T_DIR/bin
mkdir -p "$bin"
ln -s "$(cd "$(dirname "$TCHAT_BIN")" && pwd)/$(basename "$TCHAT_BIN")" "$bin/tchat"
export PATH=$bin:$PATH

expect() { # NAME COMMAND...: passes when the command succeeds
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "$*"; fi
}
# same NAME GOT WANT
same() {
    if [[ $2 == "$3" ]]; then pass "$1"; else fail "$1" "got '$2', expected '$3'"; fi
}

# Something to complete: two profiles, a theme of the user's, a saved conversation.
mkdir -p "$XDG_CONFIG_HOME/tchat/themes" "$XDG_DATA_HOME/tchat/conversations"
printf '{"profiles": {"work": {}, "home": {"model": "m"}}}\n' >"$XDG_CONFIG_HOME/tchat/config.json"
chmod 600 "$XDG_CONFIG_HOME/tchat/config.json"
printf 'normal default default\n' >"$XDG_CONFIG_HOME/tchat/themes/mine.theme"
id=20261129-013913-a3f0
printf '%s\n' '{"version":1,"id":"'$id'","created":"2026-11-29T01:39:13.250+01:00",' \
    '"updated":"2026-11-29T01:41:02.118+01:00","title":"Hello","messages":[' \
    '{"role":"user","content":"Hello","status":"ok"}]}' \
    >"$XDG_DATA_HOME/tchat/conversations/$id.json"

for pair in bash:$bash_file zsh:$zsh_file fish:$fish_file; do
    shell=${pair%%:*} file=${pair#*:}
    run_tchat --completion "$shell"
    expect "$shell: the built file is what tchat --completion $shell prints" \
        eval '[[ -f $file && $OUT == "$(cat "$file")" ]]'
done
run_tchat --completion tcsh
expect "--completion tcsh: a usage error naming the shells" \
    eval '[[ $CODE == 2 && $ERR == *"bash zsh fish"* ]]'
OUT= ERR= CODE= # what follows runs no tchat directly: a failure shows no stale output

# Every flag --help shows and every option of the registry (src/core/config.h), the key
# excepted, is in each file, as the shell spells it.
run_tchat --help
flags=$(grep -oE '^  (-[a-zA-Z], |    )--[a-z-]+' <<<"$OUT" | sed 's/.*--//' | sort -u)
registry=$(grep -oE 'X\(OPT_[A-Z_]+, "[a-z_]+", OPT_[A-Z]+' "$TCHAT_SRC/src/core/config.h" |
    grep -v OPT_SECRET | sed -E 's/.*"([a-z_]+)".*/\1/; s/_/-/g' | sort -u)
OUT=
expect "the registry has options ($(wc -l <<<"$registry"))" test "$(wc -l <<<"$registry")" -gt 20
for name in $registry; do
    grep -qx "$name" <<<"$flags" || fail "--help lists --$name" "not in --help"
done
for shell in bash zsh fish; do
    missing=()
    for name in $(printf '%s\n' $flags $registry | sort -u); do
        case $shell in
        bash) grep -qE -- "(^|[ (|])--$name([ )|]|$)" "$bash_file" ;;
        zsh) grep -qE -- "--$name[]=[}]" "$zsh_file" ;;
        fish) grep -qE -- " -l $name( |$)" "$fish_file" ;;
        esac || missing+=("--$name")
    done
    expect "$shell: every flag and every registry option${missing:+ (missing: ${missing[*]})}" \
        test ${#missing[@]} -eq 0
done
for file in "$bash_file" "$zsh_file" "$fish_file"; do
    expect "$(basename "$file"): no --api-key" eval '! grep -qE -- "--api-key([^-]|$)" "$file"'
done

# bash: what _tchat offers for a command line; the last word is the one being completed.
bash_complete() {
    bash --norc --noprofile -c '
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
        _tchat
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' \
        _ "$bash_file" "$@"
}
expect "bash: parses" bash -n "$bash_file"
same "bash: tchat --base" "$(bash_complete tchat --base)" "--base-url"
same "bash: tchat --lang ''" "$(bash_complete tchat --lang '')" "en zh_CN"
same "bash: tchat --lang=z (split at =)" "$(bash_complete tchat --lang = z)" "zh_CN"
same "bash: tchat --lang=z (one word)" "$(bash_complete tchat --lang=z)" "--lang=zh_CN"
same "bash: tchat --stream ''" "$(bash_complete tchat --stream '')" "false true"
same "bash: tchat --provider o" "$(bash_complete tchat --provider o)" "ollama openai openrouter other"
same "bash: tchat --completion ''" "$(bash_complete tchat --completion '')" "bash fish zsh"
same "bash: tchat --profile ''" "$(bash_complete tchat --profile '')" "home work"
same "bash: tchat --profile w" "$(bash_complete tchat --profile w)" "work"
same "bash: tchat --theme m" "$(bash_complete tchat --theme m)" "mine mono"
same "bash: tchat --resume ''" "$(bash_complete tchat --resume '')" "$id"
same "bash: tchat -o max_re" "$(bash_complete tchat -o max_re)" "max_reply_mb= max_retries="
same "bash: tchat -p '' (free text)" "$(bash_complete tchat -p '')" ""
same "bash: tchat -m --l (an argument, not a flag)" "$(bash_complete tchat -m --l)" ""
same "bash: tchat --list-" "$(bash_complete tchat --list-)" "--list-profiles --list-themes"
same "bash: tchat '' (no positional arguments)" "$(bash_complete tchat '')" ""
touch "$T_DIR/ca-one.pem" "$T_DIR/ca-two.pem"
same "bash: tchat --ca-bundle (files)" "$(bash_complete tchat --ca-bundle "$T_DIR/ca-")" \
    "$T_DIR/ca-one.pem $T_DIR/ca-two.pem"

# zsh: parses; then, in an interactive zsh on a pseudo-terminal, what Tab offers.
if command -v zsh >/dev/null; then
    expect "zsh: parses" zsh -n "$zsh_file"
    mkdir -p "$T_DIR/zfunc"
    cp "$zsh_file" "$T_DIR/zfunc/_tchat"
    # zsh zcomplete.zsh LINE: the matches Tab offers after LINE in an interactive zsh.
    cat >"$T_DIR/zcomplete.zsh" <<'ZSH'
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1= PROMPT_EOL_MARK=; unsetopt zle_bracketed_paste'
zpty -w z "fpath=(${(q)ZFUNC} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "bindkey '^I' complete-word"
# Each match is printed after "@:" on a line of its own, then a marker (spelt so that the
# echo of the typed line does not match it).
zpty -w z 'compadd() { local -a m; local w; builtin compadd -O m "$@"; for w in $m; do print -n "\n@:"; print -rn -- "$w"; done; builtin compadd "$@" }'
zpty -w z 'comppostfuncs=(_end); _end() { compstate[insert]=; compstate[list]=; print -n "\nEND\x21" }'
zpty -n -w z "$1"$'\t'
zpty -r -m z out '*END!*' || exit 1
print -r -- $out
ZSH
    zsh_complete() {
        ZFUNC=$T_DIR/zfunc timeout -k 2 20 zsh -f "$T_DIR/zcomplete.zsh" "$1" | tr -d '\r' |
            sed -n 's/^@://p' | grep . | sort -u | tr '\n' ' ' | sed 's/ $//'
    }
    same "zsh: tchat --base" "$(zsh_complete 'tchat --base')" "--base-url"
    same "zsh: tchat --lang " "$(zsh_complete 'tchat --lang ')" "en zh_CN"
    same "zsh: tchat --lang=" "$(zsh_complete 'tchat --lang=')" "en zh_CN"
    same "zsh: tchat --provider l" "$(zsh_complete 'tchat --provider l')" "llamacpp lmstudio local"
    same "zsh: tchat --profile " "$(zsh_complete 'tchat --profile ')" "home work"
    same "zsh: tchat --theme m" "$(zsh_complete 'tchat --theme m')" "mine mono"
    same "zsh: tchat --resume " "$(zsh_complete 'tchat --resume ')" "$id"
    same "zsh: tchat -o max_ret" "$(zsh_complete 'tchat -o max_ret')" "max_retries="
else
    echo "skipped: zsh checks (zsh is not installed)"
fi

# fish: parses; complete -C says what Tab would offer.
if command -v fish >/dev/null; then
    expect "fish: parses" fish --no-config -n "$fish_file"
    fish_complete() {
        fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$fish_file" "$1" |
            cut -f1 | sort | tr '\n' ' ' | sed 's/ $//'
    }
    same "fish: tchat --base" "$(fish_complete 'tchat --base')" "--base-url"
    same "fish: tchat --lang " "$(fish_complete 'tchat --lang ')" "en zh_CN"
    same "fish: tchat --provider g" "$(fish_complete 'tchat --provider g')" "gemini groq"
    same "fish: tchat --profile " "$(fish_complete 'tchat --profile ')" "home work"
    same "fish: tchat --theme m" "$(fish_complete 'tchat --theme m')" "mine mono"
    same "fish: tchat --resume " "$(fish_complete 'tchat --resume ')" "$id"
    same "fish: tchat --stream=" "$(fish_complete 'tchat --stream=')" "--stream=false --stream=true"
else
    echo "skipped: fish checks (fish is not installed)"
fi

finish
