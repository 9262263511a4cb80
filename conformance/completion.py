"""Shell completion for ``xmtp-conformance``: a bash, zsh or fish script written from the argument parser itself,
so the commands, options and fixed choices it completes are always the ones the parser accepts.

``eval "$(xmtp-conformance completion bash)"`` (or ``zsh``; ``| source`` for fish). Adapter names complete after
``--adapter``, file names after options that take a file or folder.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

__all__ = ["SHELLS", "script"]

SHELLS = ("bash", "zsh", "fish")
PROG = "xmtp-conformance"


@dataclass
class _Command:
    """One command (a path of sub-command words) with its options and, per option, what it completes."""
    words: tuple[str, ...]
    options: list[str] = field(default_factory=list)
    values: dict[str, list[str] | None] = field(default_factory=dict)  # option -> choices, or None: a path
    subcommands: list[str] = field(default_factory=list)
    positional_choices: list[str] = field(default_factory=list)


def _commands(parser: argparse.ArgumentParser, words: tuple[str, ...] = ()) -> list[_Command]:
    command, found = _Command(words), []
    for action in parser._actions:  # argparse has no public walk of its actions
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                command.subcommands.append(name)
                found += _commands(sub, (*words, name))
        elif action.option_strings:
            command.options += [o for o in action.option_strings if o.startswith("--")] or action.option_strings
            if action.nargs != 0:
                for option in action.option_strings:
                    command.values[option] = [str(c) for c in action.choices] if action.choices else None
        elif action.choices:
            command.positional_choices += [str(c) for c in action.choices]
    return [command, *found]


def _choices_of(parser: argparse.ArgumentParser, adapters: list[str]) -> list[_Command]:
    commands = _commands(parser)
    for command in commands:
        if "--adapter" in command.values:
            command.values["--adapter"] = adapters
    return commands


def script(shell: str, parser: argparse.ArgumentParser, adapters: list[str]) -> str:
    """The completion script for ``shell`` (one of ``SHELLS``)."""
    commands = _choices_of(parser, adapters)
    return _fish(commands) if shell == "fish" else _bash(commands, zsh=shell == "zsh")


def _bash(commands: list[_Command], *, zsh: bool) -> str:
    cases = []
    for command in commands:
        key = " ".join(command.words)
        words = command.subcommands + command.options + command.positional_choices
        cases.append(f'        "{key}") words="{" ".join(words)}" ;;')
    value_cases = []
    for command in commands:
        for option, choices in command.values.items():
            key = " ".join((*command.words, option))
            action = f'COMPREPLY=($(compgen -W "{" ".join(choices)}" -- "$cur"))' if choices else \
                'COMPREPLY=($(compgen -f -- "$cur"))'
            value_cases.append(f'        "{key}") {action}; return ;;')
    subcommand_words = sorted({w for c in commands for w in c.words})
    lines = [
        f"# {PROG} completion ({'zsh' if zsh else 'bash'}): eval \"$({PROG} completion {'zsh' if zsh else 'bash'})\"",
        *(["autoload -U +X bashcompinit && bashcompinit"] if zsh else []),
        "_xmtp_conformance() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" path="" word words i',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        word="${COMP_WORDS[i]}"',
        f'        case " {" ".join(subcommand_words)} " in *" $word "*) path="${{path:+$path }}$word" ;; esac',
        "    done",
        '    case "${path:+$path }$prev" in',
        *value_cases,
        "    esac",
        '    case "$path" in',
        *cases,
        "    esac",
        '    COMPREPLY=($(compgen -W "$words" -- "$cur"))',
        "}",
        f"complete -F _xmtp_conformance {PROG}",
    ]
    return "\n".join(lines) + "\n"


def _fish(commands: list[_Command]) -> str:
    lines = [f"# {PROG} completion (fish): {PROG} completion fish | source", f"complete -c {PROG} -f"]
    for command in commands:
        condition = (f"__fish_seen_subcommand_from {command.words[-1]}" if command.words
                     else "__fish_use_subcommand")
        for name in command.subcommands + command.positional_choices:
            lines.append(f"complete -c {PROG} -n '{condition}' -a {name}")
        for option in command.options:
            flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
            choices = command.values.get(option, [])
            takes = "" if option not in command.values else \
                f" -x -a '{' '.join(choices)}'" if choices else " -r -F"
            lines.append(f"complete -c {PROG} -n '{condition}' {flag}{takes}")
    return "\n".join(lines) + "\n"
