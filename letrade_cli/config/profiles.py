"""Where profiles live: the user's directories first, then the ones shipped inside the package.

``--profile NAME`` looks in, first match wins:

1. ``$LETRADE_PROFILES_DIR``
2. ``./profiles`` (the current directory's)
3. ``$XDG_CONFIG_HOME/letrade/profiles`` (``~/.config/letrade/profiles`` when unset)
4. the built-in profiles, shipped as package data in ``letrade_cli/profiles/``

so a user's own ``NAME.yaml`` wins over the built-in one, and an installed tool (a wheel, pipx)
finds the built-ins from any working directory. Only the standard library is imported here, so
shell completion of profile names stays fast.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from letrade_cli.core.errors import ConfigError, UsageError
from letrade_cli.core.files import atomic_write_bytes, write_failed

PROFILE_DIR_ENV = "LETRADE_PROFILES_DIR"
SUFFIXES = (".yaml", ".yml")
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "profiles"
BUILTIN = "built-in"


@dataclass(frozen=True, slots=True)
class ProfileDir:
    """One place profiles are looked up, with the label ``profiles list`` shows for it."""

    label: str
    path: Path


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    """A profile found on disk: its name, file, origin, and the profiles it hides."""

    name: str
    path: Path
    origin: str
    shadows: tuple[str, ...] = ()


def user_config_dir() -> Path:
    """The user's own profile directory: ``$XDG_CONFIG_HOME/letrade/profiles``."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "letrade" / "profiles"


def profile_dirs() -> list[ProfileDir]:
    """Where ``--profile NAME`` is looked up, in order; first match wins."""
    dirs: list[ProfileDir] = []
    if env_dir := os.environ.get(PROFILE_DIR_ENV):
        path = Path(env_dir).expanduser()
        if path.exists() and not path.is_dir():
            raise ConfigError(
                f"{PROFILE_DIR_ENV}={env_dir} is a file, not a directory of profiles",
                hint=f"point it at the directory that holds NAME.yaml, or unset {PROFILE_DIR_ENV}",
            )
        dirs.append(ProfileDir(f"${PROFILE_DIR_ENV}", path))
    dirs.append(ProfileDir("./profiles", Path.cwd() / "profiles"))
    dirs.append(ProfileDir("user config", user_config_dir()))
    dirs.append(ProfileDir(BUILTIN, BUILTIN_DIR))
    return dirs


def profile_search_dirs() -> list[Path]:
    """The directories of :func:`profile_dirs`, as paths."""
    return [d.path for d in profile_dirs()]


def builtin_profile(name: str) -> Path:
    """The file of a built-in profile, or a ConfigError naming the built-in ones."""
    for suffix in SUFFIXES:
        path = BUILTIN_DIR / f"{name}{suffix}"
        if path.is_file():
            return path
    raise ConfigError(
        f"no built-in profile named '{name}'",
        hint=f"built-in profiles: {', '.join(builtin_names()) or 'none'}",
    )


def builtin_names() -> list[str]:
    """Names of the profiles shipped with Letrade."""
    return sorted(p.stem for p in _yaml_files(BUILTIN_DIR))


def list_profiles() -> list[ProfileEntry]:
    """Every profile name visible to ``--profile``, with the file that wins, sorted by name."""
    seen: dict[str, ProfileEntry] = {}
    for directory in profile_dirs():
        for path in _yaml_files(directory.path):
            if path.stem in seen:
                first = seen[path.stem]
                seen[path.stem] = ProfileEntry(
                    first.name, first.path, first.origin, (*first.shadows, directory.label)
                )
            else:
                seen[path.stem] = ProfileEntry(path.stem, path, directory.label)
    return [seen[name] for name in sorted(seen)]


def find_profile(name_or_path: str) -> Path:
    """Turn ``sim`` or ``./my.yaml`` into an existing file, or raise a ConfigError."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix in SUFFIXES or candidate.parent != Path("."):
        if candidate.is_file():
            return candidate
        raise ConfigError(f"profile file {candidate} does not exist", hint="check the path")
    for directory in profile_search_dirs():
        for suffix in SUFFIXES:
            path = directory / f"{name_or_path}{suffix}"
            if path.is_file():
                return path
    known = [entry.name for entry in list_profiles()]
    raise ConfigError(
        f"no profile named '{name_or_path}'",
        hint=f"known profiles: {', '.join(known) or 'none'}; or pass a path to a .yaml file",
    )


def init_profile(name: str, to_dir: Path | None = None, *, force: bool = False) -> Path:
    """Copy built-in profile ``name`` into ``to_dir`` (default: the user's config dir) to edit.

    Raises:
        ConfigError: ``name`` is not a built-in profile.
        UsageError: the target exists (and ``force`` is false) or cannot be written.
    """
    source = builtin_profile(name)
    directory = (to_dir or user_config_dir()).expanduser()
    target = directory / source.name
    if target.exists() and not force:
        raise UsageError(
            f"{target} already exists", hint="edit it, or pass --force to overwrite it"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, source.read_bytes())  # --force never leaves half a profile
    except OSError as exc:
        raise write_failed(
            target, exc, "the profile", "choose another directory with --to"
        ) from exc
    return target


def complete_profile_name(incomplete: str) -> list[str]:
    """Complete ``--profile``: the visible profile names that start with ``incomplete``."""
    try:
        return [e.name for e in list_profiles() if e.name.startswith(incomplete)]
    except (OSError, ConfigError):
        return []


def _yaml_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file())
