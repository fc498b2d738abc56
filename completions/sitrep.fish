# fish completion for sitrep: options, `do` verbs and each verb's options
# (from the kind tables through the hidden `sitrep --complete verbs` and
# `sitrep --complete verb NAME`: a new verb needs no change here),
# theme names (bundled, and NAME.json in $SITREP_THEME_DIR and
# ~/.config/sitrep/themes) and, after --pane, the pane ids of the config in
# use (-c FILE on the line, else the default path) from the hidden
# `sitrep --complete panes`.

function __sitrep_bin
    set -l w (commandline -opc)
    echo $w[1]
end

function __sitrep_verbs
    set -l bin (__sitrep_bin)
    $bin --complete verbs 2>/dev/null
end

# The options of the verb on the line, "--for<TAB>how long", when the token
# being completed starts with -.
function __sitrep_verb_options
    set -l w (commandline -opc)
    set -l i (contains -i -- do $w); or return
    set -l n (math $i + 1)
    test $n -le (count $w); or return
    string match -q -- '-*' (commandline -ct); or return
    $w[1] --complete verb $w[$n] 2>/dev/null | while read -l -d \t word value many help
        string match -q -- '--*' $word; and printf '%s\t%s\n' $word $help
    end
end

function __sitrep_themes
    set -l bin (__sitrep_bin)
    $bin --help 2>/dev/null | string join ' ' | string replace -r '\s+' ' ' -a \
        | string replace -rf '.*--theme NAME (.*), or a themes.*' '$1' | string split ', '
    set -l dirs
    set -q SITREP_THEME_DIR; and set dirs $dirs $SITREP_THEME_DIR
    if set -q XDG_CONFIG_HOME
        set dirs $dirs $XDG_CONFIG_HOME/sitrep/themes
    else
        set dirs $dirs $HOME/.config/sitrep/themes
    end
    for d in $dirs
        for f in $d/*.json
            string replace -r '\.json$' '' (basename $f)
        end
    end
end

function __sitrep_panes
    set -l w (commandline -opc)
    set -l cfg
    for i in (seq 2 (count $w))
        switch $w[$i]
            case -c --config
                set -l n (math $i + 1)
                test $n -le (count $w); and set cfg -c $w[$n]
            case '--config=*'
                set cfg -c (string replace -- '--config=' '' $w[$i])
        end
    end
    $w[1] --complete panes $cfg 2>/dev/null
end

function __sitrep_no_sub
    not __fish_seen_subcommand_from do timeline note serve attach replay
end

function __sitrep_needs_verb
    set -l w (commandline -opc)
    test "$w[-1]" = do
end

complete -c sitrep -f
complete -c sitrep -s c -l config -r -F -d 'config file'
complete -c sitrep -l read-only -d 'observer mode: every action is refused'
complete -c sitrep -l theme -x -a '(__sitrep_themes)' -d 'colour theme'
complete -c sitrep -l refresh -x -d 'refresh interval of every pane (seconds)'
complete -c sitrep -n __sitrep_no_sub -l once -d 'fetch every pane once, print, exit'
complete -c sitrep -n __sitrep_no_sub -l json -d 'with --once: JSON output'
complete -c sitrep -n __sitrep_no_sub -l fail-on -x -a 'warn crit' -d 'with --once: exit 1 at this health'
complete -c sitrep -n __sitrep_no_sub -l share -d 'publish the dashboard for observers (sitrep attach)'
complete -c sitrep -n __sitrep_no_sub -l check-config -d 'check the config'
complete -c sitrep -n __sitrep_no_sub -l example-config -d 'print a commented example config'
complete -c sitrep -n __sitrep_no_sub -l version -d 'print the version'
complete -c sitrep -n __sitrep_no_sub -s h -l help -d 'print the usage'
complete -c sitrep -n __sitrep_no_sub -a do -d 'run an action'
complete -c sitrep -n __sitrep_no_sub -a timeline -d 'print the incident timeline'
complete -c sitrep -n __sitrep_no_sub -a note -d 'add a note to the incident timeline'
complete -c sitrep -n __sitrep_no_sub -a serve -d 'poll and publish the share stream, no terminal'
complete -c sitrep -n __sitrep_no_sub -a attach -d 'watch a shared dashboard'
complete -c sitrep -n __sitrep_no_sub -a replay -d 'the recorded incident, as the screen showed it'
complete -c sitrep -n __sitrep_needs_verb -a '(__sitrep_verbs)' -d verb
complete -c sitrep -n '__fish_seen_subcommand_from do' -l pane -x -a '(__sitrep_panes)' -d 'the pane to act through'
complete -c sitrep -n '__fish_seen_subcommand_from do' -l yes -d 'do not ask'
complete -c sitrep -n '__fish_seen_subcommand_from do timeline serve attach replay' -s h -l help -d 'print the usage of this subcommand'
complete -c sitrep -n '__fish_seen_subcommand_from do; and not __sitrep_needs_verb' -a '(__sitrep_verb_options)'
complete -c sitrep -n '__fish_seen_subcommand_from timeline' -l markdown -d 'print a Markdown report'
complete -c sitrep -n '__fish_seen_subcommand_from timeline' -l since -x -d 'keep the last DURATION'
complete -c sitrep -n '__fish_seen_subcommand_from attach' -l stdio -d 'relay a local socket on stdin and stdout (what ssh runs)'
complete -c sitrep -n '__fish_seen_subcommand_from attach replay' -F -d 'socket, ssh://[user@]host[/socket] or recording'
complete -c sitrep -n '__fish_seen_subcommand_from replay' -l at -x -d 'start at TIME: RFC 3339, HH:MM[:SS] or -DURATION'
