"""drugscenes: mapping and follow-up of open drug scenes (öppna drogscener).

The package keeps geometry in metres in SWEREF 99 TM (EPSG:3006); conversion
from other coordinate systems happens once, when data is read.
"""

from typing import Any

CRS_EPSG = 3006
"""EPSG code of the package's working CRS, SWEREF 99 TM (metres)."""

__all__ = ["CRS_EPSG", "__version__"]


def __getattr__(name: str) -> Any:
    """``__version__`` on first use: reading the installed metadata takes tens of
    milliseconds that a command which never shows the version should not pay."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("drugscenes")
        except PackageNotFoundError:  # running from a source tree without installation
            value = "0.0.0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
