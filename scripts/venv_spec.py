"""Minimal stand-in for riot's ``Venv`` so ``riotfile.py`` loads without riot."""

latest = ""


class Venv:
    def __init__(self, name=None, command=None, pys=None, pkgs=None, env=None, venvs=None, create=False):
        self.name = name
        self.command = command
        self.pys = pys
        self.pkgs = dict(pkgs or {})
        self.env = dict(env or {})
        self.venvs = list(venvs or [])

    def leaves(self, parent=None):
        """Yield flattened (name, pys, pkgs, env, command) with parents' values inherited,
        and ``family``: the name of the leaf's top-level ancestor (say ``redis`` for
        ``redis-oldest``), whose suites share servers and data, so are not run at once."""
        name = self.name or (parent or {}).get("name")
        pys = self.pys or (parent or {}).get("pys")
        pkgs = dict((parent or {}).get("pkgs", {}))
        pkgs.update(self.pkgs)
        env = dict((parent or {}).get("env", {}))
        env.update(self.env)
        command = self.command or (parent or {}).get("command")
        family = (parent or {}).get("family") or name
        here = {"name": name, "pys": pys, "pkgs": pkgs, "env": env, "command": command, "family": family}
        if not self.venvs:
            yield here
        for child in self.venvs:
            yield from child.leaves(here)
