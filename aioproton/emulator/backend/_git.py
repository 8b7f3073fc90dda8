"""Linked repositories as local git repositories, read with the ``git`` command.

A linked repository ``(provider, "owner/name")`` is the git repository at
``<root>/<provider lower-cased>/<owner>/<name>`` (``--git-root``), or at a path the
control API pointed that repository at. The ``git`` command is used (not a library):
it is on every machine this emulator runs on, reads bare and non-bare repositories
alike, and needs no new dependency. Every read names a commit, so a template version
registered from a commit reads the same files however the branch moves on.

``_bundles.GitSource`` reads bundles through it: a version registered by template
sync has the source ``{"git": {"provider", "name", "sha", "directory"}}`` and its
bundle is the directory's files at that commit.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_TIMEOUT = 10.0

#: Files of a synced template directory that are sync metadata, not bundle content.
METADATA_FILES = frozenset({".compatible-envs"})


class GitError(Exception):
    """The repository, branch or path cannot be read; the message says why."""


class GitRepositories:
    """Where each linked repository lives on disk, and reads of its commits."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.paths: dict[tuple[str, str], Path] = {}

    def point(self, provider: str, name: str, path: Path) -> None:
        """Read repository ``provider``/``name`` from ``path`` from now on."""
        self.paths[(provider.lower(), name)] = path

    def location(self, provider: str, name: str) -> Path | None:
        """The repository's directory, ``None`` when nothing maps it."""
        pointed = self.paths.get((provider.lower(), name))
        if pointed is not None:
            return pointed
        if self.root is None:
            return None
        parts = name.split("/")
        if any(part in ("", ".", "..") for part in parts):
            return None
        return self.root / provider.lower() / Path(*parts)

    def _git(self, path: Path, *args: str) -> bytes:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"}
        try:
            done = subprocess.run(
                ["git", "-c", "safe.directory=*", "-C", str(path), *args],
                capture_output=True,
                timeout=GIT_TIMEOUT,
                env=env,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GitError(f"git could not read {path}: {exc}") from exc
        if done.returncode != 0:
            detail = done.stderr.decode(errors="replace").strip().splitlines()
            raise GitError(detail[-1] if detail else f"git {args[0]} failed in {path}")
        return done.stdout

    def _path(self, provider: str, name: str) -> Path:
        path = self.location(provider, name)
        if path is None:
            raise GitError(f"Repository {provider}:{name} is not mapped to a local directory.")
        if not path.is_dir():
            raise GitError(f"Repository {provider}:{name} has no git repository at {path}.")
        return path

    def head(self, provider: str, name: str, branch: str) -> str:
        """The commit at the tip of ``branch``."""
        path = self._path(provider, name)
        try:
            out = self._git(
                path, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}"
            )
        except GitError as exc:
            raise GitError(f"Branch {branch} of {provider}:{name} does not exist.") from exc
        return out.decode().strip()

    def tree(self, provider: str, name: str, sha: str, directory: str) -> str | None:
        """The tree id of ``directory`` at ``sha`` (``""``: the root), ``None`` if absent."""
        path = self._path(provider, name)
        spec = f"{sha}^{{tree}}" if not directory else f"{sha}:{directory}"
        try:
            out = self._git(path, "rev-parse", "--verify", "--quiet", spec)
        except GitError:
            return None
        return out.decode().strip()

    def _entries(
        self, provider: str, name: str, sha: str, directory: str, *recursive: str
    ) -> list[tuple[str, str, str]]:
        path = self._path(provider, name)
        spec = f"{sha}:{directory}" if directory else sha
        out = self._git(path, "ls-tree", "-z", *recursive, spec)
        entries = []
        for line in out.decode().split("\0"):
            if not line:
                continue
            meta, entry_path = line.split("\t", 1)
            _mode, kind, oid = meta.split(" ")
            entries.append((kind, oid, entry_path))
        return entries

    def directories(self, provider: str, name: str, sha: str, directory: str) -> list[str]:
        """The names of the directories directly inside ``directory`` at ``sha``."""
        if self.tree(provider, name, sha, directory) is None:
            return []
        entries = self._entries(provider, name, sha, directory)
        return sorted(entry for kind, _oid, entry in entries if kind == "tree")

    def read(self, provider: str, name: str, sha: str, file: str) -> bytes | None:
        """A file's content at ``sha``, ``None`` when it does not exist."""
        path = self._path(provider, name)
        try:
            return self._git(path, "cat-file", "blob", f"{sha}:{file}")
        except GitError:
            return None

    def files(
        self, provider: str, name: str, sha: str, directory: str, *, most: int
    ) -> dict[str, bytes]:
        """Every file under ``directory`` at ``sha`` by relative path; at most ``most``."""
        path = self._path(provider, name)
        entries = [
            (oid, entry)
            for kind, oid, entry in self._entries(provider, name, sha, directory, "-r")
            if kind == "blob" and entry.rsplit("/", 1)[-1] not in METADATA_FILES
        ]
        if len(entries) > most:
            raise GitError(
                f"{directory or 'The repository'} holds {len(entries)} files; at most {most} "
                "are allowed."
            )
        return {entry: self._git(path, "cat-file", "blob", oid) for oid, entry in entries}
