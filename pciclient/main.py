"""The ``pci-cli`` console script: answers ``--version`` before importing anything heavy.

Scripts ask for the version often; it needs neither cliff nor keystoneauth, which
:mod:`pciclient.shell` (the cliff application) imports for everything else.

Everything else starts with the cyclic garbage collector paused. Importing cliff,
keystoneauth, requests and the command, and building the parsers, creates tens of
thousands of objects that live as long as the process; each collection walked them all
again, and so did the last one at exit: together about a sixth of the cpu of a small
command. :class:`pciclient.shell.PciShell` freezes them (:func:`gc.freeze`: never scanned
again) and resumes collection just before the command runs, so that what the command
allocates (a long listing) is collected as before.

keystoneauth (with requests and urllib3, which every command but ``--version`` needs) is
imported first, from :func:`main` itself. CPython before 3.13 frees a 16 KiB chunk of its
frame stack as soon as the frame that opened it returns (python/cpython#142183), so a
loop whose calls cross a chunk boundary maps and unmaps memory on every call. Imported
from deep inside the start-up, urllib3's module-level regular expressions were compiled
at such a depth: about 1,600 mmap/munmap pairs, 6 % of the cpu of ``pci-list``. From
here the depth no longer depends on how deep our own modules import it.
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run ``pci-cli``; returns the exit code (0 ok, 1 API or connection error, 2 usage)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv == ['--version']:
        from pciclient import __version__

        print(f'pci-cli {__version__}')
        return 0
    if 'pciclient.shell' in sys.modules:
        # Called again in one process (tests, a program embedding pci-cli): its own
        # objects are not ours to freeze.
        from pciclient import shell

        return int(shell.main(argv))
    import gc

    paused = gc.isenabled()
    gc.disable()
    try:
        import keystoneauth1.loading  # noqa: F401  (first, and from here: see above)

        from pciclient import shell
    except BaseException:
        if paused:
            gc.enable()
        raise
    return int(shell.main(argv, resume_gc=paused))


if __name__ == '__main__':
    sys.exit(main())
